/**
 * Online evaluation while training (as solo-learn's online kNN): a held-out labelled set is
 * decoded once, split once per label (stratified, seeded) into a kNN memory and a test part, and
 * `measure` embeds it with every representation of the method as it is now and scores the
 * weighted kNN probe (`knn.ts`) for each label. Results are keyed `knn/<representation>/<label>`
 * (accuracy in [0, 1]), the keys written to `metrics.jsonl` and drawn by the report.
 *
 * Cost: one forward pass per representation over `samples` images plus a `[test, memory]`
 * similarity product; with the defaults (512 images) that is a few training steps' worth.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../runtime/dataset.js';
import { Rng } from '../compiler/ir/rng.js';
import { knnPredict } from './knn.js';
import { classificationMetrics } from './metrics.js';
import { gatherLabels, gatherRows, stratifiedSplit, type Split } from './split.js';

/** What `measure` needs of a compiled method: its representation names and `embed`. */
export interface Embedder {
  readonly graph: { readonly representations: ReadonlyArray<{ readonly name: string }> };
  embed(representation: string, images: tf.Tensor4D): tf.Tensor2D;
}

/** Options of `makeOnlineEval`. */
export interface OnlineEvalOptions {
  /** Held-out images to decode and keep (the first this many of a seeded shuffle). Default 512. */
  readonly samples?: number;
  /** Fraction of each class scored; the rest is the kNN memory. Default 0.5. */
  readonly testFraction?: number;
  /** Neighbours. Default 20. */
  readonly k?: number;
  /** Seed of the sample choice and of the splits. Default 0. */
  readonly seed?: number;
  /** Images per `embed` call. Default 256. */
  readonly chunk?: number;
}

/** A prepared online evaluator; `dispose` frees the kept images. */
export interface OnlineEval {
  /** Number of images kept. */
  readonly samples: number;
  /** kNN accuracy per `knn/<representation>/<label>`. */
  readonly measure: (method: Embedder) => Promise<Record<string, number>>;
  readonly dispose: () => void;
}

/** The metric key of one representation and label. */
export const knnKey = (representation: string, label: string): string =>
  `knn/${representation}/${label}`;

const loadSamples = async (
  dataset: Dataset,
  samples: number,
  seed: number,
): Promise<{ images: tf.Tensor4D[]; labels: Record<string, Int32Array> }> => {
  const images: tf.Tensor4D[] = [];
  const parts = new Map<string, Int32Array[]>(Object.keys(dataset.classes).map((k) => [k, []]));
  let seen = 0;
  for await (const b of dataset.batches(
    Math.min(256, samples),
    Rng.seeded(seed).fork('online-eval'),
    { dropLast: false, prefetch: 0 },
  )) {
    const take = Math.min(b.indices.length, samples - seen);
    images.push(take < b.indices.length ? (b.images.slice(0, take) as tf.Tensor4D) : b.images);
    if (take < b.indices.length) b.images.dispose();
    for (const [k, v] of Object.entries(b.labels)) parts.get(k)?.push(v.slice(0, take));
    seen += take;
    if (seen >= samples) break;
  }
  const labels = Object.fromEntries(
    [...parts].map(([k, xs]) => {
      const out = new Int32Array(seen);
      let at = 0;
      for (const x of xs) (out.set(x, at), (at += x.length));
      return [k, out];
    }),
  );
  return { images, labels };
};

/**
 * Decodes `options.samples` images of `dataset` (which must have labels) and returns the
 * evaluator. Throws (what, hint) when the dataset has no labels or too few images per class.
 */
export const makeOnlineEval = async (
  dataset: Dataset,
  options: OnlineEvalOptions = {},
): Promise<OnlineEval> => {
  const { samples = 512, testFraction = 0.5, k = 20, seed = 0, chunk = 256 } = options;
  if (Object.keys(dataset.classes).length === 0) {
    throw new Error(
      `online evaluation: dataset "${dataset.name}" has no labels\nhint: give labelled images (class subfolders) or drop --eval-every`,
    );
  }
  const { images, labels } = await loadSamples(dataset, Math.min(samples, dataset.size), seed);
  const n = images.reduce((s, t) => s + t.shape[0], 0);
  const splits = new Map<string, Split>();
  for (const [name, values] of Object.entries(labels)) {
    const split = stratifiedSplit(
      values,
      Rng.seeded(seed).fork(`online-split:${name}`),
      testFraction,
    );
    if (split.train.length === 0 || split.test.length === 0) {
      images.forEach((t) => t.dispose());
      throw new Error(
        `online evaluation: label "${name}" has too few images (${n}) to split\nhint: raise the number of evaluation samples`,
      );
    }
    splits.set(name, split);
  }
  const embedAll = async (
    method: Embedder,
    name: string,
  ): Promise<{ data: Float32Array; dim: number }> => {
    const rows: Float32Array[] = [];
    let dim = 0;
    for (const batch of images) {
      for (let at = 0; at < batch.shape[0]; at += chunk) {
        const size = Math.min(chunk, batch.shape[0] - at);
        const f = tf.tidy(() =>
          method.embed(
            name,
            size === batch.shape[0] ? batch : (batch.slice(at, size) as tf.Tensor4D),
          ),
        );
        dim = f.shape[1];
        rows.push((await f.data()) as Float32Array);
        f.dispose();
      }
    }
    const data = new Float32Array(n * dim);
    let at = 0;
    for (const r of rows) (data.set(r, at), (at += r.length));
    return { data, dim };
  };
  const measure = async (method: Embedder): Promise<Record<string, number>> => {
    const result: Record<string, number> = {};
    for (const { name } of method.graph.representations) {
      const f = await embedAll(method, name);
      for (const [label, split] of splits) {
        const classes = dataset.classes[label]!.length;
        const values = labels[label]!;
        const predicted = knnPredict(
          gatherRows(f.data, f.dim, split.train),
          gatherLabels(values, split.train),
          gatherRows(f.data, f.dim, split.test),
          f.dim,
          classes,
          { k },
        );
        result[knnKey(name, label)] = classificationMetrics(
          gatherLabels(values, split.test),
          predicted,
          classes,
        ).accuracy;
      }
    }
    return result;
  };
  return { samples: n, measure, dispose: () => images.forEach((t) => t.dispose()) };
};
