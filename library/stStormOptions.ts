/**
 * The options of `stStorm` (`stStorm.ts`): sizes and schedule, loss weights, and one flag per
 * difference from the authors' code (RT-STORM-V2), each defaulting to the recommended command or,
 * for a quirk of the code, to the intended behaviour. Pure types.
 */
import type { StormWeights } from './stStormSizes.js';

/** Options of `stStorm`. Every field has the preset's default. */
export interface StStormOptions {
  /** `paper`: the code's 256x256 settings; `tiny`: 32x32, trains on 2 CPU cores. Default `paper`. */
  readonly preset?: 'paper' | 'tiny';
  /** Batch size (8 in both presets: the reference's argparse default). */
  readonly batch?: number;
  /** Training steps (`paper`: 41 epochs of one fold, `epochImages / (2 batch)`; `tiny`: 600). */
  readonly steps?: number;
  /** Images in the dataset, to turn the cycle's epochs into steps (`paper`: ImageNet-1k, 1,281,167). */
  readonly epochImages?: number;
  /**
   * What an epoch is (`paper` only): `fold` (default; `train_style_disentangle.py` iterates one
   * pseudo-domain fold, `N / (k_folds batch)` steps, `--k_folds 2`) or `dataset` (`N / batch`).
   */
  readonly epoch?: 'fold' | 'dataset';
  /**
   * Where the style images `y` come from: `folds` (default; `train_style_disentangle.py`,
   * `helpers.py`: the data split into `--k_folds 2` pseudo-domains, `x` from fold `i`, `y` from
   * fold `i + 1` with the same view augmentation as `x`, `Value.pairedImages()`, the pair rotating
   * every `foldEpochs`) or `batch` (`y` another image of the same batch, `Value.permute`, never
   * the image itself; no folds).
   */
  readonly styleSource?: 'folds' | 'batch';
  /**
   * With `styleSource: 'folds'`: epochs of one fold before the pair rotates (`training.folds
   * .rotateEvery`). `paper`: 16, `--fold_epochs 4` rounds of 2 + 2 epochs (times 2 with `epoch:
   * 'dataset'`, whose epoch is two folds); `tiny`: 1 (about 4 of its 40-step rounds on the 2520
   * built-in images).
   */
  readonly foldEpochs?: number;
  /** Steps of phase A and phase B per cycle (`paper`: 2 epochs each; `tiny`: 20 and 20). */
  readonly phaseSteps?: readonly [number, number];
  /** Override loss weights (README command by default). */
  readonly weights?: Partial<StormWeights>;
  /** The semantic content branch (`--sem_content`, on in the README command). Default true. */
  readonly semantic?: boolean;
  /**
   * `--sem_use_aug`: the semantic branch sees its own random views of `x` (query) and of the
   * detached keys: RRC scale (0.5, 1), flip, colour jitter 0.4 (hue 0.1) p 0.8, grayscale p 0.2,
   * blur p 0.1 (methods.md 3.4). Default true (set in the README's recommended command).
   */
  readonly semanticViews?: boolean;
  /** `--sem_two_styles`: a second key `G_A(x, y')`, the two InfoNCE terms averaged. Default true (README command). */
  readonly semanticTwoStyles?: boolean;
  /** Q9: the semantic branch also trains in phase B on `(x, recon)` (`helpers.py: train_step_phase_B`). Default true. */
  readonly semanticPhaseB?: boolean;
  /** Q7: the semantic lr schedule, `step` (default: `training/scheduler.py`, the one in effect) or `epoch`. */
  readonly semanticSchedule?: 'step' | 'epoch';
  /**
   * The semantic branch's optimiser and key EMA: `reference` (AdamW 1e-4 on `semanticSchedule`,
   * weight decay 1e-4, key EMA 0.999: `train_style_disentangle.py`, for a branch started from a
   * MoCo v3 checkpoint, `--init semBackbone=FILE`) or `tiny` (the `tiny` contrastive recipe, AdamW
   * 6e-3 warm-up/cosine, wd 0.05, key EMA 0.99 -> 1: a branch trained from scratch moves in a few
   * hundred steps). Default: `paper` `reference`, `tiny` `tiny`.
   */
  readonly semanticOptimizer?: 'reference' | 'tiny';
  /**
   * The style bank (2000 past `y`, all of phase B's styles drawn from it) and the replay of past
   * `far` (50, 30% of the batch) of phase B (`helpers.py`, `style_bank` / `replay` deques), as
   * `Value.memory`: state of the compiled step, checkpointed. Default true.
   */
  readonly memory?: boolean;
  /**
   * Which style encoder the `style` representation (tok6) reads: `G_B` (default: `config.py`
   * `--sup_from GB`, Q8, G_B's student style encoder) or `T_A` (the phase-A teacher).
   */
  readonly styleFrom?: 'G_B' | 'T_A';
  /**
   * `intended` (default) or `code`, for the reference's quirks: Q1 Style-JEPA weight 2
   * (`--lambda_jepa 2`) vs 0.15 (the code reads `--lambda_jepa_style`); Q3 teacher-token weight
   * ramped linearly 5 -> 50 over 20 of 41 epochs (`--style_lambda_min 5 --style_lambda_sched linear`)
   * vs fixed 50 (`get_style_lambda` never runs); Q5 Style-JEPA predictor trained with G_A vs a
   * frozen random net (`train_style_disentangle.py` never gives it to an optimizer).
   */
  readonly quirks?: 'intended' | 'code';
  /**
   * The generators' SPADE residual blocks: `reference` (default; `models/backbone.py`
   * `SPADEResBlock`: a ReLU after the residual add, map branch and token MLP `spadeHidden` wide,
   * 128 for `paper`, 16 for `tiny`) or `plain` (no ReLU after the add, `mapChannels` wide).
   */
  readonly spadeBlock?: 'reference' | 'plain';
  /**
   * Factors on the style image fed to a generator (Q6; `helpers.py` `apply_style_gain`, the image
   * branch since the generator has no `build_style_cond`): `[phase A (G_A making far), phase B
   * (G_B's style x)]`. Default `[10, 1.5]` (`config.py --style_gain_A 10 --style_gain_B 1.5`);
   * `[1, 1]` turns it off. G_A making phase B's inputs and the second semantic style get none, as
   * in the reference. The images are in `[0, 1]` here (the reference's are in `[-1, 1]`).
   */
  readonly styleGain?: readonly [number, number];
  /**
   * The phase-B teacher T_B also moves in phase A (after G_A's step, towards the unchanged G_B),
   * as `helpers.py: train_step_phase_A` updates both teachers. Default true; false: only in B.
   */
  readonly teacherBInPhaseA?: boolean;
  /**
   * Phase B's teacher-token weight lambda_styB: `adaptive` (default; `helpers.py
   * train_step_phase_B`: starts at `weights.styleB`, times `1 + 0.1 (d - 0.06) / 0.06` with `d`
   * the token distance of the step, clipped to `[1e-4, 2]`, every 1000 steps, the README
   * command's `--tb_freq`; `tiny`: every 10) or `fixed` at `weights.styleB`.
   */
  readonly styleWeightB?: 'adaptive' | 'fixed';
  /**
   * SWD Laplacian-pyramid bands (`models/losses_nce.py swd_loss_images`; Q11: `--swd_levels 64`
   * is capped at all the size allows): `paper` 9 (256 px), `tiny` 6 (32 px). 1: single level.
   */
  readonly swdLevels?: number;
  /** The adversarial term of phase B with its own discriminator `D_B` (`--adv_enable_B`). Default false. */
  readonly adversarialB?: boolean;
  /** The `fused` representation through an untrained FusionHead (needs `semantic`). Default true. */
  readonly fused?: boolean;
}
