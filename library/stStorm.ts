/**
 * ST-STORM (Ouattara, Duthon, Salmane, Bernardin, Ait Aider, "ST-STORM", arXiv 2604.16086 [0];
 * authors' code Hamedkiri/RT-STORM-V2 @ 4a77b29 [1]) as a pure DSL value. methods.md section 3.
 * It follows the CODE (the paper body was not readable): README-command weights, quirks Q1-Q4.
 *
 * Phase A (style transfer): `far = G_A(x, style = y)`, `y` a permuted batch. `D_A` learns LSGAN +
 * R1; the semantic content branch learns MoCo-v2 InfoNCE with a queue on `(x, far)`; `G_A` learns
 * adversarial + PatchNCE + teacher-token + L1 + gate + FFT + SWD + Style-JEPA. Phase B
 * (reconstruction): `recon = G_B(spectralNoise(far), style = x)` learns PatchNCE against its
 * teacher + identity L1 + teacher-token + gate + FFT + SWD. Teachers `T_A`, `T_B` and the key
 * encoders are EMAs (0.999) updated after their source's optimizer step.
 */
import type { AugNode } from '../compiler/ir/augment.js';
import type { Method as MethodIR } from '../compiler/ir/node.js';
import type { Optimizer } from '../compiler/ir/optim.js';
import {
  Aug, Branch, Loss, Mask, Method, Net, Optim, Predictor, Schedule, Value, View,
  type Any, type Img, type Module, type Net as NetT, type ObjectiveOptions, type StyleFeatures, type Term, type Same, type Tok, type UNetFeatures, type Value as V, type Vec,
} from '../dsl/index.js';
import { JEPA_SCALE_WEIGHTS, PAPER_ARCH, PAPER_EPOCH_IMAGES, README_WEIGHTS, STORM_TRAINING as T, TINY_ARCH, type StormArch, type StormWeights } from './stStormSizes.js';

export { PAPER_ARCH, README_WEIGHTS, TINY_ARCH, type StormArch, type StormWeights } from './stStormSizes.js';

/** Options of `stStorm`. Every field has the preset's default. */
export interface StStormOptions {
  /** `paper`: the code's 256x256 settings; `tiny`: 32x32, trains on 2 CPU cores. Default `paper`. */
  readonly preset?: 'paper' | 'tiny';
  /** Batch size (8 in both presets: the reference's argparse default). */
  readonly batch?: number;
  /** Training steps (`paper`: 41 epochs of `epochImages / batch`; `tiny`: 600). */
  readonly steps?: number;
  /** Images per epoch, to turn the cycle's epochs into steps (`paper`: ImageNet-1k, 1,281,167). */
  readonly epochImages?: number;
  /** Steps of phase A and phase B per cycle (`paper`: 2 epochs each; `tiny`: 20 and 20). */
  readonly phaseSteps?: readonly [number, number];
  /** Override loss weights (README command by default). */
  readonly weights?: Partial<StormWeights>;
  /** The semantic content branch (`--sem_content`, on in the README command). Default true. */
  readonly semantic?: boolean;
  /**
   * `--sem_use_aug`: the semantic branch sees its own random views of `x` (query) and of the
   * detached `far` (key): RRC scale (0.5, 1), flip, colour jitter 0.4 (hue 0.1) p 0.8,
   * grayscale p 0.2, blur p 0.1 (methods.md 3.4). Default false (the README command does not set it).
   */
  readonly semanticViews?: boolean;
  /**
   * The style bank (2000 past `y`) and the replay of past `far` (50, ratio 0.3) of phase B, as
   * `Value.memory`. Default false: Memory nodes are not lowered yet (`compile` would fail).
   */
  readonly memory?: boolean;
  /** The adversarial term of phase B with its own discriminator `D_B` (`--adv_enable_B`). Default false. */
  readonly adversarialB?: boolean;
  /** The `fused` representation through an untrained FusionHead (needs `semantic`). Default true. */
  readonly fused?: boolean;
}

/** The base loader: Resize 286 -> RandomCrop 256 is a fixed-area crop of (256/286)^2 then resize, plus flip. */
const BASE_CROP = (256 / 286) ** 2;

const adam = (lr: number): Optimizer => Optim.adam({ lr, betas: [T.betas[0], T.betas[1]] });

