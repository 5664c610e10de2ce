/**
 * Frozen features of a compiled method on a dataset: every named representation embedded in
 * chunks, with the labels of the same images (a seeded random subset when `samples` is below the
 * dataset size). What `tessera eval` and `tessera bench disentangle` probe.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../runtime/dataset.js';
import { Rng } from '../compiler/ir/rng.js';
import type { FeatureMatrix, LabelSet } from './probe.js';

/** Anything that embeds images by representation name: a compiled method, an encoder, raw pixels. */
export interface Embedder {
  readonly representations: ReadonlyArray<string>;
  /** Features `[n, d]` of images `[n, size, size, 3]`; the caller disposes them. */
  embed(representation: string, images: tf.Tensor4D): tf.Tensor2D;
}

/** The representations of a compiled method (`graph.representations`) as an `Embedder`. */
export const methodEmbedder = (m: {
  readonly graph: { readonly representations: ReadonlyArray<{ readonly name: string }> };
  embed(representation: string, images: tf.Tensor4D): tf.Tensor2D;
}): Embedder => ({
  representations: m.graph.representations.map((r) => r.name),
  embed: (r, images) => m.embed(r, images),
});

/** Raw pixels as the one representation `pixels`, `[n, size * size * 3]`. */
export const pixelEmbedder: Embedder = {
  representations: ['pixels'],
  embed: (_r, images) => images.reshape([images.shape[0], -1]),
};

/** Frozen features of every representation and the labels of the same images (at most `samples`, in a seeded random order). */
export const embedDataset = async (
  embedder: Embedder,
  dataset: Dataset,
  options: { readonly samples: number; readonly chunk: number },
): Promise<{ features: Record<string, FeatureMatrix>; labels: Record<string, LabelSet> }> => {
  const names = embedder.representations;
  const parts = new Map<string, Float32Array[]>(names.map((n) => [n, []]));
  const dims = new Map<string, number>();
  const labelParts = new Map<string, Int32Array[]>(
    Object.keys(dataset.classes).map((k) => [k, []]),
  );
  let seen = 0;
  // a seeded shuffle: when `samples` is below the dataset size, the subset is a random sample (folders list images class by class)
  for await (const b of dataset.batches(options.chunk, Rng.seeded(0).fork('eval'), {
    shuffle: true,
    dropLast: false,
  })) {
    const take = Math.min(b.indices.length, options.samples - seen);
    const images = take < b.indices.length ? (b.images.slice(0, take) as tf.Tensor4D) : b.images;
    for (const name of names) {
      const f = embedder.embed(name, images);
      dims.set(name, f.shape[1]);
      parts.get(name)!.push((await f.data()) as Float32Array);
      f.dispose();
    }
    for (const [k, v] of Object.entries(b.labels)) labelParts.get(k)?.push(v.subarray(0, take));
    if (images !== b.images) images.dispose();
    b.images.dispose();
    seen += take;
    if (seen >= options.samples) break;
  }
  const concat = <T extends Float32Array | Int32Array>(
    xs: ReadonlyArray<T>,
    make: (n: number) => T,
  ): T => {
    const out = make(xs.reduce((s, x) => s + x.length, 0));
    let at = 0;
    for (const x of xs) (out.set(x, at), (at += x.length));
    return out;
  };
  const features = Object.fromEntries(
    names.map((n) => [
      n,
      { data: concat(parts.get(n)!, (k) => new Float32Array(k)), dim: dims.get(n) ?? 0 },
    ]),
  );
  const labels = Object.fromEntries(
    [...labelParts].map(([k, xs]) => [
      k,
      { values: concat(xs, (m) => new Int32Array(m)), classes: dataset.classes[k]! },
    ]),
  );
  return { features, labels };
};
