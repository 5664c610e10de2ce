/**
 * Colour augmentations on RGB batches `[batch, height, width, 3]` in `[0, 1]`, following
 * torchvision's tensor functional ops: brightness, contrast, saturation (blends, clamped to
 * `[0, 1]`), hue (shift in HSV), grayscale (ITU-R 601 luma), solarize, normalize. Each takes
 * per-image parameters `[batch]`, so one op serves the whole batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { ColorJitter, Grayscale, Normalize, Solarize } from '../../ir/augment.js';
import type { Rng } from '../../ir/rng.js';
import { sampleCoins } from './geometry.js';
import {
  colorJitterKernel,
  colorJitterKernelApplies,
  JITTER_IDENTITY,
} from '../kernels/colorJitter.js';

/** ITU-R 601 luma weights (r, g, b), as torchvision's `rgb_to_grayscale` (0.2989 there). */
export const LUMA: readonly [number, number, number] = [0.299, 0.587, 0.114];

const perImage = (v: ArrayLike<number>): tf.Tensor4D =>
  tf.tensor4d(Float32Array.from(v), [v.length, 1, 1, 1]);

/** Luma of each pixel, `[B, H, W, 1]` (a `[B H W, 3] x [3, 1]` matmul: channel-axis reductions are slow on wasm). */
export const luma = (images: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, h, w] = images.shape;
    return tf.reshape(
      tf.matMul(tf.reshape(images, [b * h * w, 3]), tf.tensor2d([...LUMA], [3, 1])),
      [b, h, w, 1],
    ) as tf.Tensor4D;
  });

/** `clamp(f x + (1 - f) ref, 0, 1)` with per-image `f [B]`; `ref` broadcasts against the images. */
const blend = (images: tf.Tensor4D, ref: tf.Tensor, f: ArrayLike<number>): tf.Tensor4D =>
  tf.tidy(() => {
    const k = perImage(f);
    return tf.clipByValue(
      tf.add(tf.mul(k, images), tf.mul(tf.sub(1, k), ref)),
      0,
      1,
    ) as tf.Tensor4D;
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

/** Columns `g - b`, `b - r`, `r - g` of the hue numerators (rows r, g, b). */
const HUE_DIFFERENCES = [
  [0, -1, 1],
  [1, 0, -1],
  [-1, 1, 0],
];

/**
 * RGB -> HSV on pixels `[n, 3]`: hue (turns, in `[0, 1)`), saturation and value, each `[n, 1]`.
 * The hue numerator of the max channel `m` is picked with a one-hot of `argMax` (ties give the
 * same hue mod 6 whichever channel wins); `6 h = diff_m / chroma + 2 m`. (`tf.oneHot` with a
 * float32 dtype returns zeros on wasm in TF.js 4.22: it is built int32, then cast.)
 */
const rgbToHsv = (px: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] => {
  const v = tf.max(px, 1, true);
  const c = tf.sub(v, tf.min(px, 1, true));
  const s = tf.div(c, tf.maximum(v, 1e-12));
  const m = tf.argMax(px, 1);
  const diff = tf.sum(
    tf.mul(tf.cast(tf.oneHot(m, 3), 'float32'), tf.matMul(px, tf.tensor2d(HUE_DIFFERENCES))),
    1,
    true,
  );
  const h6 = tf.add(
    tf.div(diff, tf.maximum(c, 1e-12)),
    tf.reshape(tf.mul(tf.cast(m, 'float32'), 2), [-1, 1]),
  );
  const h = tf.div(h6, 6);
  return [tf.sub(h, tf.floor(h)) as tf.Tensor2D, s as tf.Tensor2D, v as tf.Tensor2D];
};

/** HSV -> RGB, `[n, 1]` each -> `[n, 3]`: `v - v s clamp(min(k, 4 - k), 0, 1)`, `k = (6 h + (5, 3, 1)) mod 6`. */
const hsvToRgb = (h: tf.Tensor2D, s: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D => {
  const k6 = tf.add(tf.mul(h, 6), tf.tensor1d([5, 3, 1]));
  const k = tf.sub(k6, tf.mul(tf.floor(tf.div(k6, 6)), 6));
  const w = tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1);
  return tf.sub(v, tf.mul(tf.mul(v, s), w)) as tf.Tensor2D;
};

/** Hue: rotate the HSV hue by `shift [B]` turns (in `[-0.5, 0.5]`); `0` is the identity (to float rounding). */
export const adjustHue = (images: tf.Tensor4D, shift: ArrayLike<number>): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, hh, ww] = images.shape;
    const [h, s, v] = rgbToHsv(tf.reshape(images, [b * hh * ww, 3]));
    const moved = tf.reshape(
      tf.add(tf.reshape(h, [b, hh * ww]), tf.tensor2d(Float32Array.from(shift), [b, 1])),
      [b * hh * ww, 1],
    );
    const rgb = hsvToRgb(tf.sub(moved, tf.floor(moved)) as tf.Tensor2D, s, v);
    return tf.clipByValue(tf.reshape(rgb, [b, hh, ww, 3]), 0, 1) as tf.Tensor4D;
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
    const values = [
      f(node.brightness),
      f(node.contrast),
      f(node.saturation),
      node.hue > 0 ? rng.uniform(-node.hue, node.hue) : 0,
    ];
    return { order, values: apply ? values : [...JITTER_IDENTITY] };
  });
  const column = (k: number): Float32Array => Float32Array.from(draws, (d) => d.values[k]!);
  return {
    brightness: column(0),
    contrast: column(1),
    saturation: column(2),
    hue: column(3),
    order: draws.map((d) => d.order),
  };
};

