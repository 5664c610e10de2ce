/**
 * Augmentation IR: one step of a view pipeline. Each step applies to a whole batch of NHWC images
 * in `[0, 1]` (except `Normalize`, which is usually last); random choices are per image, drawn from
 * the view's seeded stream. `p` is the probability that an image gets the step.
 */

/** Crop a random area fraction in `scale` with aspect ratio in `ratio`, resize to `size`. */
export interface RandomResizedCrop {
  readonly _tag: 'RandomResizedCrop';
  readonly size: number;
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
}

/** Mirror left-right with probability `p`. */
export interface HorizontalFlip {
  readonly _tag: 'HorizontalFlip';
  readonly p: number;
}

/** torchvision-style colour jitter in random order; factors drawn from `[1-b, 1+b]` etc., hue from `[-h, h]`. */
export interface ColorJitter {
  readonly _tag: 'ColorJitter';
  readonly brightness: number;
  readonly contrast: number;
  readonly saturation: number;
  readonly hue: number;
  readonly p: number;
}

/** ITU-R 601 luma (0.299, 0.587, 0.114) copied to all channels, with probability `p`. */
export interface Grayscale {
  readonly _tag: 'Grayscale';
  readonly p: number;
}

/** Gaussian blur with sigma drawn from `sigma`; kernel size `kernel` (odd; 0 means ~ 2*ceil(3 sigma_max)+1 capped by image). */
export interface GaussianBlur {
  readonly _tag: 'GaussianBlur';
  readonly sigma: readonly [number, number];
  readonly kernel: number;
  readonly p: number;
}

/** Invert pixels at or above `threshold` (in [0, 1]; PIL's 128/255), with probability `p`. */
export interface Solarize {
  readonly _tag: 'Solarize';
  readonly threshold: number;
  readonly p: number;
}

/**
 * ST-STORM spectral noise (methods.md 3.4): perturb the log-amplitude of the 2-D spectrum, more at
 * high frequency (`R = (|f| / max|f|)^gamma`), keep the phase: `log|X'| = log|X| + sigma R eps`.
 */
export interface SpectralNoise {
  readonly _tag: 'SpectralNoise';
  readonly sigma: number;
  readonly gamma: number;
  readonly p: number;
}

/** Resize (bilinear) to `size x size`. */
export interface Resize {
  readonly _tag: 'Resize';
  readonly size: number;
}

/** `(x - mean) / std` per channel. ImageNet: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225). */
export interface Normalize {
  readonly _tag: 'Normalize';
  readonly mean: ReadonlyArray<number>;
  readonly std: ReadonlyArray<number>;
}

/** Every augmentation kind. */
export type AugNode =
  | RandomResizedCrop
  | HorizontalFlip
  | ColorJitter
  | Grayscale
  | GaussianBlur
  | Solarize
  | SpectralNoise
  | Resize
  | Normalize;

/** The augmentations that draw nothing at random (`Resize`, `Normalize`). */
const DETERMINISTIC: ReadonlySet<AugTag> = new Set<AugTag>(['Resize', 'Normalize']);

/**
 * True when `pipeline` draws nothing at random (only `Resize` / `Normalize`): such a view is a
 * fixed function of its images, so a representation may read it (the images as the views
 * present them to the network, e.g. normalised).
 */
export const isDeterministic = (pipeline: ReadonlyArray<AugNode>): boolean =>
  pipeline.every((a) => DETERMINISTIC.has(a._tag));

/** The tag of an augmentation node. */
export type AugTag = AugNode['_tag'];

/** All augmentation tags, for messages that list the known ones. */
export const AUG_TAGS: ReadonlyArray<AugTag> = [
  'RandomResizedCrop',
  'HorizontalFlip',
  'ColorJitter',
  'Grayscale',
  'GaussianBlur',
  'Solarize',
  'SpectralNoise',
  'Resize',
  'Normalize',
];

/**
 * I-JEPA multi-block mask sampler (methods.md 2.1) on a `grid` of patches. One block size per batch
 * (a single uniform draw gives both scale and aspect ratio), per-image positions, context minus
 * targets, at least `minKeep` context patches, lists truncated to the batch minimum.
 */
export interface MultiBlockMask {
  readonly grid: readonly [number, number];
  readonly targets: number;
  readonly targetScale: readonly [number, number];
  readonly targetAspect: readonly [number, number];
  readonly contexts: number;
  readonly contextScale: readonly [number, number];
  readonly contextAspect: readonly [number, number];
  readonly minKeep: number;
  readonly allowOverlap: boolean;
}
