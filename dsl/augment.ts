/**
 * `Aug`: augmentation steps of a view pipeline, on NHWC image batches in `[0, 1]`. Defaults are
 * the BYOL / MoCo v3 ones (methods.md 1.5) unless stated; `p` is the per-image probability.
 */
import type * as IR from '../compiler/ir/augment.js';

/**
 * Random resized crop to `size x size`. Defaults: `size: 224`, `scale: [0.08, 1]` (MoCo v3 ViT
 * crop-min; I-JEPA uses `[0.3, 1]`), `ratio: [3/4, 4/3]`.
 * @example
 * ```ts
 * const crop = Aug.randomResizedCrop({ size: 32, scale: [0.2, 1] });
 * ```
 */
export const randomResizedCrop = (
  o: {
    readonly size?: number;
    readonly scale?: readonly [number, number];
    readonly ratio?: readonly [number, number];
  } = {},
): IR.RandomResizedCrop => ({
  _tag: 'RandomResizedCrop',
  size: o.size ?? 224,
  scale: o.scale ?? [0.08, 1],
  ratio: o.ratio ?? [3 / 4, 4 / 3],
});

/**
 * Left-right mirror. Default `p: 0.5`.
 * @example
 * ```ts
 * const flip = Aug.horizontalFlip();
 * ```
 */
export const horizontalFlip = (o: { readonly p?: number } = {}): IR.HorizontalFlip => ({
  _tag: 'HorizontalFlip',
  p: o.p ?? 0.5,
});

/**
 * torchvision colour jitter. Defaults: brightness 0.4, contrast 0.4, saturation 0.2, hue 0.1, `p: 0.8`.
 * @example
 * ```ts
 * const jitter = Aug.colorJitter({ p: 0.8 });
 * ```
 */
export const colorJitter = (
  o: {
    readonly brightness?: number;
    readonly contrast?: number;
    readonly saturation?: number;
    readonly hue?: number;
    readonly p?: number;
  } = {},
): IR.ColorJitter => ({
  _tag: 'ColorJitter',
  brightness: o.brightness ?? 0.4,
  contrast: o.contrast ?? 0.4,
  saturation: o.saturation ?? 0.2,
  hue: o.hue ?? 0.1,
  p: o.p ?? 0.8,
});

/**
 * Luma to all channels. Default `p: 0.2`.
 * @example
 * ```ts
 * const gray = Aug.grayscale();
 * ```
 */
export const grayscale = (o: { readonly p?: number } = {}): IR.Grayscale => ({
  _tag: 'Grayscale',
  p: o.p ?? 0.2,
});

/**
 * Gaussian blur, sigma drawn from `sigma`. Defaults: `sigma: [0.1, 2]`, `kernel: 0` (automatic),
 * `p: 1` (MoCo v3 view 1; view 2 uses 0.1).
 * @example
 * ```ts
 * const blur = Aug.gaussianBlur({ p: 0.1 });
 * ```
 */
export const gaussianBlur = (
  o: {
    readonly sigma?: readonly [number, number];
    readonly kernel?: number;
    readonly p?: number;
  } = {},
): IR.GaussianBlur => ({
  _tag: 'GaussianBlur',
  sigma: o.sigma ?? [0.1, 2],
  kernel: o.kernel ?? 0,
  p: o.p ?? 1,
});

/**
 * Inverts pixels at or above `threshold`. Defaults: `threshold: 128/255` (PIL), `p: 0.2`.
 * @example
 * ```ts
 * const sol = Aug.solarize({ p: 0.2 });
 * ```
 */
export const solarize = (
  o: { readonly threshold?: number; readonly p?: number } = {},
): IR.Solarize => ({
  _tag: 'Solarize',
  threshold: o.threshold ?? 128 / 255,
  p: o.p ?? 0.2,
});

/**
 * ST-STORM spectral noise on the log-amplitude, stronger at high frequency, phase kept.
 * Defaults: `sigma: 2`, `gamma: 3`, `p: 1` (methods.md 3.4).
 * @example
 * ```ts
 * const noise = Aug.spectralNoise({ sigma: 2, gamma: 3 });
 * ```
 */
export const spectralNoise = (
  o: { readonly sigma?: number; readonly gamma?: number; readonly p?: number } = {},
): IR.SpectralNoise => ({
  _tag: 'SpectralNoise',
  sigma: o.sigma ?? 2,
  gamma: o.gamma ?? 3,
  p: o.p ?? 1,
});

/**
 * Bilinear resize to `size x size`.
 * @example
 * ```ts
 * const r = Aug.resize({ size: 64 });
 * ```
 */
export const resize = (o: { readonly size: number }): IR.Resize => ({
  _tag: 'Resize',
  size: o.size,
});

/** ImageNet channel means. */
const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
/** ImageNet channel standard deviations. */
const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/**
 * `(x - mean) / std` per channel. Defaults: ImageNet mean (0.485, 0.456, 0.406) and std
 * (0.229, 0.224, 0.225).
 * @example
 * ```ts
 * const norm = Aug.normalize(); // ImageNet statistics
 * const toPm1 = Aug.normalize({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }); // [-1, 1]
 * ```
 */
export const normalize = (
  o: { readonly mean?: ReadonlyArray<number>; readonly std?: ReadonlyArray<number> } = {},
): IR.Normalize => ({
  _tag: 'Normalize',
  mean: o.mean ?? IMAGENET_MEAN,
  std: o.std ?? IMAGENET_STD,
});

/**
 * The `Aug` namespace: every augmentation step.
 * @example
 * ```ts
 * const pipeline = [Aug.randomResizedCrop({ size: 32 }), Aug.horizontalFlip(), Aug.normalize()];
 * ```
 */
export const Aug = {
  randomResizedCrop,
  horizontalFlip,
  colorJitter,
  grayscale,
  gaussianBlur,
  solarize,
  spectralNoise,
  resize,
  normalize,
} as const;
