/**
 * The dataset interface the training loop and evaluation consume. It is declared here, in the
 * runtime, so that the runtime does not import the data layer above it; `data/` implements it
 * (image folders, the appearance generator) and re-exports it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../compiler/ir/rng.js';

/** One batch: images NHWC float32 in `[0, 1]`, `[batch, size, size, 3]`, and its labels. */
export interface Batch {
  readonly images: tf.Tensor4D;
  /** Per label name, the class index of each image, `[batch]`. Empty for unlabeled data. */
  readonly labels: Readonly<Record<string, Int32Array>>;
  /** The dataset index of each image, `[batch]`. */
  readonly indices: Int32Array;
}

/** Options of `Dataset.batches`. */
export interface BatchOptions {
  /** Drop the last incomplete batch (default `true`: training wants fixed shapes). */
  readonly dropLast?: boolean;
  /** Batches decoded ahead of the consumer (default `2`; `0` decodes on demand). */
  readonly prefetch?: number;
  /** Shuffle with the given rng (default `true`). */
  readonly shuffle?: boolean;
  /**
   * Read only these dataset indices (a pseudo-domain fold), shuffled among themselves by the rng:
   * an epoch of `floor(subset.length / batchSize)` batches. Default: every index.
   */
  readonly subset?: Int32Array;
  /** Skip this many batches at the start of the epoch without decoding them (resuming mid-epoch). Default 0. */
  readonly skip?: number;
}

/** A finite image dataset with zero or more labels per image. */
export interface Dataset {
  /** A short description (the folder path or the generator settings). */
  readonly name: string;
  /** Number of images. */
  readonly size: number;
  /** Side of the square images it yields, in pixels. */
  readonly imageSize: number;
  /** Per label name (`class`, or `content` and `appearance`), the class names in index order. */
  readonly classes: Readonly<Record<string, ReadonlyArray<string>>>;
  /**
   * One epoch of batches in a seeded shuffled order; batch `k + prefetch` is being decoded while
   * the consumer works on batch `k`. The caller disposes each `images` tensor.
   */
  batches(batchSize: number, rng: Rng, options?: BatchOptions): AsyncGenerator<Batch>;
  /** Every image in index order, as one batch (for evaluation; mind the memory). */
  all(): Promise<Batch>;
}
