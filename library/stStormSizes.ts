/**
 * ST-STORM preset sizes and weights (methods.md sections 3.5, 3.6 and 4): the `paper` numbers are
 * the authors' code (`Hamedkiri/RT-STORM-V2` @ 4a77b29, README command), the `tiny` numbers make
 * one training step fit 2 CPU cores on wasm. Pure data; `stStorm.ts` builds the method from them.
 */
import { IMAGENET_TRAIN_IMAGES } from './mocoV3.js';

/** Network sizes of one preset. */
export interface StormArch {
  /** Input (and generator output) size, square. */
  readonly image: number;
  /** U-Net base width (generator content and style encoders). */
  readonly ngf: number;
  /** U-Net levels (style tokens = levels + 1). */
  readonly levels: number;
  /** Widest U-Net level. */
  readonly maxChannels: number;
  /** Style token dim. */
  readonly tokenDim: number;
  /** SPADE spatial map channels. */
  readonly mapChannels: number;
  /** Width of each SPADE's map branch and token MLP (`models/backbone.py` `SPADELayer`, `hidden=128`). */
  readonly spadeHidden: number;
  /** PatchGAN width and strided layers. */
  readonly ndf: number;
  readonly dLayers: number;
  /** Semantic branch: ResNet-50 (`paper`) or the tiny ResNet; its pooled width. */
  readonly resnet: 'resnet50' | 'tiny';
  readonly semFeature: number;
  /** Semantic token width (the reference's 1x1 conv 2048 -> 256) and projector hidden width. */
  readonly semDim: number;
  readonly semHidden: number;
  /** Semantic MoCo queue length. */
  readonly queue: number;
  /** PatchNCE positions per layer. */
  readonly ncePatches: number;
  /** SWD patch size, projections and patches per batch. */
  readonly swdPatch: number;
  readonly swdProjections: number;
  readonly swdMaxPatches: number;
  /** SWD Laplacian-pyramid bands: all the image size allows, `1 + log2(image)` (Q11). */
  readonly swdLevels: number;
  /** Fusion head width. */
  readonly fusionDim: number;
}

/** `paper`: 256x256, ngf 64, 5 levels (6 tokens of 256), PatchGAN 64 x 4, ResNet-50, queue 6000. */
export const PAPER_ARCH: StormArch = {
  image: 256,
  ngf: 64,
  levels: 5,
  maxChannels: 512,
  tokenDim: 256,
  mapChannels: 64,
  spadeHidden: 128,
  ndf: 64,
  dLayers: 4,
  resnet: 'resnet50',
  semFeature: 2048,
  semDim: 256,
  semHidden: 512,
  queue: 6000,
  ncePatches: 100,
  swdPatch: 64,
  swdProjections: 128,
  swdMaxPatches: 64,
  swdLevels: 9,
  fusionDim: 1024,
};

/** `tiny`: 32x32, ngf 8, 3 levels (4 tokens of 32), PatchGAN 8 x 3, the tiny ResNet, queue 256. */
export const TINY_ARCH: StormArch = {
  image: 32,
  ngf: 8,
  levels: 3,
  maxChannels: 64,
  tokenDim: 32,
  mapChannels: 8,
  // 128 scaled by 1/8 like ngf (64 -> 8), tokenDim (256 -> 32) and mapChannels (64 -> 8)
  spadeHidden: 16,
  ndf: 8,
  dLayers: 3,
  resnet: 'tiny',
  semFeature: 128,
  semDim: 32,
  semHidden: 64,
  queue: 256,
  ncePatches: 16,
  swdPatch: 8,
  swdProjections: 32,
  swdMaxPatches: 32,
  // 32 px: bands at 32, 16, 8, 4, 2 and the 1x1 low-pass
  swdLevels: 6,
  fusionDim: 64,
};