/** Everything the objectives share. */
interface Parts {
  readonly a: StormArch;
  readonly w: StormWeights;
  readonly x: V<Img<3>>;
  readonly y: V<Img<3>>;
  readonly gA: Module<Img<3>, Img<3>>;
  readonly gB: Module<Img<3>, Img<3>>;
  readonly tA: Module<Img<3>, Img<3>>;
  readonly tB: Module<Img<3>, Img<3>>;
  readonly far: V<Img<3>>;
}

const part = <T extends StyleFeatures<number> | UNetFeatures>(m: Module, p: 'encoder' | 'styleEncoder', x: V<Img<3>>): V<T> =>
  Branch.applyPart<T>(m, [p], { x });

/** Style tokens `[batch, levels + 1, tokenDim]` of a generator's (or teacher's) style encoder. */
const tokensOf = (m: Module, x: V<Img<3>>): V<Tok> => Value.field(part<StyleFeatures<number>>(m, 'styleEncoder', x), 'tokens');

/** The PatchNCE layers of the reference at 256: bottleneck (4x4), skip2 (64x64), skip3 (32x32). */
const NCE_LAYERS = ['bottleneck', 'skip2', 'skip3'] as const;

/** PatchNCE between the encoder of `query` (gradient side) and of `key` (detached), 1/3 per layer. */
const patchNceTerms = (p: Parts, weight: number, q: { m: Module; x: V<Img<3>> }, k: { m: Module; x: V<Img<3>> }): ReadonlyArray<Term> => {
  const qf = part<UNetFeatures>(q.m, 'encoder', q.x);
  const kf = Branch.stopGradient(part<UNetFeatures>(k.m, 'encoder', k.x));
  return NCE_LAYERS.map((l) =>
    Loss.term(`nce_${l}`, Loss.patchNce({ query: Value.field(qf, l), key: Value.field(kf, l), patches: p.a.ncePatches }), { weight: weight / NCE_LAYERS.length }),
  );
};

/** Gate, FFT and SWD terms of a generator output against a style target. */
const textureTerms = (p: Parts, g: Module, out: V<Img<3>>, target: V<Img<3>>): ReadonlyArray<Term> => [
  Loss.term('gate', Loss.spadeGate({ module: g, margin: 0.75 }), { weight: p.w.gate }),
  Loss.term('fft', Loss.fftAmplitudeL1({ pred: out, target }), { weight: p.w.fft }),
  Loss.term('swd', Loss.slicedWasserstein({
    pred: out, target, patch: p.a.swdPatch, projections: p.a.swdProjections, maxPatches: p.a.swdMaxPatches,
  }), { weight: p.w.swd }),
];

/** A discriminator objective: LSGAN on (real, detached fake) + R1 on real every `r1Every` steps. */
const discriminatorObjective = (p: Parts, name: string, d: Module<Img<3>, Img<1>>, real: V<Img<3>>, fake: V<Img<3>>, phase: string): ObjectiveOptions => ({
  name,
  terms: [
    Loss.term('lsgan', Loss.lsganDiscriminator({ real: d.apply(real), fake: d.apply(Branch.stopGradient(fake)) })),
    Loss.term('r1', Loss.r1({ module: d, real, gamma: p.w.r1Gamma, every: p.w.r1Every })),
  ],
  optimizer: adam(T.generatorLr * T.discriminatorLrScale),
  params: [d],
  phases: [phase],
});

/**
 * Style-JEPA (`TokenJEPA`): the student `G_A` style encoder on spectral view 1, the token
 * predictor, the teacher `T_A` on view 2 (stop-gradient), masked weighted L2, and VICReg variance
 * and covariance on the predictions standardised per dimension (a batch norm without affine).
 */
const styleJepaTerms = (p: Parts, predictor: Module<Tok, Tok>, standardize: Module<Any, Same>): ReadonlyArray<Term> => {
  const count = p.a.levels + 1;
  const view = (name: string) => View.make(name, p.y, [Aug.spectralNoise({ sigma: 2, gamma: 3 }), Aug.horizontalFlip({ p: 0.5 })]);
  const pred = predictor.apply(tokensOf(p.gA, view('jepaView1')));
  const target = Branch.stopGradient(tokensOf(p.tA, view('jepaView2')));
  const z = standardize.apply(pred);
  const mask = Mask.tokens({ name: 'jepaMask', count, ratio: 0.6, bias: 2 });
  return [
    Loss.term('jepa', Loss.maskedTokenL2({ pred, target, mask, weights: JEPA_SCALE_WEIGHTS.slice(0, count) }), { weight: p.w.styleJepa }),
    Loss.term('jepa_var', Loss.vicregVariance({ x: z }), { weight: p.w.styleJepa * p.w.jepaVar }),
    // reference: OffDiagCov / (D (D - 1)); the IR divides by D, so the weight carries 1 / (D - 1)
    Loss.term('jepa_cov', Loss.vicregCovariance({ x: z }), { weight: (p.w.styleJepa * p.w.jepaCov) / (p.a.tokenDim - 1) }),
  ];
};

