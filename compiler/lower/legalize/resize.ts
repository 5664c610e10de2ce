/**
 * Nearest-neighbour x2 upsampling (the U-Net decoder). TF.js 4.22's cpu kernel
 * `ResizeNearestNeighborGrad` is wrong for a batch > 1 (e.g. `[2, 2, 2, 1]`: the second image gets
 * the wrong gradient; wasm's kernel is right), and the cpu backend is our numerical reference. So
 * the reference duplicates pixels with reshapes and concatenations (gradients are slices), while
 * wasm keeps `resizeNearestNeighbor`, ~3x faster there (bench/kernels.ts). Tests check both
 * against the analytic gradient (2x2 block sums).
 */
import * as tf from '@tensorflow/tfjs';

/** Repeats every pixel 2x2 with reshapes and concats: `[B, h, w, C] -> [B, 2h, 2w, C]`. */
export const upsample2Legal = (x: tf.Tensor4D): tf.Tensor4D => {
  const [b, h, w, c] = x.shape;
  const cols = x.reshape([b * h * w, 1, c]);
  const wide = tf.concat([cols, cols], 1).reshape([b * h, 1, 2 * w * c]);
  return tf.concat([wide, wide], 1).reshape([b, 2 * h, 2 * w, c]);
};

/** TF.js's own op: the wasm rule (its cpu gradient is wrong for some shapes). */
export const upsample2Plain = (x: tf.Tensor4D): tf.Tensor4D =>
  tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2]);
