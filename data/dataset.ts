/**
 * The one generic implementation of the `Dataset` interface (declared by the runtime, which
 * consumes it; re-exported here) behind both the image-folder loader and the built-in
 * appearance generator: a `Source` that can produce the pixels of any index, plus seeded
 * shuffling, batching and prefetch.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../compiler/ir/rng.js';
import type { Batch, BatchOptions, Dataset } from '../runtime/dataset.js';

export type { Batch, BatchOptions, Dataset } from '../runtime/dataset.js';

/** Decoded pixels for some indices: RGB bytes, `[count, size, size, 3]` flattened. */
export interface Pixels {
  readonly rgb: Uint8Array;
  readonly count: number;
}

/** What a concrete dataset provides: pixel decoding by index, and the labels of every index. */
export interface Source {
  readonly name: string;
  readonly size: number;
  readonly imageSize: number;
  readonly classes: Readonly<Record<string, ReadonlyArray<string>>>;
  /** Per label name, the class of every index, `[size]`. */
  readonly labels: Readonly<Record<string, Int32Array>>;
  /** Decodes the images at `indices` (any order, repeats allowed). */
  readonly load: (indices: Int32Array) => Promise<Pixels>;
}

/** Turns decoded bytes into a float32 `[count, size, size, 3]` tensor in `[0, 1]`. */
export const toImages = (pixels: Pixels, size: number): tf.Tensor4D => {
  const values = new Float32Array(pixels.rgb.length);
  for (let i = 0; i < values.length; i++) values[i] = pixels.rgb[i]! / 255;
  return tf.tensor4d(values, [pixels.count, size, size, 3]);
};

const pickLabels = (src: Source, indices: Int32Array): Record<string, Int32Array> =>
  Object.fromEntries(
    Object.entries(src.labels).map(([name, all]) => [name, indices.map((i) => all[i]!)]),
  );

/** Loads one batch (bytes decoded asynchronously; tensor built on arrival). */
const loadBatch = async (src: Source, indices: Int32Array): Promise<Batch> => {
  const pixels = await src.load(indices);
  return { images: toImages(pixels, src.imageSize), labels: pickLabels(src, indices), indices };
};

/** The index lists of one epoch. */
const epochIndices = (
  size: number,
  batchSize: number,
  rng: Rng,
  options: BatchOptions,
): Int32Array[] => {
  const pool = options.subset ?? Int32Array.from({ length: size }, (_, i) => i);
  const bad = pool.find((i) => !(i >= 0 && i < size));
  if (bad !== undefined)
    throw new Error(`subset index ${bad} is outside the dataset (${size} images)`);
  const order =
    options.shuffle === false
      ? Array.from(pool)
      : rng.permutation(pool.length).map((i) => pool[i]!);
  const out: Int32Array[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const chunk = order.slice(start, start + batchSize);
    if (chunk.length < batchSize && options.dropLast !== false) break;
    out.push(Int32Array.from(chunk));
  }
  return out;
};

/** An epoch of batches with a window of `prefetch` loads in flight. */
async function* prefetched(
  src: Source,
  plan: Int32Array[],
  prefetch: number,
): AsyncGenerator<Batch> {
  const inFlight: Promise<Batch>[] = [];
  let next = 0;
  try {
    while (next < plan.length || inFlight.length > 0) {
      // the batch awaited now plus `prefetch` more decode while the consumer works
      while (next < plan.length && inFlight.length < prefetch + 1)
        inFlight.push(loadBatch(src, plan[next++]!));
      yield await inFlight.shift()!;
    }
  } finally {
    // an abandoned epoch: release what was decoded ahead
    for (const pending of inFlight)
      void pending.then(
        (b) => b.images.dispose(),
        () => undefined,
      );
  }
}

/**
 * Builds a `Dataset` from a `Source`. Throws when `batchSize` is not a positive integer.
 * With `dropLast` (default) an epoch has `floor(size / batchSize)` batches.
 */
export const makeDataset = (src: Source): Dataset => ({
  name: src.name,
  size: src.size,
  imageSize: src.imageSize,
  classes: src.classes,
  batches: (batchSize, rng, options = {}) => {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batch size must be a positive integer, got ${batchSize}`);
    const plan = epochIndices(src.size, batchSize, rng, options).slice(
      Math.max(0, options.skip ?? 0),
    );
    return prefetched(src, plan, Math.max(0, options.prefetch ?? 2));
  },
  all: () =>
    loadBatch(
      src,
      Int32Array.from({ length: src.size }, (_, i) => i),
    ),
});
