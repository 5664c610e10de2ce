/**
 * Runs a view's augmentation pipeline (`AugNode`s from `compiler/ir/augment.ts`) on a batch.
 * Draws happen in pipeline order, and within a step image by image, all from the `Rng` given,
 * so a seed fixes the whole view. Every op used has a forward kernel on wasm; no gradient flows
 * through augmentations.
 */
import * as tf from '@tensorflow/tfjs';
import type { AugNode } from '../../ir/augment.js';
import type { Rng } from '../../ir/rng.js';
import { gaussianBlur } from './blur.js';
import { colorJitter, grayscale, normalize, solarize } from './color.js';
import { horizontalFlip, randomResizedCrop, resize } from './geometry.js';
import { spectralNoise } from './spectral.js';

/** Applies one augmentation step; returns a new tensor (the input is left alone). */
export const applyAug = (images: tf.Tensor4D, node: AugNode, rng: Rng): tf.Tensor4D => {
  switch (node._tag) {
    case 'RandomResizedCrop':
      return randomResizedCrop(images, node, rng);
    case 'HorizontalFlip':
      return horizontalFlip(images, node, rng);
    case 'ColorJitter':
      return colorJitter(images, node, rng);
    case 'Grayscale':
      return grayscale(images, node, rng);
    case 'GaussianBlur':
      return gaussianBlur(images, node, rng);
    case 'Solarize':
      return solarize(images, node, rng);
    case 'SpectralNoise':
      return spectralNoise(images, node, rng);
    case 'Resize':
      return resize(images, node.size);
    case 'Normalize':
      return normalize(images, node);
  }
};

/**
 * Applies `pipeline` in order to `images [B, H, W, C]` in `[0, 1]` (RGB for the colour steps) and
 * returns the view `[B, H', W', C]` (`H'` set by the last crop or resize). The input is not
 * disposed; intermediates are. An empty pipeline returns a copy.
 */
export const applyPipeline = (
  images: tf.Tensor4D,
  pipeline: ReadonlyArray<AugNode>,
  rng: Rng,
): tf.Tensor4D => {
  let x = tf.clone(images);
  for (const node of pipeline) {
    const next = applyAug(x, node, rng);
    x.dispose();
    x = next;
  }
  return x;
};
