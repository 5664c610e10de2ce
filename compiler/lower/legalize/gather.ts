/**
 * Token gathers with a gradient on wasm. TF.js differentiates `gather` with `UnsortedSegmentSum`,
 * a kernel wasm lacks, so a ViT `keep` port or an I-JEPA gather cannot train there. Here the
 * gradient is a `scatterND` (which wasm has, and which sums duplicate indices, as needed when
 * several target blocks pick the same patch): `kernels/simdLayout.ts`'s row gather, whose forward
 * is tessera's kernel where it applies.
 */
import * as tf from '@tensorflow/tfjs';
import { gatherRowsFast } from '../kernels/simdLayout.js';

/**
 * Flat row indices into `[B * N, D]`: `index [B, K]` -> `[B*K]`, or `index [T, B, K]` -> `[T*B*K]`,
 * each `index[..., b, k] + b * N`.
 */
const flatIndex = (index: tf.Tensor, batch: number, count: number): tf.Tensor1D => {
  const offsets = tf.range(0, batch * count, count, 'int32').reshape([batch, 1]);
  return tf.add(tf.cast(index, 'int32'), offsets).reshape([-1]) as tf.Tensor1D;
};

/** Output shape: `[B, K, D]` for a rank-2 index, `[T*B, K, D]` for a rank-3 one. */
const outShape = (index: tf.Tensor, dim: number): [number, number, number] => {
  const k = index.shape[index.rank - 1]!;
  return [index.size / k, k, dim];
};

/**
 * Gathers tokens: `x [B, N, D]` with `index [B, K]` -> `[B, K, D]`, or `index [T, B, K]` ->
 * `[T*B, K, D]` (target-major), as one row gather (`gatherRowsFast`: the kernel on wasm, gradient
 * via `scatterND`). The index gets no gradient.
 */
export const gatherTokensLegal = (x: tf.Tensor3D, index: tf.Tensor): tf.Tensor3D => {
  const [b, n, d] = x.shape;
  const rows = gatherRowsFast(x.reshape([b * n, d]), flatIndex(index, b, n));
  return rows.reshape(outShape(index, d));
};

/** The reference: the same gather with TF.js's own gradient (UnsortedSegmentSum). */
export const gatherTokensPlain = (x: tf.Tensor3D, index: tf.Tensor): tf.Tensor3D => {
  const [b, n, d] = x.shape;
  return tf.gather(x.reshape([b * n, d]), flatIndex(index, b, n)).reshape(outShape(index, d));
};
