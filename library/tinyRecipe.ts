/**
 * What the `tiny` presets share so that they learn content on the built-in data in minutes
 * (docs/learning.md): the views and the contrastive optimiser. The `paper` presets do not use it.
 */
import type { AugNode } from '../compiler/ir/augment.js';
import { Aug, View, type Img, type Value } from '../dsl/index.js';

/**
 * The `tiny` views: crops of at least half the image (at 32x32 a 0.08 crop is ~9x9 pixels and
 * often misses the shape), strong brightness / contrast / saturation jitter and grayscale 0.8, so
 * that colour cannot tell two images apart and the shape must; hue 0.1 as the papers. Measured on
 * the built-in data (docs/learning.md; MoCo v3 `tiny`, PyTorch target, seed 0, content linear
 * probe with 10% labels): the paper's views reach 23% in 600 steps; these 49.2% (kNN 42.1), against
 * 48.4% (kNN 34.9) with crops from 30% and 41% with hue 0.5 (torchvision's HSV hue shift changes
 * luma, so a full-circle shift flips the shape / background contrast grayscale views rely on).
 * Crops from 50% learn faster at short budgets: 31.3 / 36.9 / 37.7% after 200 / 300 / 400 steps,
 * against 29.4 / 32.1 / 37.3% with crops from 30%.
 */
export const TINY_VIEWS = {
  cropMin: 0.5,
  jitter: { brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.1, p: 0.8 },
  grayscale: 0.8,
} as const;

/** The `tiny` contrastive optimiser's peak learning rate (AdamW, 10% warm-up, cosine; batch 32). */
export const TINY_CONTRASTIVE_LR = 6e-3;

/** The `tiny` views as one pipeline (crop, flip, jitter, grayscale), for branches without the BYOL asymmetry. */
export const tinyViewPipeline = (size: number): ReadonlyArray<AugNode> => [
  Aug.randomResizedCrop({ size, scale: [TINY_VIEWS.cropMin, 1] }),
  Aug.horizontalFlip({ p: 0.5 }),
  Aug.colorJitter(TINY_VIEWS.jitter),
  Aug.grayscale({ p: TINY_VIEWS.grayscale }),
];

/**
 * The images as a network saw them in training, without the randomness: the `Normalize` step of
 * the views (ImageNet mean and std). A representation of a branch trained on normalised views
 * must read normalised images: on raw `[0, 1]` pixels its BatchNorm statistics and first layer
 * see another distribution (measured: untrained MoCo v3 tiny ResNet, appearance kNN 17.1% on
 * raw pixels, 30.4% normalised).
 */
export const cleanView = (images: Value<Img<3>>): Value<Img<3>> =>
  View.make('clean', images, [Aug.normalize()]);
