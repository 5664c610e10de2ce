/**
 * Colour jitter as one kernel on the wasm backend (`TesseraColorJitter`): each image of an RGB batch
 * `[B, H, W, 3]` goes through its own order of brightness, contrast, saturation and hue, pixel by
 * pixel, in the backend's memory. The element-wise lowering (`augment/color.ts`, the reference on
 * every backend) takes ~130 TF.js kernels per batch for the same maths (29 ms for a MoCo v3 `tiny`
 * view of `[32, 32, 32, 3]` here, most of the step's augmentation); this kernel takes ~1-2 ms.
 *
 * The maths are `color.ts`'s, operation for operation in float32 (`Math.fround` after each):
 * blends `clamp(f x + (1 - f) ref, 0, 1)` with `ref` 0 (brightness), the image's mean luma
 * (contrast) or the pixel's luma (saturation); hue through HSV with the hue numerator of the first
 * largest channel. Two differences, both below 1e-6: luma and its mean are summed in float64 before
 * rounding, and an image whose factor is the identity skips that operation (the batched ops run
 * it with the identity factor when another image needs it). No gradient: views are inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { dataView, type WasmBackendLike } from './wasmBinding.js';

/** The kernel's name in the TF.js registry. */
export const COLOR_JITTER_KERNEL = 'TesseraColorJitter';

/** The per-image parameters (as `color.ts`'s `JitterParams`, arrays as plain numbers). */
export interface JitterAttrs {
  /** The luma weights (r, g, b) of contrast and saturation. */
  readonly luma: readonly [number, number, number];
  readonly brightness: ArrayLike<number>;
  readonly contrast: ArrayLike<number>;
  readonly saturation: ArrayLike<number>;
  readonly hue: ArrayLike<number>;
  /** Per image, a permutation of `[0 brightness, 1 contrast, 2 saturation, 3 hue]`. */
  readonly order: ReadonlyArray<ReadonlyArray<number>>;
}

const f = Math.fround;
const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
type Luma = (r: number, g: number, b: number) => number;
const lumaOf =
  (weights: readonly [number, number, number]): Luma =>
  (r, g, b) =>
    f(r * f(weights[0]) + g * f(weights[1]) + b * f(weights[2]));

/** `clamp(k x + (1 - k) ref, 0, 1)` in float32, as `color.ts`'s `blend`. */
const blend = (x: number, k: number, oneMinusK: number, ref: number): number =>
  clamp01(f(f(k * x) + f(oneMinusK * ref)));

/** Brightness, contrast or saturation on one image's pixels `px` (`count` RGB triples), in place. */
const blendImage = (px: Float32Array, op: number, factor: number, luma: Luma): void => {
  const k = f(factor);
  const oneMinusK = f(1 - k);
  const count = px.length / 3;
  let mean = 0;
  if (op === 1) {
    for (let p = 0; p < count; p++) mean += luma(px[3 * p]!, px[3 * p + 1]!, px[3 * p + 2]!);
    mean = f(mean / count);
  }
  for (let p = 0; p < count; p++) {
    const r = px[3 * p]!;
    const g = px[3 * p + 1]!;
    const b = px[3 * p + 2]!;
    const ref = op === 0 ? 0 : op === 1 ? mean : luma(r, g, b);
    px[3 * p] = blend(r, k, oneMinusK, ref);
    px[3 * p + 1] = blend(g, k, oneMinusK, ref);
    px[3 * p + 2] = blend(b, k, oneMinusK, ref);
  }
};

/** `x - floor(x)` in float32. */
const frac = (x: number): number => f(x - Math.floor(x));

/** Hue rotation by `shift` turns on one image's pixels, in place (`color.ts`'s `adjustHue`). */
const hueImage = (px: Float32Array, shift: number): void => {
  const s32 = f(shift);
  for (let p = 0; p < px.length; p += 3) {
    const r = px[p]!;
    const g = px[p + 1]!;
    const b = px[p + 2]!;
    const v = r > g ? (r > b ? r : b) : g > b ? g : b;
    const c = f(v - (r < g ? (r < b ? r : b) : g < b ? g : b));
    const s = f(c / Math.max(v, f(1e-12)));
    const m = r >= g && r >= b ? 0 : g >= b ? 1 : 2; // argMax: the first largest channel
    const diff = m === 0 ? f(g - b) : m === 1 ? f(b - r) : f(r - g);
    const h6 = f(f(diff / Math.max(c, f(1e-12))) + 2 * m);
    const h = frac(f(frac(f(h6 / 6)) + s32));
    const vs = f(v * s);
    for (let j = 0; j < 3; j++) {
      const k6 = f(f(h * 6) + (5 - 2 * j));
      const k = f(k6 - f(Math.floor(f(k6 / 6)) * 6));
      const w = clamp01(Math.min(k, f(4 - k)));
      px[p + j] = clamp01(f(v - f(vs * w)));
    }
  }
};

/** The factors that leave an image as it is: brightness, contrast, saturation 1, hue 0. */
export const JITTER_IDENTITY = [1, 1, 1, 0] as const;

/** Applies one image's jitter (image `i` of `attrs`) to its pixels, in place. */
const jitterImage = (px: Float32Array, attrs: JitterAttrs, i: number): void => {
  const factors = [attrs.brightness[i]!, attrs.contrast[i]!, attrs.saturation[i]!, attrs.hue[i]!];
  const luma = lumaOf(attrs.luma);
  for (const op of attrs.order[i]!) {
    if (factors[op] === JITTER_IDENTITY[op]) continue;
    if (op === 3) hueImage(px, factors[3]!);
    else blendImage(px, op, factors[op]!, luma);
  }
};

const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const be = backend as unknown as WasmBackendLike;
  const [b, h, w, c] = x.shape as [number, number, number, number];
  if (x.shape.length !== 4 || c !== 3 || x.dtype !== 'float32')
    throw new Error(
      `${COLOR_JITTER_KERNEL}: expects a float32 RGB batch [B, H, W, 3], got [${x.shape}] ${x.dtype}`,
    );
  const out = be.makeOutput([b, h, w, 3], 'float32');
  const dst = dataView(be, out, Float32Array);
  dst.set(dataView(be, x, Float32Array));
  const perImage = h * w * 3;
  for (let i = 0; i < b; i++)
    jitterImage(dst.subarray(i * perImage, (i + 1) * perImage), attrs as unknown as JitterAttrs, i);
  return out;
};

tf.registerKernel({ kernelName: COLOR_JITTER_KERNEL, backendName: 'wasm', kernelFunc });

/** Whether the kernel runs on `images` here: the wasm backend, a float32 RGB batch. */
export const colorJitterKernelApplies = (images: tf.Tensor4D): boolean =>
  tf.getBackend() === 'wasm' && images.dtype === 'float32' && images.shape[3] === 3;

/** Colour jitter of `images [B, H, W, 3]` with per-image parameters, through the kernel (wasm). */
export const colorJitterKernel = (images: tf.Tensor4D, params: JitterAttrs): tf.Tensor4D =>
  tf.engine().runKernel(COLOR_JITTER_KERNEL, { x: images }, {
    luma: [...params.luma],
    brightness: Array.from(params.brightness),
    contrast: Array.from(params.contrast),
    saturation: Array.from(params.saturation),
    hue: Array.from(params.hue),
    order: params.order.map((o) => [...o]),
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
