/**
 * Colour augmentations on RGB batches `[batch, height, width, 3]` in `[0, 1]`, following
 * torchvision's tensor functional ops: brightness, contrast, saturation (blends, clamped to
 * `[0, 1]`), hue (shift in HSV), grayscale (ITU-R 601 luma), solarize, normalize. Each takes
 * per-image parameters `[batch]`, so one op serves the whole batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { ColorJitter, Grayscale, Normalize, Solarize } from '../../compiler/ir/augment.js';
import type { Rng } from '../../runtime/rng.js';
import { sampleCoins, select } from './geometry.js';

/** ITU-R 601 luma weights (r, g, b), as torchvision's `rgb_to_grayscale` (0.2989 there). */
export const LUMA: readonly [number, number, number] = [0.299, 0.587, 0.114];

const perImage = (v: ArrayLike<number>): tf.Tensor4D => tf.tensor4d(Float32Array.from(v), [v.length, 1, 1, 1]);

/** Luma of each pixel, `[B, H, W, 1]`. */
export const luma = (images: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => tf.sum(tf.mul(images, tf.tensor1d([...LUMA])), 3, true) as tf.Tensor4D);

/** `clamp(f x + (1 - f) ref, 0, 1)` with per-image `f [B]`. */
const blend = (images: tf.Tensor4D, ref: tf.Tensor, f: ArrayLike<number>): tf.Tensor4D =>
  tf.tidy(() => {
    const k = perImage(f);
    return tf.clipByValue(tf.add(tf.mul(k, images), tf.mul(tf.sub(1, k), ref)), 0, 1) as tf.Tensor4D;
  });

/** Brightness: `clamp(f x)`; `f = 1` is the identity. */
export const adjustBrightness = (images: tf.Tensor4D, f: ArrayLike<number>): tf.Tensor4D =>
  tf.tidy(() => blend(images, tf.scalar(0), f));

/** Contrast: blend with the image's mean luma; `f = 1` is the identity. */
export const adjustContrast = (images: tf.Tensor4D, f: ArrayLike<number>): tf.Tensor4D =>
  tf.tidy(() => blend(images, tf.mean(luma(images), [1, 2, 3], true), f));

/** Saturation: blend with the luma image; `f = 0` is grayscale, `f = 1` the identity. */
export const adjustSaturation = (images: tf.Tensor4D, f: ArrayLike<number>): tf.Tensor4D =>
  tf.tidy(() => blend(images, luma(images), f));

/** RGB -> HSV, each `[B, H, W, 1]` in `[0, 1]` (hue as a fraction of a turn). */
const rgbToHsv = (images: tf.Tensor4D): [tf.Tensor, tf.Tensor, tf.Tensor] => {
  const [r, g, b] = tf.split(images, 3, 3);
  const v = tf.max(images, 3, true);
  const c = tf.sub(v, tf.min(images, 3, true));
  const s = tf.div(c, tf.maximum(v, 1e-12));
  const safe = tf.maximum(c, 1e-12);
  const hr = tf.div(tf.sub(g!, b!), safe);
  const hg = tf.add(tf.div(tf.sub(b!, r!), safe), 2);
  const hb = tf.add(tf.div(tf.sub(r!, g!), safe), 4);
  const h6 = tf.where(tf.equal(v, r!), hr, tf.where(tf.equal(v, g!), hg, hb));
  const h = tf.div(h6, 6);
  return [tf.sub(h, tf.floor(h)), s, v];
};

/** HSV -> RGB with `f(n) = v - v s max(0, min(k, 4 - k, 1))`, `k = (n + 6 h) mod 6`, n = 5, 3, 1. */
const hsvToRgb = (h: tf.Tensor, s: tf.Tensor, v: tf.Tensor): tf.Tensor4D => {
  const channel = (n: number): tf.Tensor => {
    const k6 = tf.add(tf.mul(h, 6), n);
    const k = tf.sub(k6, tf.mul(tf.floor(tf.div(k6, 6)), 6));
    const w = tf.maximum(0, tf.minimum(tf.minimum(k, tf.sub(4, k)), 1));
    return tf.sub(v, tf.mul(tf.mul(v, s), w));
  };
  return tf.concat([channel(5), channel(3), channel(1)], 3) as tf.Tensor4D;
};

/** Hue: rotate the HSV hue by `shift [B]` turns (in `[-0.5, 0.5]`); `0` is the identity (to float rounding). */
export const adjustHue = (images: tf.Tensor4D, shift: ArrayLike<number>): tf.Tensor4D =>
  tf.tidy(() => {
    const [h, s, v] = rgbToHsv(images);
    const moved = tf.add(h, perImage(shift));
    return tf.clipByValue(hsvToRgb(tf.sub(moved, tf.floor(moved)), s, v), 0, 1) as tf.Tensor4D;
  });

