/**
 * Token gathers with a gradient on wasm. TF.js differentiates `gather` with `UnsortedSegmentSum`,
 * a kernel wasm lacks, so a ViT `keep` port or an I-JEPA gather cannot train there. Here the
 * gradient is a `scatterND` (which wasm has, and which sums duplicate indices, as needed when
 * several target blocks pick the same patch). The forward copy is tessera's row-gather kernel
 * (`kernels/simdLayout.ts`) where it applies.
 */
import * as tf from '@tensorflow/tfjs';
import { withGrad } from './custom.js';
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
 * `[T*B, K, D]` (target-major). Gradient via `scatterND` (wasm rule). The index gets no gradient.
 */
export const gatherTokensLegal = (x: tf.Tensor3D, index: tf.Tensor): tf.Tensor3D => {
  const [b, n, d] = x.shape;
  const flat = flatIndex(index, b, n);
  const shape = outShape(index, d);
  const f = withGrad<tf.Tensor3D>(([xi], save) => {
    save([flat]);
    const value = gatherRowsFast(xi!.reshape([b * n, d]), flat).reshape(shape) as tf.Tensor3D;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor =>
      tf.scatterND(saved[0]!.reshape([-1, 1]), dy.reshape([-1, d]), [b * n, d]).reshape([b, n, d]);
    return { value, gradFunc };
  });
  return f(x);
};

/** The reference: the same gather with TF.js's own gradient (UnsortedSegmentSum). */
export const gatherTokensPlain = (x: tf.Tensor3D, index: tf.Tensor): tf.Tensor3D => {
  const [b, n, d] = x.shape;
  return tf.gather(x.reshape([b * n, d]), flatIndex(index, b, n)).reshape(outShape(index, d));
};
