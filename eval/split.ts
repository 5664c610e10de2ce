/**
 * Stratified, seeded sample selection for probes: a held-out test split that keeps each class's
 * proportion, and a label fraction of the training split (the "10% labels" protocol).
 */
import type { Rng } from '../compiler/ir/rng.js';

/** Indices of a train / test split, each sorted ascending. */
export interface Split {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

const byClass = (indices: ArrayLike<number>, labels: ArrayLike<number>): Map<number, number[]> => {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < indices.length; i++) {
    const idx = indices[i]!;
    const c = labels[idx]!;
    const g = groups.get(c);
    if (g) g.push(idx);
    else groups.set(c, [idx]);
  }
  return groups;
};

const shuffled = (xs: ReadonlyArray<number>, rng: Rng): number[] =>
  rng.permutation(xs.length).map((i) => xs[i]!);

const sorted = (xs: number[]): Int32Array => Int32Array.from(xs).sort();

/**
 * Splits `0..labels.length-1` into train and test, per class: `round(testFraction * n_c)` test
 * samples, at least one and at most `n_c - 1` (a class with a single sample goes to train).
 * Default `testFraction` 0.2. Deterministic for a given `rng` state.
 */
export const stratifiedSplit = (labels: ArrayLike<number>, rng: Rng, testFraction = 0.2): Split => {
  if (!(testFraction > 0 && testFraction < 1))
    throw new Error(`stratifiedSplit: testFraction must be in (0, 1), got ${testFraction}`);
  const all = Array.from({ length: labels.length }, (_, i) => i);
  const train: number[] = [];
  const test: number[] = [];
  for (const [, members] of [...byClass(all, labels)].sort((a, b) => a[0] - b[0])) {
    const order = shuffled(members, rng);
    const n = order.length;
    const nTest = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(testFraction * n)));
    test.push(...order.slice(0, nTest));
    train.push(...order.slice(nTest));
  }
  return { train: sorted(train), test: sorted(test) };
};

/**
 * A stratified subset of `indices`: per class, `round(fraction * n_c)` samples, at least one.
 * `fraction` 1 keeps everything. The result is sorted ascending.
 */
export const labelFractionSubset = (
  indices: ArrayLike<number>,
  labels: ArrayLike<number>,
  fraction: number,
  rng: Rng,
): Int32Array => {
  if (!(fraction > 0 && fraction <= 1))
    throw new Error(`labelFraction must be in (0, 1], got ${fraction}`);
  const out: number[] = [];
  for (const [, members] of [...byClass(indices, labels)].sort((a, b) => a[0] - b[0])) {
    const keep = Math.min(members.length, Math.max(1, Math.round(fraction * members.length)));
    out.push(...shuffled(members, rng).slice(0, keep));
  }
  return sorted(out);
};

/** Rows `indices` of a row-major `[n, dim]` matrix, as a new `[indices.length, dim]` matrix. */
export const gatherRows = (
  data: Float32Array,
  dim: number,
  indices: ArrayLike<number>,
): Float32Array => {
  const out = new Float32Array(indices.length * dim);
  for (let r = 0; r < indices.length; r++)
    out.set(data.subarray(indices[r]! * dim, (indices[r]! + 1) * dim), r * dim);
  return out;
};

/** Entries `indices` of `values`. */
export const gatherLabels = (values: ArrayLike<number>, indices: ArrayLike<number>): Int32Array =>
  Int32Array.from({ length: indices.length }, (_, i) => values[indices[i]!]!);
