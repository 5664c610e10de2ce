/**
 * `Memory` nodes (style bank, replay): a deque of the last `size` samples, mixing
 * `round(ratio * batch)` stored samples into the batch, pushing once per step, seeded by the
 * step's stream, restored exactly from a snapshot. And `Permute` never pairs a sample with itself.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import type { ValueExpr } from '../../../compiler/ir/node.js';
import { createMemoryState, replacedCount } from '../../../compiler/lower/memory.js';
import { derangement } from '../../../compiler/lower/random.js';
import { Rng } from '../../../compiler/ir/rng.js';

type MemoryNode = Extract<ValueExpr, { _tag: 'Memory' }>;
const node = (size: number, ratio: number): MemoryNode => ({
  _tag: 'Memory',
  name: 'bank',
  source: { _tag: 'Input', name: 'images' },
  size,
  ratio,
});
/** A batch `[n, 1]` whose rows are the numbers `from .. from + n - 1`. */
const rows = (from: number, n: number) =>
  tf.tensor2d(Array.from({ length: n }, (_, i) => [from + i]));
const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('memory state', () => {
  test('empty: the batch passes unchanged; afterwards it holds the last `size` samples, oldest first', () => {
    const m = createMemoryState();
    const out = m.sample(node(5, 0.5), rows(0, 4), Rng.seeded(0));
    expect(values(out)).toEqual([0, 1, 2, 3]);
    m.afterStep();
    expect(values(m.snapshot()['bank']!)).toEqual([0, 1, 2, 3]);
    m.sample(node(5, 0.5), rows(10, 4), Rng.seeded(1));
    m.afterStep();
    expect(values(m.snapshot()['bank']!)).toEqual([3, 10, 11, 12, 13]);
    m.dispose();
  });

  test('replaces round(ratio * batch) positions with stored samples, the rest is the batch', () => {
    expect([
      replacedCount(0.3, 8),
      replacedCount(1, 8),
      replacedCount(0, 8),
      replacedCount(0.3, 50),
    ]).toEqual([2, 8, 0, 15]);
    const m = createMemoryState();
    m.restore({ bank: rows(100, 6) });
    const out = values(m.sample(node(6, 0.3), rows(0, 8), Rng.seeded(3)));
    const replaced = out.map((v, i) => (v === i ? -1 : i)).filter((i) => i >= 0);
    expect(replaced.length).toBe(2);
    for (const i of replaced) expect(out[i]).toBeGreaterThanOrEqual(100);
    const all = values(m.sample(node(6, 1), rows(0, 8), Rng.seeded(3)));
    expect(all.every((v) => v >= 100 && v < 106)).toBe(true);
    m.dispose();
  });

  test('same rng, same draws; a node sampled twice in a step pushes its batch once', () => {
    const a = createMemoryState();
    const b = createMemoryState();
    for (const m of [a, b]) m.restore({ bank: rows(100, 10) });
    expect(values(a.sample(node(20, 0.5), rows(0, 8), Rng.seeded(9)))).toEqual(
      values(b.sample(node(20, 0.5), rows(0, 8), Rng.seeded(9))),
    );
    a.sample(node(20, 0.5), rows(50, 8), Rng.seeded(9));
    a.afterStep();
    expect(a.snapshot()['bank']!.shape[0]).toBe(18);
    a.dispose();
    b.dispose();
  });

  test('restore copies: the restored memory equals the snapshot and survives disposing the source', () => {
    const m = createMemoryState();
    m.sample(node(4, 1), rows(0, 3), Rng.seeded(0));
    m.afterStep();
    const copy = createMemoryState();
    const snap = m.snapshot();
    copy.restore(snap);
    m.dispose();
    expect(values(copy.snapshot()['bank']!)).toEqual([0, 1, 2]);
    copy.dispose();
  });

  test('no tensor leak over many steps once the memory is full', () => {
    const m = createMemoryState();
    const counts: number[] = [];
    for (let s = 0; s < 6; s++) {
      const batch = rows(s * 4, 4);
      const out = m.sample(node(8, 0.5), batch, Rng.seeded(s));
      out.dispose();
      batch.dispose();
      m.afterStep();
      counts.push(tf.memory().numTensors);
    }
    expect(counts[5]).toBe(counts[2]);
    m.dispose();
  });
});

describe('Permute: no self-pairs', () => {
  test('every derangement of 2..9 has no fixed point and is a permutation', () => {
    for (let n = 2; n <= 9; n++) {
      for (let seed = 0; seed < 50; seed++) {
        const d = derangement(n, Rng.seeded(seed));
        expect([...d].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(d.some((v, i) => v === i)).toBe(false);
      }
    }
  });
});
