/**
 * Loss IR. Every loss is a scalar (mean over the batch unless stated). Inputs are value
 * expressions (see `node.ts`); targets that must not receive gradient are wrapped in
 * `StopGradient` or come from an EMA module. References: methods.md sections 1.2, 2.3, 3.5.
 */
import type { Schedule } from './schedule.js';
import type { ValueExpr } from './node.js';

/**
 * MoCo v3 contrastive loss `CE(norm(q) norm(k)^T / tau, diag)`, times `2 tau` when
 * `scale = 'twoTau'`. `query`, `key`: vector `[B, D]`.
 */
export interface InfoNCE {
  readonly _tag: 'InfoNCE';
  readonly query: ValueExpr;
  readonly key: ValueExpr;
  readonly temperature: Schedule;
  readonly scale: 'twoTau' | 'none';
}

/**
 * MoCo v2-style InfoNCE with a FIFO queue of past keys as negatives:
 * `CE([q k+, q queue] / tau, 0)` on L2-normalised vectors. Keys are enqueued after the step.
 */
export interface InfoNCEQueue {
  readonly _tag: 'InfoNCEQueue';
  readonly query: ValueExpr;
  readonly key: ValueExpr;
  readonly temperature: Schedule;
  readonly queueSize: number;
}

/** Huber / smooth-L1 with threshold `beta`, mean over all elements (I-JEPA, beta = 1). */
export interface SmoothL1 {
  readonly _tag: 'SmoothL1';
  readonly pred: ValueExpr;
  readonly target: ValueExpr;
  readonly beta: number;
}

/** Mean squared error over all elements. */
export interface L2 {
  readonly _tag: 'L2';
  readonly pred: ValueExpr;
  readonly target: ValueExpr;
}

/** Mean absolute error over all elements. */
export interface L1 {
  readonly _tag: 'L1';
  readonly pred: ValueExpr;
  readonly target: ValueExpr;
}

/** LSGAN generator side: `mean((D(fake) - 1)^2)`. `fake`: discriminator logits on generated images. */
export interface LsganGenerator {
  readonly _tag: 'LsganGenerator';
  readonly fake: ValueExpr;
}

/** LSGAN discriminator side: `mean((D(real) - 1)^2) + mean(D(fake)^2)`. */
export interface LsganDiscriminator {
  readonly _tag: 'LsganDiscriminator';
  readonly real: ValueExpr;
  readonly fake: ValueExpr;
}

/**
 * R1 penalty `0.5 * gamma * E |grad_x D(x)|^2` on real images, for discriminator `module`,
 * applied every `every` steps (ST-STORM: gamma 10, every 16).
 */
export interface R1 {
  readonly _tag: 'R1';
  readonly module: string;
  readonly real: ValueExpr;
  readonly gamma: number;
  readonly every: number;
}

/**
 * PatchNCE (CUT): for each sampled position of `query` features, the same position of `key`
 * is the positive and `patches - 1` other positions the negatives; temperature 0.07.
 * `query`, `key`: image feature maps `[B, h, w, C]` (or a struct of layers, weighted equally).
 */
export interface PatchNce {
  readonly _tag: 'PatchNce';
  readonly query: ValueExpr;
  readonly key: ValueExpr;
  readonly temperature: number;
  readonly patches: number;
}

/**
 * ST-STORM token loss: L1 between style tokens `tokens[B, S, D]`, token 0 (global) weighted 1 and
 * the mean over the remaining tokens weighted 1.
 */
export interface TokenL1 {
  readonly _tag: 'TokenL1';
  readonly pred: ValueExpr;
  readonly target: ValueExpr;
}

/** L1 between per-channel log-amplitude spectra (orthonormal 2-D FFT) of two images. */
export interface FftAmplitudeL1 {
  readonly _tag: 'FftAmplitudeL1';
  readonly pred: ValueExpr;
  readonly target: ValueExpr;
}

/**
 * Sliced Wasserstein distance between the distributions of normalised `patch x patch` patches of
 * two image batches, with `projections` random directions and at most `maxPatches` patches,
 * averaged over the `levels` bands of a Laplacian pyramid (`levels - 1` detail bands from 2x2
 * average pooling and bilinear upsampling, then the low-pass; `1`: the images themselves; at
 * most `1 + floor(log2(min(H, W)))`).
 */
export interface SlicedWasserstein {
  readonly _tag: 'SlicedWasserstein';
  readonly pred: ValueExpr;
  readonly target: ValueExpr;
  readonly projections: number;
  readonly patch: number;
  readonly maxPatches: number;
  readonly levels: number;
}

/** The most bands a Laplacian pyramid of an `h x w` image has: `1 + floor(log2(min(h, w)))`. */
export const maxPyramidLevels = (h: number, w: number): number =>
  1 + Math.floor(Math.log2(Math.max(1, Math.min(h, w))));

/** VICReg variance hinge: `mean_d relu(gamma - sqrt(var_d + eps))` over vector or token features. */
export interface VicregVariance {
  readonly _tag: 'VicregVariance';
  readonly x: ValueExpr;
  readonly gamma: number;
  readonly eps: number;
}

/** VICReg covariance: sum of squared off-diagonal covariance entries divided by `D`. */
export interface VicregCovariance {
  readonly _tag: 'VicregCovariance';
  readonly x: ValueExpr;
}

/**
 * ST-STORM SPADE gate regulariser over every SpadeResBlock in `module`:
 * `mean_layers relu(margin * softplus(a_s) - softplus(a_g))` (margin 0.75).
 */
export interface SpadeGate {
  readonly _tag: 'SpadeGate';
  readonly module: string;
  readonly margin: number;
}

/**
 * Style-JEPA loss: `mean over masked positions of w_s |pred - norm(target)|^2`.
 * `pred`, `target`: tokens `[B, S, D]`; `mask`: mask `[B, S]`; `weights`: S numbers.
 */
export interface MaskedTokenL2 {
  readonly _tag: 'MaskedTokenL2';
  readonly pred: ValueExpr;
  readonly target: ValueExpr;
  readonly mask: ValueExpr;
  readonly weights: ReadonlyArray<number>;
}

/** Every loss kind. */
export type LossNode =
  | InfoNCE
  | InfoNCEQueue
  | SmoothL1
  | L2
  | L1
  | LsganGenerator
  | LsganDiscriminator
  | R1
  | PatchNce
  | TokenL1
  | FftAmplitudeL1
  | SlicedWasserstein
  | VicregVariance
  | VicregCovariance
  | SpadeGate
  | MaskedTokenL2;

/** The tag of a loss node. */
export type LossTag = LossNode['_tag'];

/** All loss tags, for messages that list the known ones. */
export const LOSS_TAGS: ReadonlyArray<LossTag> = [
  'InfoNCE',
  'InfoNCEQueue',
  'SmoothL1',
  'L2',
  'L1',
  'LsganGenerator',
  'LsganDiscriminator',
  'R1',
  'PatchNce',
  'TokenL1',
  'FftAmplitudeL1',
  'SlicedWasserstein',
  'VicregVariance',
  'VicregCovariance',
  'SpadeGate',
  'MaskedTokenL2',
];