/**
 * Applies jitter with each image's own op order (torchvision's per-image `randperm(4)`, batched):
 * at position `k` of the order, every op runs on the whole batch with the factor of the images
 * that have it at `k` and the identity for the others; ops nobody needs at `k` are skipped.
 * (Running an op on a gathered sub-batch instead was slower on wasm: gather and concat of image
 * batches cost more than the cheap ops themselves.) On wasm, one kernel does it all, pixel by
 * pixel (`kernels/colorJitter.ts`).
 */
export const applyJitter = (images: tf.Tensor4D, params: JitterParams): tf.Tensor4D => {
  if (colorJitterKernelApplies(images)) return colorJitterKernel(images, { ...params, luma: LUMA });
  return applyJitterOps(images, params);
};

/** `applyJitter` as TF.js ops (the reference; every backend). */
export const applyJitterOps = (images: tf.Tensor4D, params: JitterParams): tf.Tensor4D => {
  const perOp = [params.brightness, params.contrast, params.saturation, params.hue];
  let x = tf.clone(images);
  for (let k = 0; k < 4; k++) {
    for (let op = 0; op < 4; op++) {
      const active = params.order.map(
        (o, i) => o[k] === op && perOp[op]![i] !== JITTER_IDENTITY[op],
      );
      if (!active.some((a) => a)) continue;
      const next = OPS[op]!(
        x,
        perOp[op]!.map((v, i) => (active[i] ? v : JITTER_IDENTITY[op]!)),
      );
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
  tf.tidy(
    () =>
      tf.add(
        images,
        tf.mul(tf.tensor4d(coins, [coins.length, 1, 1, 1]), tf.sub(luma(images), images)),
      ) as tf.Tensor4D,
  );

/** Grayscale with probability `node.p` per image. */
export const grayscale = (images: tf.Tensor4D, node: Grayscale, rng: Rng): tf.Tensor4D =>
  applyGrayscale(images, sampleCoins(node.p, images.shape[0], rng));

/** Solarize: in images whose coin is 1, values `>= threshold` become `1 - x` (PIL `ImageOps.solarize`). */
export const applySolarize = (
  images: tf.Tensor4D,
  coins: Float32Array,
  threshold: number,
): tf.Tensor4D =>
  tf.tidy(() => {
    const hit = tf.mul(
      tf.cast(tf.greaterEqual(images, threshold), 'float32'),
      tf.tensor4d(coins, [coins.length, 1, 1, 1]),
    );
    return tf.add(images, tf.mul(hit, tf.sub(1, tf.mul(images, 2)))) as tf.Tensor4D;
  });

/** Solarize with probability `node.p` per image. */
export const solarize = (images: tf.Tensor4D, node: Solarize, rng: Rng): tf.Tensor4D =>
  applySolarize(images, sampleCoins(node.p, images.shape[0], rng), node.threshold);

/** `(x - mean) / std` per channel. */
export const normalize = (images: tf.Tensor4D, node: Normalize): tf.Tensor4D =>
  tf.tidy(
    () =>
      tf.div(
        tf.sub(images, tf.tensor1d([...node.mean])),
        tf.tensor1d([...node.std]),
      ) as tf.Tensor4D,
  );
