/**
 * Geometric augmentations on batches `[batch, height, width, channels]`: random resized crop,
 * horizontal flip, resize. Parameters are drawn per image from an `Rng` (`sample*`), then
 * applied to the whole batch in one TF.js op (`apply*`), so tests can pin both halves.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../ir/rng.js';
import type { HorizontalFlip, RandomResizedCrop } from '../../ir/augment.js';

/** A crop in pixels: rows `[top, top + height)`, columns `[left, left + width)`. */
export interface CropBox {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/**
 * torchvision's `RandomResizedCrop.get_params` for an `h x w` image: up to 10 tries of area
 * fraction `U(scale)` and log-uniform aspect ratio (width / height) in `ratio`; if none fits,
 * a centre crop with the aspect ratio clamped to `ratio`.
 */
export const sampleCropBox = (node: RandomResizedCrop, h: number, w: number, rng: Rng): CropBox => {
  const area = h * w;
  const [logLo, logHi] = [Math.log(node.ratio[0]), Math.log(node.ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(node.scale[0], node.scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const cw = Math.round(Math.sqrt(target * aspect));
    const ch = Math.round(Math.sqrt(target / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      return { top: rng.int(0, h - ch + 1), left: rng.int(0, w - cw + 1), height: ch, width: cw };
    }
  }
  const inRatio = w / h;
  let [ch, cw] = [h, w];
  if (inRatio < node.ratio[0]) ch = Math.round(w / node.ratio[0]);
  else if (inRatio > node.ratio[1]) cw = Math.round(h * node.ratio[1]);
  return { top: Math.floor((h - ch) / 2), left: Math.floor((w - cw) / 2), height: ch, width: cw };
};

/** How far (pixels) inside the last pixel centre a crop box ends (see `applyCrops`). */
const EDGE_INSET = 1e-5;

/**
 * Crops each image to its box and resizes it bilinearly to `size x size`
 * (`tf.image.cropAndResize`, box corners on the first and last pixel centres of the crop).
 * `images [B, H, W, C]` -> `[B, size, size, C]`.
 */
export const applyCrops = (
  images: tf.Tensor4D,
  boxes: ReadonlyArray<CropBox>,
  size: number,
): tf.Tensor4D => {
  const [b, h, w] = images.shape;
  const norm = (v: number, n: number): number => (n > 1 ? v / (n - 1) : 0);
  // the far corners sit EDGE_INSET pixels inside the last pixel centre: the wasm kernel computes
  // sample positions in float32, and a box ending on the last row or column can land a hair past
  // it and read the extrapolation value (0) for that whole row or column (measured: 2 of 32
  // crops at 32x32 had a black last row on wasm, none on cpu)
  const coords = boxes.flatMap((bx) => [
    norm(bx.top, h),
    norm(bx.left, w),
    norm(bx.top + bx.height - 1 - EDGE_INSET, h),
    norm(bx.left + bx.width - 1 - EDGE_INSET, w),
  ]);
  return tf.tidy(() =>
    tf.image.cropAndResize(
      images,
      tf.tensor2d(coords, [b, 4]),
      tf.range(0, b, 1, 'int32') as tf.Tensor1D,
      [size, size],
      'bilinear',
    ),
  );
};

/** Draws one coin per image: `1` with probability `p`. */
export const sampleCoins = (p: number, batch: number, rng: Rng): Float32Array =>
  Float32Array.from({ length: batch }, () => (rng.bernoulli(p) ? 1 : 0));

/** Per-image blend `m x + (1 - m) y` with `m [B]` of 0/1 (exact for 0/1). */
export const select = (m: Float32Array, x: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const mask = tf.tensor4d(m, [m.length, 1, 1, 1]);
    return tf.add(tf.mul(mask, x), tf.mul(tf.sub(1, mask), y)) as tf.Tensor4D;
  });

/** Mirrors left-right the images whose coin is 1. */
export const applyFlips = (images: tf.Tensor4D, coins: Float32Array): tf.Tensor4D =>
  tf.tidy(() => select(coins, tf.image.flipLeftRight(images), images));

/** Random resized crop of a batch: per-image boxes from `rng`, then one `cropAndResize`. */
export const randomResizedCrop = (
  images: tf.Tensor4D,
  node: RandomResizedCrop,
  rng: Rng,
): tf.Tensor4D => {
  const [b, h, w] = images.shape;
  const boxes = Array.from({ length: b }, () => sampleCropBox(node, h, w, rng));
  return applyCrops(images, boxes, node.size);
};

/** Horizontal flip of each image with probability `node.p`. */
export const horizontalFlip = (images: tf.Tensor4D, node: HorizontalFlip, rng: Rng): tf.Tensor4D =>
  applyFlips(images, sampleCoins(node.p, images.shape[0], rng));

/** Bilinear resize to `size x size` (half-pixel centres, as PIL/torchvision without antialiasing). */
export const resize = (images: tf.Tensor4D, size: number): tf.Tensor4D =>
  tf.tidy(() => tf.image.resizeBilinear(images, [size, size], false, true));
