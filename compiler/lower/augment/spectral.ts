/**
 * ST-STORM spectral noise (methods.md 3.4, `spectral_noise` in RT-STORM-V2): perturb the
 * log-amplitude of each image's 2-D spectrum, more at high frequency, keeping the phase:
 *
 *   X = DFT2(x, ortho);  R = (|f| / max|f|)^gamma;  X' = X exp(sigma R eps);  x' = clamp(IDFT2(X'), 0, 1)
 *
 * with `eps ~ N(0, 1)` per coefficient and channel. The reference draws `eps` on the half
 * spectrum of an `rfft2`; here the full DFT (`compiler/lower/kernels/dft.ts`, matmuls, since wasm
 * has no FFT kernel) is used with Hermitian-symmetric noise (`eps(-k) = eps(k)`), which gives the
 * same distribution and keeps `x'` real.
 */
import * as tf from '@tensorflow/tfjs';
import type { SpectralNoise } from '../../ir/augment.js';
import type { Rng } from '../../ir/rng.js';
import { dft2, idft2Real } from '../kernels/dft.js';
import { gatherRowsFast, transposeFast } from '../kernels/simdLayout.js';

/** numpy's `fftfreq(n)`: `0, 1, ..., -1` divided by `n`. */
const fftfreq = (n: number): number[] =>
  Array.from({ length: n }, (_, k) => (k < Math.ceil(n / 2) ? k : k - n) / n);

/** The frequency weight `R = (|f| / max|f|)^gamma`, `[H, W]` row-major. */
export const frequencyWeight = (h: number, w: number, gamma: number): Float32Array => {
  const fy = fftfreq(h);
  const fx = fftfreq(w);
  const mag = fy.flatMap((y) => fx.map((x) => Math.hypot(y, x)));
  const max = Math.max(...mag);
  return Float32Array.from(mag, (m) => (max > 0 ? (m / max) ** gamma : 0));
};

/**
 * Where each coefficient of an `[H, W]` spectrum takes its noise from: itself where `k <= -k`
 * (row-major flat index), its mirror `-k` elsewhere.
 */
const symmetricSource = (h: number, w: number): Int32Array => {
  const source = new Int32Array(h * w);
  for (let u = 0; u < h; u++)
    for (let v = 0; v < w; v++) {
      const k = u * w + v;
      const mirror = ((h - u) % h) * w + ((w - v) % w);
      source[k] = k <= mirror ? k : mirror;
    }
  return source;
};

/**
 * Makes noise `[B, C, H, W]` Hermitian-symmetric: `eps(k)` is kept where `k <= -k` (row-major),
 * mirrored elsewhere. One row gather of the transposed noise (`[H*W, B*C]`), a copy of selected
 * floats (TF.js's wasm `GatherV2` on the H and W axes took ~1.3 ms per call).
 */
export const symmetrize = (eps: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, c, h, w] = eps.shape;
    const byFrequency = transposeFast(eps.reshape([b * c, h * w]) as tf.Tensor2D);
    const source = tf.tensor1d(symmetricSource(h, w), 'int32');
    const picked = gatherRowsFast(byFrequency, source) as tf.Tensor2D;
    return transposeFast(picked).reshape([b, c, h, w]) as tf.Tensor4D;
  });

/**
 * Applies spectral noise with given raw noise `eps [B, C, H, W]` (symmetrized here) and
 * per-image `sigmas [B]` (`0`: untouched). `images [B, H, W, C]` -> same shape, in `[0, 1]`.
 */
export const applySpectralNoise = (
  images: tf.Tensor4D,
  eps: tf.Tensor4D,
  sigmas: ArrayLike<number>,
  gamma: number,
): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, h, w] = images.shape;
    const r = tf.tensor4d(frequencyWeight(h, w, gamma), [1, 1, h, w]);
    const s = tf.tensor4d(Float32Array.from(sigmas), [b, 1, 1, 1]);
    const gain = tf.exp(tf.mul(tf.mul(s, r), symmetrize(eps))) as tf.Tensor4D;
    const spectrum = dft2(images);
    const out = idft2Real(
      tf.mul(spectrum.re, gain) as tf.Tensor4D,
      tf.mul(spectrum.im, gain) as tf.Tensor4D,
    );
    return tf.clipByValue(out, 0, 1) as tf.Tensor4D;
  });

/** Spectral noise of a batch: per-image coin (`p`) from `rng`, `eps` from a TF.js normal seeded by `rng`. */
export const spectralNoise = (images: tf.Tensor4D, node: SpectralNoise, rng: Rng): tf.Tensor4D => {
  const [b, h, w, c] = images.shape;
  const sigmas = Float32Array.from({ length: b }, () => (rng.bernoulli(node.p) ? node.sigma : 0));
  if (sigmas.every((s) => s === 0)) return tf.clone(images);
  return tf.tidy(() =>
    applySpectralNoise(
      images,
      tf.randomNormal([b, c, h, w], 0, 1, 'float32', rng.seed()),
      sigmas,
      node.gamma,
    ),
  );
};
