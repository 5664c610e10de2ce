/**
 * Sums over the rows of a tensor as one batched product `ones [G, 1, n] . x [G, n, C]`. TF.js's
 * wasm `Sum` / `Mean` over leading axes transpose their input first (2.5-2.7 ms on `[2, 8192, 32]`
 * against 0.5-0.7 ms for the product on tessera's SIMD kernel; a 2-D product is slower still,
 * XNNPACK repacking the fresh operand each call). BatchNorm's statistics and gradients and the
 * parameter gradients of biases and affine parts use them.
 */
import * as tf from '@tensorflow/tfjs';
import { batchMatMulSimd } from '../kernels/simdMatmul.js';

/** A batched product `a [g, m, k] . b [g, k, n]` (a `Kernels['batchMatMul']`). */
type BatchMatMul = (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/** Sums over the rows of each group: `[G, n, C] -> [G, C]`, through the given product kernel. */
export const groupSums = (batchMatMul: BatchMatMul, x: tf.Tensor3D): tf.Tensor2D => {
  const [g, n, c] = x.shape;
  return batchMatMul(tf.ones([g, 1, n]), x).reshape([g, c]);
};

/** Sums over every axis but the last: `[..., C] -> [C]`, on the SIMD kernel (wasm only). */
export const columnSums = (x: tf.Tensor): tf.Tensor1D => {
  const c = x.shape[x.rank - 1]!;
  return groupSums(batchMatMulSimd, x.reshape([1, x.size / c, c])).reshape([c]);
};