/** Per-image colour-jitter parameters: factors, hue shifts and the order of the four ops. */
export interface JitterParams {
  readonly brightness: Float32Array;
  readonly contrast: Float32Array;
  readonly saturation: Float32Array;
  readonly hue: Float32Array;
  /** Per image, a permutation of `[0 brightness, 1 contrast, 2 saturation, 3 hue]`. */
  readonly order: ReadonlyArray<ReadonlyArray<number>>;
}

const IDENTITY = [1, 1, 1, 0] as const;
const OPS = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue] as const;

/**
 * Draws jitter parameters per image, torchvision order of draws: op order, then factors in
 * `[max(0, 1 - b), 1 + b]` etc. and hue in `[-h, h]`. Images that skip the step (probability
 * `1 - p`) get identity factors.
 */
export const sampleJitter = (node: ColorJitter, batch: number, rng: Rng): JitterParams => {
  const draws = Array.from({ length: batch }, () => {
    const apply = rng.bernoulli(node.p);
    const order = rng.permutation(4);
    const f = (x: number): number => (x > 0 ? rng.uniform(Math.max(0, 1 - x), 1 + x) : 1);
    const values = [f(node.brightness), f(node.contrast), f(node.saturation), node.hue > 0 ? rng.uniform(-node.hue, node.hue) : 0];
    return { order, values: apply ? values : [...IDENTITY] };
  });
  const column = (k: number): Float32Array => Float32Array.from(draws, (d) => d.values[k]!);
  return { brightness: column(0), contrast: column(1), saturation: column(2), hue: column(3), order: draws.map((d) => d.order) };
};

/**
 * Applies jitter with each image's own op order: at position `k` of the order, every op runs with
 * the factor of the images that have it at `k` and the identity for the others (ops nobody has at
 * `k` are skipped).
 */
export const applyJitter = (images: tf.Tensor4D, params: JitterParams): tf.Tensor4D => {
  const perOp = [params.brightness, params.contrast, params.saturation, params.hue];
  let x = tf.clone(images);
  for (let k = 0; k < 4; k++) {
    for (let op = 0; op < 4; op++) {
      const active = params.order.map((o) => o[k] === op);
      if (!active.some((a, i) => a && perOp[op]![i] !== IDENTITY[op])) continue;
      const f = perOp[op]!.map((v, i) => (active[i] ? v : IDENTITY[op]!));
      const next = OPS[op]!(x, f);
      x.dispose();
      x = next;
    }
  }
  return x;
};

/** Colour jitter of a batch (per-image factors, order and coin from `rng`). */
export const colorJitter = (images: tf.Tensor4D, node: ColorJitter, rng: Rng): tf.Tensor4D =>
  applyJitter(images, sampleJitter(node, images.shape[0], rng));

/** Replaces the images whose coin is 1 by their luma on all three channels. */
export const applyGrayscale = (images: tf.Tensor4D, coins: Float32Array): tf.Tensor4D =>
  tf.tidy(() => select(coins, tf.tile(luma(images), [1, 1, 1, 3]) as tf.Tensor4D, images));

/** Grayscale with probability `node.p` per image. */
export const grayscale = (images: tf.Tensor4D, node: Grayscale, rng: Rng): tf.Tensor4D =>
  applyGrayscale(images, sampleCoins(node.p, images.shape[0], rng));

/** Solarize: in images whose coin is 1, values `>= threshold` become `1 - x` (PIL `ImageOps.solarize`). */
export const applySolarize = (images: tf.Tensor4D, coins: Float32Array, threshold: number): tf.Tensor4D =>
  tf.tidy(() => {
    const hit = tf.mul(tf.cast(tf.greaterEqual(images, threshold), 'float32'), tf.tensor4d(coins, [coins.length, 1, 1, 1]));
    return tf.add(images, tf.mul(hit, tf.sub(1, tf.mul(images, 2)))) as tf.Tensor4D;
  });

/** Solarize with probability `node.p` per image. */
export const solarize = (images: tf.Tensor4D, node: Solarize, rng: Rng): tf.Tensor4D =>
  applySolarize(images, sampleCoins(node.p, images.shape[0], rng), node.threshold);

/** `(x - mean) / std` per channel. */
export const normalize = (images: tf.Tensor4D, node: Normalize): tf.Tensor4D =>
  tf.tidy(() => tf.div(tf.sub(images, tf.tensor1d([...node.mean])), tf.tensor1d([...node.std])) as tf.Tensor4D);
