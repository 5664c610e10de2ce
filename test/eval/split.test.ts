import { describe, expect, it } from 'vitest';
import {
  gatherLabels,
  gatherRows,
  labelFractionSubset,
  stratifiedSplit,
} from '../../eval/split.js';
import { Rng } from '../../compiler/ir/rng.js';

const labels = Int32Array.from({ length: 103 }, (_, i) => (i < 50 ? 0 : i < 100 ? 1 : 2)); // 50, 50, 3

const countBy = (idx: Int32Array, c: number): number =>
  [...idx].filter((i) => labels[i] === c).length;

describe('stratifiedSplit', () => {
  it('keeps each class proportion, partitions the samples and is seeded', () => {
    const s = stratifiedSplit(labels, Rng.seeded(1), 0.2);
    expect([0, 1, 2].map((c) => countBy(s.test, c))).toEqual([10, 10, 1]);
    expect(new Set([...s.train, ...s.test]).size).toBe(103);
    expect(s.train.length + s.test.length).toBe(103);
    expect([...s.test]).toEqual([...s.test].sort((a, b) => a - b));
    expect(stratifiedSplit(labels, Rng.seeded(1), 0.2)).toEqual(s);
    expect(stratifiedSplit(labels, Rng.seeded(2), 0.2).test).not.toEqual(s.test);
  });

  it('keeps a single-sample class in train', () => {
    const s = stratifiedSplit([0, 0, 0, 1], Rng.seeded(0), 0.5);
    expect([...s.train]).toContain(3);
  });
});

describe('labelFractionSubset', () => {
  it('takes the fraction of each class, at least one', () => {
    const { train } = stratifiedSplit(labels, Rng.seeded(1), 0.2);
    const sub = labelFractionSubset(train, labels, 0.1, Rng.seeded(3));
    expect([0, 1, 2].map((c) => countBy(sub, c))).toEqual([4, 4, 1]);
    expect([...sub].every((i) => train.includes(i))).toBe(true);
    expect(labelFractionSubset(train, labels, 1, Rng.seeded(3))).toEqual(train);
    expect(() => labelFractionSubset(train, labels, 0, Rng.seeded(3))).toThrow(
      'labelFraction must be in (0, 1]',
    );
  });
});

describe('gatherRows / gatherLabels', () => {
  it('select rows of a row-major matrix', () => {
    const x = Float32Array.from({ length: 12 }, (_, i) => i);
    expect([...gatherRows(x, 3, [3, 0])]).toEqual([9, 10, 11, 0, 1, 2]);
    expect([...gatherLabels([5, 6, 7], [2, 2, 0])]).toEqual([7, 7, 5]);
  });
});
