/**
 * Pseudo-domain folds in the torch target (`tessera_torch/data.py`): the same rule as TF.js's
 * `runtime/dataOrder.ts` (`foldPair`, `stepsPerEpoch`), drawn with NumPy's generator (the two
 * targets' data orders differ by design, as without folds): disjoint folds covering the data,
 * images from fold i and the paired batch from fold i + 1, one pass over a fold per epoch, the
 * pair rotating every `rotateEvery` epochs, every step a function of (seed, step) (resume), and
 * a clear error for a dataset with less than one batch per fold. `stormRun.test.ts` trains
 * ST-STORM (folds by default) with `train.py`, in memory and streamed.
 */
import { describe, expect, it } from 'vitest';
import { foldPair, stepsPerEpoch } from '../../runtime/dataOrder.js';
import { TORCH_PACKAGE } from '../../runtime/torchPackage.js';
import { join } from 'node:path';
import { runPython } from './python.js';

const [N, BATCH, K, EVERY, STEPS] = [50, 4, 2, 2, 30];

interface Folds {
  readonly split: number[][];
  readonly otherSeed: number[][];
  readonly steps: Array<[number[], number[]]>;
  readonly again: Array<[number[], number[]]>;
  readonly plain: boolean;
  readonly small: string | null;
}

describe('torch target: pseudo-domain folds', () => {
  const r = JSON.parse(
    runPython([
      join(__dirname, 'folds.py'),
      join(TORCH_PACKAGE, '..'),
      ...[N, BATCH, K, EVERY, STEPS].map(String),
    ]),
  ) as Folds;

  it('splits the data into k disjoint folds covering it, by the seed', () => {
    expect(r.split.length).toBe(K);
    expect(r.split.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(r.split.map((f) => f.length)).toEqual([25, 25]);
    expect(r.otherSeed[0]).not.toEqual(r.split[0]);
  });

  it("draws images from fold i and the paired batch from fold i + 1, rotating as TF.js's rule says", () => {
    const folds = r.split.map((f) => new Set(f));
    const perEpoch = stepsPerEpoch(N, BATCH, { k: K, rotateEvery: EVERY });
    expect(perEpoch).toBe(6);
    r.steps.forEach(([x, y], s) => {
      const [i, j] = foldPair(Math.floor(s / perEpoch), { k: K, rotateEvery: EVERY });
      expect([x.length, y.length]).toEqual([BATCH, BATCH]);
      expect(
        x.every((v) => folds[i]!.has(v)) && y.every((v) => folds[j]!.has(v)),
        `step ${s}`,
      ).toBe(true);
    });
    const epoch = (e: number) =>
      r.steps.slice(e * perEpoch, (e + 1) * perEpoch).flatMap(([x]) => x);
    expect(new Set(epoch(0)).size).toBe(perEpoch * BATCH);
    expect(epoch(1)).not.toEqual(epoch(0));
  });

  it('is a function of the step (resume replays it); without folds the batches are as before', () => {
    expect(r.again).toEqual(r.steps);
    expect(r.plain).toBe(true);
  });

  it('refuses a dataset with less than one batch per fold', () => {
    expect(r.small).toMatch(/fewer than one global batch of 4 per fold \(2 pseudo-domain folds\)/);
  });
});
