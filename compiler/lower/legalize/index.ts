/**
 * Backend legalization: the kernels the lowered nets call, chosen per backend. Nets never call
 * `tf.conv2d`, `tf.matMul` or `tf.gather` directly; they call `kernels.conv2d(...)` etc., so a
 * backend that lacks a kernel (wasm: Conv2DBackpropFilter, UnsortedSegmentSum), runs one slowly
 * (wasm: transposed and batched matMul) gets a rewrite that trains, and fast. One op is rewritten
 * everywhere: nearest upsampling, whose cpu gradient is wrong in TF.js 4.22 (resize.ts).
 *
 * `cpu` (and `tensorflow`, which has every kernel) use the plain TF.js ops: the numerical
 * reference every wasm rule is tested against (forward and gradients, relative error <= 1e-4).
 */
import * as tf from '@tensorflow/tfjs';
import { channelAffineLegal, channelAffinePlain } from './affine.js';
import { conv2dLegal, conv2dPlain, type ConvOptions } from './conv.js';
import { mergeHeadsLegal, mergeHeadsPlain, splitHeadsLegal, splitHeadsPlain } from './heads.js';
import { gatherTokensLegal, gatherTokensPlain } from './gather.js';
import { upsample2Legal, upsample2Plain } from './resize.js';
import { batchMatMulLegal, batchMatMulPlain, matMulLegal, matMulPlain } from './matmul.js';

export type { ConvOptions, ConvPadding } from './conv.js';
export { padAmounts } from './conv.js';

/** The kernel implementations lowered nets call. */
export interface Kernels {
  /** Which rule set this is (`wasm`, `reference`, or either with fused inference kernels). */
  readonly name: 'wasm' | 'reference' | 'wasm+fused' | 'reference+fused';
  /** A dense layer `x [m, k] . w [k, n] (+ bias [n]) -> [m, n]`. */
  readonly dense: (x: tf.Tensor2D, w: tf.Tensor2D, bias?: tf.Tensor) => tf.Tensor2D;
  /** `x [..., C] * gamma [C] + beta [C]`, either part optional (biases, norms' affine parts). */
  readonly affine: (x: tf.Tensor, gamma?: tf.Tensor, beta?: tf.Tensor) => tf.Tensor;
  /** Attention's fused projection `[B, N, parts*H*dh]` -> `parts` head-major `[H*B, N, dh]`. */
  readonly splitHeads: (x: tf.Tensor3D, parts: number, heads: number) => tf.Tensor3D[];
  /** The inverse of `splitHeads`: `parts` x `[H*B, N, dh]` -> `[B, N, parts*H*dh]`. */
  readonly mergeHeads: (parts: ReadonlyArray<tf.Tensor3D>, heads: number) => tf.Tensor3D;
  /** `x [B, H, W, in]`, `w [k, k, in, out]` -> `[B, Ho, Wo, out]`; defaults stride 1, `valid`, dilation 1. */
  readonly conv2d: (x: tf.Tensor4D, w: tf.Tensor4D, opts?: ConvOptions) => tf.Tensor4D;
  /** `op(a) [m, k] . op(b) [k, n] -> [m, n]`. */
  readonly matMul: (
    a: tf.Tensor2D,
    b: tf.Tensor2D,
    transposeA?: boolean,
    transposeB?: boolean,
  ) => tf.Tensor2D;
  /** `op(a) [g, m, k] . op(b) [g, k, n] -> [g, m, n]`. */
  readonly batchMatMul: (
    a: tf.Tensor3D,
    b: tf.Tensor3D,
    transposeA?: boolean,
    transposeB?: boolean,
  ) => tf.Tensor3D;
  /** `x [B, N, D]`, `index [B, K]` -> `[B, K, D]`; `index [T, B, K]` -> `[T*B, K, D]`. */
  readonly gatherTokens: (x: tf.Tensor3D, index: tf.Tensor) => tf.Tensor3D;
  /** Nearest-neighbour x2 upsampling: `[B, h, w, C] -> [B, 2h, 2w, C]`. */
  readonly upsample2: (x: tf.Tensor4D) => tf.Tensor4D;
}

/** A dense layer `x [m, k] . w [k, n] (+ bias [n]) -> [m, n]` over the given kernels. */
const denseWith =
  (
    matMul: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D,
    affine: Kernels['affine'],
  ): Kernels['dense'] =>
  (x, w, bias) =>
    bias === undefined ? matMul(x, w) : (affine(matMul(x, w), undefined, bias) as tf.Tensor2D);

/** Plain TF.js ops: the reference (cpu) and backends that have every kernel (tensorflow). */
export const referenceKernels: Kernels = {
  name: 'reference',
  dense: denseWith(matMulPlain, channelAffinePlain),
  affine: channelAffinePlain,
  splitHeads: splitHeadsPlain,
  mergeHeads: mergeHeadsPlain,
  conv2d: conv2dPlain,
  matMul: matMulPlain,
  batchMatMul: batchMatMulPlain,
  gatherTokens: gatherTokensPlain,
  // not tf.image.resizeNearestNeighbor: its cpu gradient is wrong for batch > 1 (resize.ts)
  upsample2: upsample2Legal,
};

/** wasm: every rule rewritten to train there, on its fast kernels. */
export const wasmKernels: Kernels = {
  name: 'wasm',
  dense: denseWith(matMulLegal, channelAffineLegal),
  affine: channelAffineLegal,
  splitHeads: splitHeadsLegal,
  mergeHeads: mergeHeadsLegal,
  conv2d: conv2dLegal,
  matMul: matMulLegal,
  batchMatMul: batchMatMulLegal,
  gatherTokens: gatherTokensLegal,
  upsample2: upsample2Plain,
};

const table: Readonly<Record<string, Kernels>> = {
  wasm: wasmKernels,
  cpu: referenceKernels,
  tensorflow: referenceKernels,
};

/** The kernels for a backend name (`tf.getBackend()`); unknown backends get the reference ops. */
export const legalizeFor = (backend: string): Kernels => table[backend] ?? referenceKernels;

/**
 * The same kernels with fused inference products (`tf.fused.matMul`: product + bias in one
 * kernel), for nodes no gradient flows through (fusion pass 6). Their gradients are TF.js's
 * own, slow on wasm: never use them on a gradient tape.
 */
export const withFusion = (k: Kernels): Kernels => ({
  ...k,
  name: k.name === 'wasm' || k.name === 'wasm+fused' ? 'wasm+fused' : 'reference+fused',
  dense: (x, w, bias) =>
    tf.fused.matMul({ a: x, b: w, ...(bias === undefined ? {} : { bias }) }) as tf.Tensor2D,
});
