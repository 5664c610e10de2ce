/**
 * What the `tiny` presets share so that they learn content on the built-in data in minutes
 * (docs/learning.md): the views and the contrastive optimiser. The `paper` presets do not use it.
 */
import type { AugNode } from '../compiler/ir/augment.js';
import { Aug, View, type Img, type Value } from '../dsl/index.js';

/**
 * The `tiny` views: crops of at least 30% (at 32x32 a 0.08 crop is ~9x9 pixels and often misses
 * the shape), strong brightness / contrast / saturation jitter and grayscale 0.8, so that colour
 * cannot tell two images apart and the shape must; hue 0.1 as the papers. Measured on the built-in
 * data (docs/learning.md, 600 steps): the paper's views reach 23% content; these 48% (PyTorch
 * target, MoCo v3 `tiny`), against 41% with hue 0.5: torchvision's HSV hue shift changes luma, so
 * a full-circle shift flips the shape / background contrast that grayscale views rely on.
 */
export const TINY_VIEWS = {
  cropMin: 0.3,
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