/** Phase A generator objective (`train_step_phase_A`, generator side). */
const generatorA = (p: Parts, dA: Module<Img<3>, Img<1>>): ObjectiveOptions => {
  const predictor = Branch.make('jepaPredictor', Predictor.tokens({ dim: p.a.tokenDim, count: p.a.levels + 1, heads: 4, hiddenRatio: 2 }));
  const standardize = Branch.make('jepaStandardize', Net.batchNorm({ features: p.a.tokenDim, affine: false }));
  return {
    name: 'generatorA',
    terms: [
      Loss.term('adv', Loss.lsganGenerator({ fake: dA.apply(p.far) }), { weight: p.w.adv }),
      ...patchNceTerms(p, p.w.nceA, { m: p.gA, x: p.far }, { m: p.gA, x: p.x }),
      Loss.term('tok', Loss.tokenL1({ pred: tokensOf(p.tA, p.far), target: Branch.stopGradient(tokensOf(p.tA, p.y)) }), { weight: p.w.style }),
      Loss.term('l1', Loss.l1({ pred: p.far, target: p.x }), { weight: p.w.l1A }),
      ...textureTerms(p, p.gA, p.far, p.y),
      ...styleJepaTerms(p, predictor, standardize),
    ],
    optimizer: adam(T.generatorLr),
    params: [p.gA, predictor],
    phases: ['A'],
  };
};

/** `--sem_use_aug` (methods.md 3.4): RRC (0.5, 1), flip, jitter 0.4 / hue 0.1 p 0.8, grayscale 0.2, blur 0.1. */
const semanticAugmentation = (size: number): ReadonlyArray<AugNode> => [
  Aug.randomResizedCrop({ size, scale: [0.5, 1] }),
  Aug.horizontalFlip({ p: 0.5 }),
  Aug.colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 }),
  Aug.grayscale({ p: 0.2 }),
  Aug.gaussianBlur({ sigma: [0.1, 2], p: 0.1 }),
];

/** The semantic content branch: ResNet + token linear + projector, EMA key encoder, queue. */
const semanticBranch = (p: Parts, epochs: number, views: boolean) => {
  const backboneNet: NetT<Img<3>, Vec, 'ResNet'> = p.a.resnet === 'resnet50' ? Net.resnet50() : Net.resnetTiny();
  const backbone = Branch.make('semBackbone', backboneNet);
  const projector = Branch.make('semProjector', Net.seq(
    Net.linear({ in: p.a.semFeature, out: p.a.semDim, init: 'default' }),
    Net.mlp({ in: p.a.semDim, hidden: p.a.semHidden, out: p.a.semDim, norm: 'none', bias: true }),
  ));
  const backboneKey = Branch.ema('semBackboneKey', backbone, { momentum: T.momentum });
  const projectorKey = Branch.ema('semProjectorKey', projector, { momentum: T.momentum });
  const seen = (name: string, v: V<Img<3>>): V<Img<3>> => (views ? View.make(name, v, semanticAugmentation(p.a.image)) : v);
  const q = projector.apply(backbone.apply(seen('semQuery', p.x)));
  const k = Branch.stopGradient(projectorKey.apply(backboneKey.apply(seen('semKey', Branch.stopGradient(p.far)))));
  const objective: ObjectiveOptions = {
    name: 'semantic',
    terms: [Loss.term('moco', Loss.infoNCEQueue({ query: q, key: k, temperature: p.w.semTau, queueSize: p.a.queue }), { weight: p.w.sem })],
    optimizer: Optim.adamw({
      lr: Schedule.warmupCosine({ warmup: T.semanticWarmupEpochs / epochs, start: T.semanticStartLr, peak: T.semanticLr, end: T.semanticEndLr }),
      weightDecay: T.semanticWd,
    }),
    params: [backbone, projector],
    phases: ['A'],
  };
  return { objective, backbone };
};

