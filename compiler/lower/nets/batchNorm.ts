/**
 * BatchNorm in training as one taped op: statistics per view group (view batching concatenates
 * `groups` views; each is normalised by its own statistics, as if it ran alone), the affine part
 * included, and the closed-form gradient
 * `dx = gamma rstd (dy - mean(dy) - xhat mean(dy xhat))`, `dgamma = sum(dy xhat)`, `dbeta = sum(dy)`.
 *
 * Every reduction over the batch and spatial axes is a batched product `ones [G, 1, n] . x [G, n, C]`
 * (`legalize/rowSums.ts`; on wasm tessera's SIMD kernel). Through `tf.moments` and its derived
 * gradient they were ~15% of a MoCo v3 `tiny` ResNet step's kernel time.
 */
import * as tf from '@tensorflow/tfjs';
import type { Kernels } from '../legalize/index.js';
import { withGrad } from '../legalize/custom.js';
import { groupSums } from '../legalize/rowSums.js';

/** The affine part of a norm: `gamma [C]`, `beta [C]`. */
export interface Affine {
  readonly gamma: tf.Tensor;
  readonly beta: tf.Tensor;
}

/** The output of a training BatchNorm and the batch statistics it used, per group. */
export interface BatchNormResult {
  readonly y: tf.Tensor;
  /** Batch mean per group and channel, `[G, C]`. */
  readonly mean: tf.Tensor2D;
  /** Biased batch variance per group and channel, `[G, C]`. */
  readonly variance: tf.Tensor2D;
}

/**
 * Normalises `x [G*b, ..., C]` over every axis but the channels, per group of `b` samples, then
 * applies `affine` when given. `mean` and `variance` carry no gradient (they feed running stats).
 */
export const batchNormTrain = (
  kernels: Kernels,
  x: tf.Tensor,
  groups: number,
  eps: number,
  affine?: Affine,
): BatchNormResult => {
  const c = x.shape[x.rank - 1]!;
  const m = x.size / c;
  const n = m / groups;
  const perGroup = (t: tf.Tensor): tf.Tensor => t.reshape([groups, 1, c]);
  let stats: { mean: tf.Tensor2D; variance: tf.Tensor2D } | undefined;
  const op = withGrad<tf.Tensor>(([xi, gamma, beta], save) => {
    const grouped = xi!.reshape([groups, n, c]);
    const mean = tf.div(groupSums(kernels.batchMatMul, grouped as tf.Tensor3D), n) as tf.Tensor2D;
    const centred = tf.sub(grouped, perGroup(mean));
    const variance = tf.div(
      groupSums(kernels.batchMatMul, tf.square(centred) as tf.Tensor3D),
      n,
    ) as tf.Tensor2D;
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(centred, perGroup(rstd));
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    save(gamma === undefined ? [xhat, rstd] : [xhat, rstd, gamma]);
    const y = gamma === undefined ? xhat : tf.add(tf.mul(xhat, gamma), beta!);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xh, r, g] = saved as [tf.Tensor, tf.Tensor2D, tf.Tensor | undefined];
      const d = dy.reshape([groups, n, c]);
      const sumDy = groupSums(kernels.batchMatMul, d as tf.Tensor3D);
      const sumDyX = groupSums(kernels.batchMatMul, tf.mul(d, xh) as tf.Tensor3D);
      const scale = g === undefined ? r : tf.mul(r, g);
      const dx = tf
        .mul(
          tf.sub(tf.sub(d, perGroup(tf.div(sumDy, n))), tf.mul(xh, perGroup(tf.div(sumDyX, n)))),
          perGroup(scale),
        )
        .reshape(xi!.shape);
      return g === undefined ? [dx] : [dx, tf.sum(sumDyX, 0), tf.sum(sumDy, 0)];
    };
    return { value: y.reshape(xi!.shape), gradFunc };
  });
  const y = affine === undefined ? op(x) : op(x, affine.gamma, affine.beta);
  return { y, ...stats! };
};