/** Loss weights of the README command (argparse defaults in the comments). */
export interface StormWeights {
  /** Phase A: LSGAN generator term (1). */
  readonly adv: number;
  /** PatchNCE over the 3 layers (0.2; default 1.0), split 1/3 per layer. */
  readonly nceA: number;
  /** Teacher token loss, lambda_style_A (50; default 10). Fixed: see quirk Q3. */
  readonly style: number;
  /** L1(far, x) (0.05; default 1.0). */
  readonly l1A: number;
  /** SPADE gate regulariser (0.05, margin 0.75). */
  readonly gate: number;
  /** FFT log-amplitude L1 (0.1). */
  readonly fft: number;
  /** Sliced Wasserstein (0.05). */
  readonly swd: number;
  /** Style-JEPA (0.15: quirk Q1 makes `--lambda_jepa` ineffective). */
  readonly styleJepa: number;
  /** VICReg variance and covariance inside Style-JEPA (0.05 each). */
  readonly jepaVar: number;
  readonly jepaCov: number;
  /** R1 gamma (10) and cadence (16). */
  readonly r1Gamma: number;
  readonly r1Every: number;
  /** Semantic MoCo weight (1; default 0.5) and temperature (0.2). */
  readonly sem: number;
  readonly semTau: number;
  /** Phase B: PatchNCE (1), identity L1 (1), initial adaptive token weight lambda_styB (0.005). */
  readonly nceB: number;
  readonly idtB: number;
  readonly styleB: number;
}

/** The README command's weights (methods.md 3.5 and section 4). */
export const README_WEIGHTS: StormWeights = {
  adv: 1,
  nceA: 0.2,
  style: 50,
  l1A: 0.05,
  gate: 0.05,
  fft: 0.1,
  swd: 0.05,
  styleJepa: 0.15,
  jepaVar: 0.05,
  jepaCov: 0.05,
  r1Gamma: 10,
  r1Every: 16,
  sem: 1,
  semTau: 0.2,
  nceB: 1,
  idtB: 1,
  styleB: 0.005,
};

/** Style-JEPA per-scale weights `(tokG, t5, t4, t3, t2, t1)` of the reference (6 tokens). */
export const JEPA_SCALE_WEIGHTS: ReadonlyArray<number> = [2, 2, 1.5, 1, 0.75, 0.5];

/** Optimiser and schedule numbers (methods.md 3.6). */
export const STORM_TRAINING = {
  /** Generators: Adam lr 2e-4, betas (0.5, 0.999); discriminators at half that lr. */
  generatorLr: 2e-4,
  betas: [0.5, 0.999] as const,
  discriminatorLrScale: 0.5,
  /** Semantic branch: AdamW lr 1e-4, wd 1e-4, warmup 5 epochs from 1e-5, cosine to 1e-6. */
  semanticLr: 1e-4,
  semanticWd: 1e-4,
  semanticWarmupEpochs: 5,
  semanticStartLr: 1e-5,
  semanticEndLr: 1e-6,
  /** The per-step scheduler that overrides it (`training/scheduler.py`, Q7): warm-up 5000 steps, cosine to 1e-5 at 100k. */
  semanticWarmupSteps: 5000,
  semanticCosineSteps: 100_000,
  semanticStepEndLr: 1e-5,
  /** Pseudo-domain folds (`--k_folds 2`): an epoch is one fold, N / (2 batch) steps. */
  kFolds: 2,
  /** Rounds (2 + 2 epochs A/B) before the fold pair rotates (`--fold_epochs 4`, `CycleScheduler`). */
  foldRounds: 4,
  /** `--style_lambda 50 --style_lambda_min 5 --style_lambda_sched linear`, warm-up 20 epochs (`config.py`; Q3). */
  styleLambdaMin: 5,
  styleLambdaWarmupEpochs: 20,
  /** `--lambda_jepa 2` of the README command (Q1: the code uses `--lambda_jepa_style`, 0.15). */
  styleJepaIntended: 2,
  /** Teacher and key-encoder EMA momentum. */
  momentum: 0.999,
  /** `--style_gain_A 10`, `--style_gain_B 1.5` (`config.py`): factors on the style image (Q6). */
  styleGainA: 10,
  styleGainB: 1.5,
  /**
   * lambda_styB's controller (`config.py`): `--style_balance_target 0.06`, `--style_balance_alpha
   * 0.1`, clip `[1e-4, 2]`, on logging steps (`--tb_freq 1000` in the README command).
   */
  styleBalanceTarget: 0.06,
  styleBalanceRate: 0.1,
  styleWeightBMin: 1e-4,
  styleWeightBMax: 2,
  styleBalanceEvery: 1000,
  /** 41 epochs, batch 8; each cycle round = 2 epochs of phase A + 2 epochs of phase B. */
  epochs: 41,
  batch: 8,
  advEpochs: 2,
  recEpochs: 2,
} as const;

/** Images per epoch of the `paper` preset: ImageNet-1k (the paper's dataset sizes are unknown). */
export const PAPER_EPOCH_IMAGES = IMAGENET_TRAIN_IMAGES;