/** Phase B generator objective (`train_step_phase_B`), with the optional adversarial term. */
const generatorB = (p: Parts, memory: boolean, dB: Module<Img<3>, Img<1>> | undefined) => {
  const styles = memory ? Value.memory('styleBank', p.y, { size: 2000, ratio: 1 }) : p.y;
  const fresh = Branch.stopGradient(p.gA.apply(p.x, { style: styles }));
  const farMix = memory ? Value.memory('replay', fresh, { size: 50, ratio: 0.3 }) : fresh;
  const noisy = View.make('farNoise', farMix, [Aug.spectralNoise({ sigma: 2, gamma: 3 })]);
  const recon = p.gB.apply(noisy, { style: p.x });
  const objective: ObjectiveOptions = {
    name: 'generatorB',
    terms: [
      ...(dB === undefined ? [] : [Loss.term('adv', Loss.lsganGenerator({ fake: dB.apply(recon) }), { weight: p.w.adv })]),
      ...patchNceTerms(p, p.w.nceB, { m: p.gB, x: recon }, { m: p.tB, x: p.x }),
      Loss.term('idt', Loss.l1({ pred: recon, target: p.x }), { weight: p.w.idtB }),
      Loss.term('tok', Loss.tokenL1({ pred: tokensOf(p.tB, recon), target: Branch.stopGradient(tokensOf(p.tB, p.x)) }), { weight: p.w.styleB }),
      ...textureTerms(p, p.gB, recon, p.x),
    ],
    optimizer: adam(T.generatorLr),
    params: [p.gB],
    phases: ['B'],
  };
  return { objective, recon };
};

/** Representation `style`: tok6, the teacher `T_A`'s L2-normalised style tokens, flattened `[batch, (levels+1) tokenDim]`. */
const styleFeature = (tA: Module): V<Vec> => Value.fn(Net.flatten(), Value.fn(Net.l2Normalize(), tokensOf(tA, Value.images())));

/**
 * ST-STORM as a method (see the module comment). `paper`: 256x256, generators ngf 64 with 5 U-Net
 * levels (6 style tokens of 256, SPADE maps 64), PatchGAN 64 x 4 with spectral norm, ResNet-50
 * semantic branch (1x1 conv 2048 -> 256 = a Linear on the pooled feature, projector 256-512-256,
 * queue 6000, tau 0.2), batch 8, 41 epochs of 2 + 2 epoch A/B rounds. `tiny`: 32x32, ngf 8, 3 levels
 * (4 tokens of 32), PatchGAN 8 x 3, the tiny ResNet (128 -> 32 -> 64 -> 32, queue 256), SWD patch 8,
 * PatchNCE 16 positions, phases of 20 + 20 steps, 600 steps.
 *
 * Weights (README command): adv 1, PatchNCE 0.2 (1/3 per layer), teacher tokens 50, L1 0.05, gate
 * 0.05 (margin 0.75), FFT 0.1, SWD 0.05, Style-JEPA 0.15 (mask 0.6, bias 2, scale weights
 * 2, 2, 1.5, 1, 0.75, 0.5; VICReg 0.05 / 0.05), R1 gamma 10 every 16, semantic 1; phase B PatchNCE 1,
 * identity 1, tokens 0.005, and the same gate / FFT / SWD weights as A [inferred]. Optimisers: Adam
 * 2e-4 (0.5, 0.999) for generators (G_A with the JEPA predictor), 1e-4 for discriminators (betas
 * as G [inferred]); AdamW 1e-4, wd 1e-4, warmup 5 epochs from 1e-5, cosine to 1e-6 (semantic).
 *
 * Quirks of the reference, followed: Q1 `--lambda_jepa` is ignored (0.15 is used); Q2 content-NCE
 * across two styles is inactive (not modelled); Q3 the lambda_style ramp never runs (fixed 50);
 * Q4 the U-Net content-JEPA is off with the semantic branch (not modelled).
 *
 * Simplifications the DSL forces (all documented, none silent):
 * - images stay in `[0, 1]` (the reference normalises to `[-1, 1]`): representations read clean
 *   `Input` images, and a Normalize view would make them random; spectral noise clips to `[0, 1]`;
 * - the pseudo-domain folds (2 random halves swapped every 4 rounds) are not modelled: `y` is a
 *   permuted batch (`Value.permute`); phases are counted in steps, not epochs;
 * - the adaptive lambda_styB (0.005, x(1 + 0.1 (d - 0.06)/0.06), clip [1e-4, 2]) is fixed at 0.005;
 * - Style-JEPA runs every step (`jepa_every` 1 as in the README command; the default 2 is not modelled);
 * - PatchNCE uses CUT's form (keys detached, negatives: other sampled positions of the same image);
 * - SWD is single-level (the reference averages a 3-level Laplacian pyramid);
 * - the semantic branch sees `x` and the detached `far` without its own augmentations
 *   (`--sem_use_aug`) and at the generator's resolution (224 in the reference); the optional
 *   content-JEPA on ResNet tokens is not modelled; its lr steps per step, not per epoch;
 * - objectives run in the order D_A, semantic, G_A so that `far` in the semantic step comes from
 *   G_A before its update, as the reference's `far.detach()` does;
 * - the style bank / replay are `Value.memory` and OFF by default (`memory`); `D_B` exists only
 *   with `adversarialB`; `fused` is an untrained FusionHead (the reference trains it downstream).
 *
 * Modules: `G_A`, `G_B`, `T_A`, `T_B` (EMA 0.999), `D_A` (`D_B`), `jepaPredictor`,
 * `jepaStandardize` (buffers only), `semBackbone`, `semProjector`, `semBackboneKey`,
 * `semProjectorKey` (EMA 0.999), `fusion`. Representations: `style` (tok6), `content` (the
 * semantic ResNet's pooled feature, 2048 for paper), `fused` (`[batch, 1024]`).
 */
