/**
 * The data order of a run (`runtime/dataOrder.ts`): without folds, exactly the dataset's epochs
 * as before; with pseudo-domain folds, a seeded split into disjoint folds covering the data,
 * `images` from fold i and the paired batch from fold i + 1 (never the same image), one epoch a
 * pass over the smallest fold, the pair rotating every `rotateEvery` epochs, every epoch
 * reshuffled, and any start step replaying the stream of step 0.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../compiler/ir/rng.js';
import { makeDataset } from '../../data/dataset.js';
import { useBackend } from '../../runtime/backend.js';
import {
  foldPair,
  foldSplit,
  stepBatches,
  stepsPerEpoch,
  type DataOrder,
} from '../../runtime/dataOrder.js';

const N = 50;
const dataset = makeDataset({
  name: 'indices',
  size: N,
  imageSize: 1,
  classes: {},
  labels: {},
  load: async (indices) => ({ rgb: new Uint8Array(indices.length * 3), count: indices.length }),
});

/** The indices of `count` steps from `start`: `[images, paired]` per step. */
const take = async (o: DataOrder, start: number, count: number): Promise<number[][][]> => {
  const out: number[][][] = [];
  const stream = stepBatches(o, start);
  for (let n = 0; n < count; n++) {
    const b = (await stream.next()).value!;
    out.push([Array.from(b.indices), Array.from(b.paired?.indices ?? [])]);
    b.images.dispose();
    b.paired?.images.dispose();
  }
  await stream.return(undefined);
  return out;
};

const folds = { k: 2, rotateEvery: 2 };
const order: DataOrder = { dataset, batch: 4, seed: 7, folds };

describe('data order', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('splits the data by the seed into k disjoint folds that cover it, sizes within one', () => {
    for (const k of [2, 3, 7]) {
      const split = foldSplit(N, k, 7);
      expect(split.length).toBe(k);
      const all = split.flatMap((f) => Array.from(f));
      expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
      const sizes = split.map((f) => f.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect(foldSplit(N, 2, 7)).toEqual(foldSplit(N, 2, 7));
    expect(foldSplit(N, 2, 8)[0]).not.toEqual(foldSplit(N, 2, 7)[0]);
  });

  it('pairs fold i with i + 1 and rotates every rotateEvery epochs', () => {
    expect([0, 1, 2, 3, 4, 5].map((e) => foldPair(e, folds))).toEqual([
      [0, 1],
      [0, 1],
      [1, 0],
      [1, 0],
      [0, 1],
      [0, 1],
    ]);
    expect([0, 1, 2, 3].map((e) => foldPair(e, { k: 3, rotateEvery: 1 }))).toEqual([
      [0, 1],
      [1, 2],
      [2, 0],
      [0, 1],
    ]);
    expect(stepsPerEpoch(N, 4, folds)).toBe(6); // 25 images a fold
    expect(stepsPerEpoch(N, 4)).toBe(12);
  });

  it('draws images from fold i and the paired batch from fold i + 1, the pair swapping at step perEpoch * rotateEvery', async () => {
    const split = foldSplit(N, 2, 7).map((f) => new Set(f));
    const steps = await take(order, 0, 30);
    steps.forEach(([images, paired], s) => {
      const [i, j] = foldPair(Math.floor(s / 6), folds);
      expect(images!.length).toBe(4);
      expect(paired!.length).toBe(4);
      expect(
        images!.every((x) => split[i]!.has(x)),
        `step ${s}`,
      ).toBe(true);
      expect(
        paired!.every((x) => split[j]!.has(x)),
        `step ${s}`,
      ).toBe(true);
    });
    // each epoch is one pass over fold i without repeats, and epochs are reshuffled
    const epoch = (e: number): number[] => steps.slice(e * 6, e * 6 + 6).flatMap(([x]) => x!);
    expect(new Set(epoch(0)).size).toBe(24);
    expect(epoch(1)).not.toEqual(epoch(0));
    expect(epoch(2).every((x) => split[1]!.has(x))).toBe(true);
    expect(steps[12]![1]!.every((x) => split[0]!.has(x))).toBe(true);
  });

  it('resumes at any step with the batches of the uninterrupted stream', async () => {
    const whole = await take(order, 0, 20);
    for (const start of [1, 5, 6, 13])
      expect(await take(order, start, 20 - start)).toEqual(whole.slice(start));
  });

  it('without folds, yields exactly the dataset epochs shuffled by (seed, epoch), nothing paired', async () => {
    const plain = await take({ dataset, batch: 4, seed: 7 }, 0, 14);
    const epochs: number[][] = [];
    for (const e of [0, 1])
      for await (const b of dataset.batches(4, Rng.seeded(7).fork(`epoch:${e}`))) {
        epochs.push(Array.from(b.indices));
        b.images.dispose();
      }
    expect(plain.map(([x]) => x)).toEqual(epochs.slice(0, 14));
    expect(plain.every(([, p]) => p!.length === 0)).toBe(true);
  });

  it('leaks no tensors when a stream is abandoned mid-epoch', async () => {
    const before = tf.memory().numTensors;
    await take(order, 3, 2);
    await new Promise((r) => setTimeout(r, 10));
    expect(tf.memory().numTensors).toBe(before);
  });
});
