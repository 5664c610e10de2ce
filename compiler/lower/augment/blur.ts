/**
 * Gaussian blur with a per-image sigma, as one separable depthwise convolution over the whole
 * batch: the batch is moved into the channel axis (`[B, H, W, C]` -> `[1, H, W, B*C]`) so each
 * image gets its own 1-D kernel; borders are reflected (torchvision's `gaussian_blur` padding).
 * `DepthwiseConv2dNative` and `MirrorPad` both have wasm kernels (forward is all we need).
 */
import * as tf from '@tensorflow/tfjs';
import type { GaussianBlur } from '../../ir/augment.js';
import type { Rng } from '../../ir/rng.js';

/**
 * The normalized 1-D Gaussian kernel `exp(-x^2 / (2 sigma^2)) / sum`, `x = -(k-1)/2 .. (k-1)/2`.
 * `sigma <= 0` gives the identity (a centred delta).
 */
export const gaussianKernel = (sigma: number, size: number): Float32Array => {
  const half = (size - 1) / 2;
  const k = Float64Array.from({ length: size }, (_, i) =>
    sigma > 0 ? Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)) : i === half ? 1 : 0,
  );
  const total = k.reduce((s, v) => s + v, 0);
  return Float32Array.from(k, (v) => v / total);
};

/**
 * The kernel size for a blur node on an image of side `side`: `node.kernel` if set, else
 * `2 ceil(3 sigma_max) + 1`; always odd and at most the largest odd number `<= 2 side - 1`
 * (reflect padding needs `pad < side`).
 */
export const blurKernelSize = (node: GaussianBlur, side: number): number => {
  const wanted = node.kernel > 0 ? node.kernel : 2 * Math.ceil(3 * node.sigma[1]) + 1;
  const odd = wanted % 2 === 1 ? wanted : wanted + 1;
  return Math.max(1, Math.min(odd, 2 * side - 1));
};

/**
 * Blurs image `i` with `sigmas[i]` (`0`: untouched) using `size`-tap kernels.
 * `images [B, H, W, C]` -> same shape.
 */
export const applyBlur = (
  images: tf.Tensor4D,
  sigmas: ArrayLike<number>,
  size: number,
): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = images.shape;
    const pad = (size - 1) / 2;
    const taps = new Float32Array(size * b * c);
    for (let i = 0; i < b; i++) {
      const k = gaussianKernel(sigmas[i]!, size);
      for (let t = 0; t < size; t++)
        for (let ch = 0; ch < c; ch++) taps[t * b * c + i * c + ch] = k[t]!;
    }
    const packed = tf.reshape(tf.transpose(images, [1, 2, 0, 3]), [1, h, w, b * c]) as tf.Tensor4D;
    const padded = tf.mirrorPad(
      packed,
      [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ],
      'reflect',
    );
    const vertical = tf.depthwiseConv2d(padded, tf.tensor4d(taps, [size, 1, b * c, 1]), 1, 'valid');
    const both = tf.depthwiseConv2d(vertical, tf.tensor4d(taps, [1, size, b * c, 1]), 1, 'valid');
    return tf.transpose(tf.reshape(both, [h, w, b, c]), [2, 0, 1, 3]) as tf.Tensor4D;
  });

/** Per-image sigmas: `U(sigma)` with probability `p`, else `0` (no blur). */
export const sampleSigmas = (node: GaussianBlur, batch: number, rng: Rng): Float32Array =>
  Float32Array.from({ length: batch }, () => {
    const apply = rng.bernoulli(node.p);
    const sigma = rng.uniform(node.sigma[0], node.sigma[1]);
    return apply ? sigma : 0;
  });

/** Gaussian blur of a batch with per-image sigma drawn from `rng`. */
export const gaussianBlur = (images: tf.Tensor4D, node: GaussianBlur, rng: Rng): tf.Tensor4D =>
  applyBlur(
    images,
    sampleSigmas(node, images.shape[0], rng),
    blurKernelSize(node, Math.min(images.shape[1], images.shape[2])),
  );