export const stStorm = (o: StStormOptions = {}): MethodIR => {
  const paper = (o.preset ?? 'paper') === 'paper';
  const a = paper ? PAPER_ARCH : TINY_ARCH;
  const w: StormWeights = { ...README_WEIGHTS, ...o.weights };
  const batch = o.batch ?? T.batch;
  const epochSteps = Math.floor((o.epochImages ?? PAPER_EPOCH_IMAGES) / batch);
  const [stepsA, stepsB] = o.phaseSteps ?? (paper ? [T.advEpochs * epochSteps, T.recEpochs * epochSteps] : [20, 20]);
  const steps = o.steps ?? (paper ? T.epochs * epochSteps : 600);
  const semantic = o.semantic ?? true;
  const g = Net.generator({ ngf: a.ngf, levels: a.levels, maxChannels: a.maxChannels, tokenDim: a.tokenDim, mapChannels: a.mapChannels });
  const gA = Branch.make('G_A', g);
  const gB = Branch.make('G_B', g);
  const x = View.make('x', Value.images(), [
    Aug.randomResizedCrop({ size: a.image, scale: [BASE_CROP, BASE_CROP], ratio: [1, 1] }),
    Aug.horizontalFlip({ p: 0.5 }),
  ]);
  const y = Value.permute('style', x);
  const p: Parts = {
    a, w, x, y, gA, gB,
    tA: Branch.ema('T_A', gA, { momentum: T.momentum }),
    tB: Branch.ema('T_B', gB, { momentum: T.momentum }),
    far: gA.apply(x, { style: y }),
  };
  const d = () => Net.patchGan({ ndf: a.ndf, layers: a.dLayers, spectralNorm: true });
  const dA = Branch.make('D_A', d());
  const dB = o.adversarialB === true ? Branch.make('D_B', d()) : undefined;
  const sem = semantic ? semanticBranch(p, T.epochs, o.semanticViews ?? false) : undefined;
  const b = generatorB(p, o.memory === true, dB);
  const style = styleFeature(p.tA);
  const content = sem === undefined ? undefined : sem.backbone.apply(Value.images());
  const fusion = Branch.make('fusion', Net.fusionHead({ styleDim: (a.levels + 1) * a.tokenDim, contentDim: a.semFeature, dim: a.fusionDim }));
  return Method.make({
    name: 'st-storm',
    input: { size: a.image },
    training: { batch, steps },
    phases: [{ name: 'A', steps: stepsA }, { name: 'B', steps: stepsB }],
    objectives: [
      discriminatorObjective(p, 'discriminatorA', dA, y, p.far, 'A'),
      ...(sem === undefined ? [] : [sem.objective]),
      generatorA(p, dA),
      ...(dB === undefined ? [] : [discriminatorObjective(p, 'discriminatorB', dB, x, b.recon, 'B')]),
      b.objective,
    ],
    representations: {
      style,
      ...(content === undefined ? {} : { content }),
      ...(content === undefined || o.fused === false ? {} : { fused: Branch.applyPart<Vec>(fusion, [], { style, content }) }),
    },
  });
};
