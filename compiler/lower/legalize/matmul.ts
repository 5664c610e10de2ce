/**
 * Matrix products that are fast on wasm. There, `matMul(a, b, false, true)` runs ~13x slower than
 * a plain product (measured in `bench/kernels.ts`), and TF.js's own matMul gradient uses exactly
 * that form (`dA = dy . B^T`). So transposes are made explicit (a 2-D transpose is cheap) and the
 * gradient is written with plain products only. Batched products (attention scores) are either
 * the native batched kernel or a loop of 2-D products, whichever the shape favours on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { matMul2d } from '../kernels/matmul.js';
import { batchMatMulSimd, simdMatmulAvailable } from '../kernels/simdMatmul.js';
import { transposeFast } from '../kernels/simdLayout.js';

/** 2-D product `op(a) . op(b)` with explicit transposes (wasm rule). */
export const matMulLegal = (
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  transposeA = false,
  transposeB = false,
): tf.Tensor2D => matMul2d(transposeA ? transposeFast(a) : a, transposeB ? transposeFast(b) : b);

/** The reference: TF.js's `matMul` as is. */
export const matMulPlain = (
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  transposeA = false,
  transposeB = false,
): tf.Tensor2D => tf.matMul(a, b, transposeA, transposeB);

/**
 * Per-slice work (`m * k * n` multiply-adds) from which a loop of 2-D products beats the native
 * batched kernel on wasm. Measured (bench/kernels.ts, noisy shared 2-core machine): native wins
 * ~10x at 65x64x65 (0.27M) and ~1.6x at 197x32x197 (1.2M); the loop wins ~1.5x at 197x64x197
 * (2.5M) and ~1.9x at 257x64x257 (4.2M).
 */
export const LOOP_THRESHOLD = 2_000_000;

/** Batched `op(a) [g, m, k] . op(b) [g, k, n] -> [g, m, n]` as a loop of legal 2-D products. */
export const batchMatMulLoop = (
  a: tf.Tensor3D,
  b: tf.Tensor3D,
  transposeA = false,
  transposeB = false,
): tf.Tensor3D => {
  const as = tf.unstack(transposeA ? transposeFast(a) : a) as tf.Tensor2D[];
  const bs = tf.unstack(transposeB ? transposeFast(b) : b) as tf.Tensor2D[];
  return tf.stack(as.map((ai, i) => matMul2d(ai, bs[i]!))) as tf.Tensor3D;
};

/**
 * Batched product with the native kernel, transposes passed as flags. TF.js's own gradient is
 * kept: it calls the same kernel with flags (`dA = dy . B^T` as `matMul(dy, b, false, true)`),
 * which the native batched kernel runs as fast as a plain product (unlike the 2-D XNNPACK path);
 * explicit transposes cost two more kernels per product and gradient (measured, 256 slices of
 * 65x16x65, forward + backward: 44 -> 40 ms for QK^T, 40 -> 39 ms for PV).
 */
export const batchMatMulNative = (
  a: tf.Tensor3D,
  b: tf.Tensor3D,
  transposeA = false,
  transposeB = false,
): tf.Tensor3D => tf.matMul(a, b, transposeA, transposeB);

/**
 * wasm rule: for small slices, tessera's SIMD kernel (`kernels/simdMatmul.ts`; 4-8x the native
 * batched kernel on attention's `[256, 65, 16]` products, interleaved on a loaded machine) or,
 * where it cannot run, the native batched kernel; a loop of 2-D products for large slices.
 */
export const batchMatMulLegal = (
  a: tf.Tensor3D,
  b: tf.Tensor3D,
  transposeA = false,
  transposeB = false,
): tf.Tensor3D => {
  const m = transposeA ? a.shape[2] : a.shape[1];
  const k = transposeA ? a.shape[1] : a.shape[2];
  const n = transposeB ? b.shape[1] : b.shape[2];
  const work = m * k * n;
  if (work >= LOOP_THRESHOLD) return batchMatMulLoop(a, b, transposeA, transposeB);
  return simdMatmulAvailable()
    ? batchMatMulSimd(a, b, transposeA, transposeB)
    : batchMatMulNative(a, b, transposeA, transposeB);
};

/** The reference: TF.js's batched `matMul` as is. */
export const batchMatMulPlain = (
  a: tf.Tensor3D,
  b: tf.Tensor3D,
  transposeA = false,
  transposeB = false,
): tf.Tensor3D => tf.matMul(a, b, transposeA, transposeB);
