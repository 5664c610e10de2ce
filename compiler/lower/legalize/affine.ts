/**
 * Per-channel affine maps `x * gamma + beta` (`gamma`, `beta` of shape `[C]`, broadcast over every
 * leading axis of `x [..., C]`): dense biases and norms' affine parts. TF.js differentiates the
 * broadcast with a `Sum` over the leading axes, which the wasm backend runs as a transpose then a
 * reduction (e.g. 3 ms for `[4160, 256] -> [256]`); the wasm rule sums the rows as one product on
 * tessera's SIMD kernel instead (`rowSums.ts`: one pass, no transpose).
 */
import * as tf from '@tensorflow/tfjs';
import { simdMatmulAvailable } from '../kernels/simdMatmul.js';
import { columnSums } from './rowSums.js';
import { withGrad } from './custom.js';

/** `x * gamma + beta`, either part optional, as TF.js broadcasting ops (the reference). */
export const channelAffinePlain = (
  x: tf.Tensor,
  gamma?: tf.Tensor,
  beta?: tf.Tensor,
): tf.Tensor => {
  const scaled = gamma === undefined ? x : tf.mul(x, gamma);
  return beta === undefined ? scaled : tf.add(scaled, beta);
};

/**
 * wasm rule: `x * gamma + beta` as one taped op whose parameter gradients are `columnSums`
 * (`dgamma = sum(dy * x)`, `dbeta = sum(dy)`); the plain ops where the SIMD kernel cannot run.
 * Differentiable twice (its gradient is made of differentiable ops).
 */
export const channelAffineLegal = (
  x: tf.Tensor,
  gamma?: tf.Tensor,
  beta?: tf.Tensor,
): tf.Tensor => {
  const c = x.shape[x.rank - 1];
  const perChannel = [gamma, beta].every((p) => p === undefined || p.size === c);
  if (!simdMatmulAvailable() || !perChannel || (gamma === undefined && beta === undefined))
    return channelAffinePlain(x, gamma, beta);
  const params = [gamma, beta].filter((p): p is tf.Tensor => p !== undefined);
  return withGrad<tf.Tensor>(([xi, ...ps], save) => {
    const g = gamma === undefined ? undefined : ps[0]!;
    save([xi!, ...(g === undefined ? [] : [g])]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, gs] = saved as [tf.Tensor, tf.Tensor | undefined];
      return [
        gs === undefined ? dy : tf.mul(dy, gs),
        ...(gs === undefined ? [] : [columnSums(tf.mul(dy, xs)).reshape(gs.shape)]),
        ...(beta === undefined ? [] : [columnSums(dy).reshape(beta.shape)]),
      ];
    };
    return {
      value: channelAffinePlain(xi!, g, beta === undefined ? undefined : ps.at(-1)),
      gradFunc,
    };
  })(x, ...params);
};
