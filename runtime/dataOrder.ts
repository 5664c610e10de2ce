/**
 * The order in which a run reads its data, step by step, as a function of `(seed, step)` only, so
 * a run resumed at any step replays the batches of an uninterrupted one.
 *
 * Without folds: epoch `e` is the whole dataset shuffled by `Rng.seeded(seed).fork('epoch:e')`,
 * `floor(N / batch)` steps.
 *
 * With pseudo-domain folds (`TrainingSpec.folds`, ST-STORM's `--k_folds`): the dataset is split
 * once into `k` disjoint folds covering it, contiguous runs of `Rng.seeded(seed).fork('folds')
 * .permutation(N)` (sizes differ by at most one; the reference shuffles with a fixed seed 42, here
 * the run seed decides). Epoch `e` reads the fold pair `(i, (i + 1) mod k)` with
 * `i = floor(e / rotateEvery) mod k`: `images` from fold `i` shuffled by `epoch:e`, the paired
 * batch from fold `i + 1` shuffled by `epoch:e:paired`, `floor(floor(N / k) / batch)` steps (one
 * pass over the smallest fold, "an epoch is one fold").
 */
import type * as tf from '@tensorflow/tfjs';
import { Rng } from '../compiler/ir/rng.js';
import type { FoldSpec } from '../compiler/ir/node.js';
import type { Batch, Dataset } from './dataset.js';
import type { StepOptions } from './compiled.js';

/** One step's data. The consumer disposes `images` and `paired`. */
export interface StepBatch {
  readonly images: tf.Tensor4D;
  /** The dataset index of each image of `images`. */
  readonly indices: Int32Array;
  /** With folds: the batch from the paired fold, and its dataset indices. */
  readonly paired?: { readonly images: tf.Tensor4D; readonly indices: Int32Array };
}

/** The `k` folds of a dataset of `size` images for `seed`: disjoint, covering `0..size-1`. */
export const foldSplit = (size: number, k: number, seed: number): ReadonlyArray<Int32Array> => {
  const order = Rng.seeded(seed).fork('folds').permutation(size);
  return Array.from({ length: k }, (_, j) =>
    Int32Array.from(order.slice(Math.floor((j * size) / k), Math.floor(((j + 1) * size) / k))),
  );
};

/** The folds `[images, paired]` epoch `epoch` reads. */
export const foldPair = (epoch: number, folds: FoldSpec): readonly [number, number] => {
  const i = Math.floor(epoch / folds.rotateEvery) % folds.k;
  return [i, (i + 1) % folds.k];
};

/** Steps in one epoch: a pass over the dataset, or over the smallest fold. */
export const stepsPerEpoch = (size: number, batch: number, folds?: FoldSpec): number =>
  Math.floor((folds === undefined ? size : Math.floor(size / folds.k)) / batch);

/** How to read a dataset during a run. */
export interface DataOrder {
  readonly dataset: Dataset;
  readonly batch: number;
  readonly seed: number;
  readonly folds?: FoldSpec;
}

const epochRng = (seed: number, epoch: number): Rng => Rng.seeded(seed).fork(`epoch:${epoch}`);

/** One epoch with folds: the two folds' batches side by side, from batch `skip` on. */
async function* foldEpoch(
  o: DataOrder & { readonly folds: FoldSpec },
  split: ReadonlyArray<Int32Array>,
  epoch: number,
  skip: number,
): AsyncGenerator<StepBatch> {
  const [i, j] = foldPair(epoch, o.folds);
  const count = stepsPerEpoch(o.dataset.size, o.batch, o.folds) - skip;
  const first = o.dataset.batches(o.batch, epochRng(o.seed, epoch), { skip, subset: split[i] });
  const second = o.dataset.batches(o.batch, Rng.seeded(o.seed).fork(`epoch:${epoch}:paired`), {
    skip,
    subset: split[j],
  });
  try {
    for (let n = 0; n < count; n++) {
      const [a, b] = [(await first.next()).value as Batch, (await second.next()).value as Batch];
      yield { images: a.images, indices: a.indices, paired: b };
    }
  } finally {
    await Promise.all([first.return(undefined), second.return(undefined)]);
  }
}

/** One epoch without folds: the whole dataset, from batch `skip` on. */
async function* plainEpoch(o: DataOrder, epoch: number, skip: number): AsyncGenerator<StepBatch> {
  for await (const b of o.dataset.batches(o.batch, epochRng(o.seed, epoch), { skip }))
    yield { images: b.images, indices: b.indices };
}

/**
 * The endless stream of step batches from `startStep` on (see the module comment). Needs at least
 * one step per epoch (`stepsPerEpoch >= 1`).
 */
export async function* stepBatches(o: DataOrder, startStep: number): AsyncGenerator<StepBatch> {
  const perEpoch = stepsPerEpoch(o.dataset.size, o.batch, o.folds);
  const split = o.folds === undefined ? [] : foldSplit(o.dataset.size, o.folds.k, o.seed);
  let epoch = Math.floor(startStep / perEpoch);
  let skip = startStep % perEpoch;
  for (;;) {
    yield* o.folds === undefined
      ? plainEpoch(o, epoch, skip)
      : foldEpoch({ ...o, folds: o.folds }, split, epoch, skip);
    skip = 0;
    epoch++;
  }
}

/** The step options that hand `b`'s paired batch to the step (none without folds). */
export const pairedOf = (b: StepBatch): StepOptions =>
  b.paired === undefined ? {} : { paired: b.paired.images };

/** Frees `b`'s tensors. */
export const disposeStepBatch = (b: StepBatch): void => {
  b.images.dispose();
  b.paired?.images.dispose();
};

/** The data order of a run of `training` on `dataset` with `seed`. */
export const dataOrderOf = (
  dataset: Dataset,
  training: { readonly batch: number; readonly folds?: FoldSpec },
  seed: number,
): DataOrder => ({
  dataset,
  batch: training.batch,
  seed,
  ...(training.folds === undefined ? {} : { folds: training.folds }),
});
