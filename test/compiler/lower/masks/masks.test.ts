/** I-JEPA multi-block masks and the Style-JEPA token mask: statistics over many batches. */
import { describe, expect, it } from 'vitest';
import type { MultiBlockMask } from '../../../../compiler/ir/augment.js';
import {
  sampleBlockSize,
  sampleMultiBlockMasks,
} from '../../../../compiler/lower/masks/multiBlock.js';
import {
  sampleTokenMask,
  tokenMaskProbabilities,
} from '../../../../compiler/lower/masks/tokenMask.js';
import { Rng } from '../../../../compiler/ir/rng.js';

const ijepa: MultiBlockMask = {
  grid: [14, 14],
  targets: 4,
  targetScale: [0.15, 0.2],
  targetAspect: [0.75, 1.5],
  contexts: 1,
  contextScale: [0.85, 1],
  contextAspect: [1, 1],
  minKeep: 10,
  allowOverlap: false,
};

const rows = (data: Int32Array, k: number): number[][] =>
  Array.from({ length: data.length / k }, (_, i) => [...data.slice(i * k, (i + 1) * k)]);

describe('multi-block masks', () => {
  it('block sizes: scale and aspect within bounds (one draw gives both), smaller than the grid', () => {
    const rng = Rng.seeded(1);
    for (let k = 0; k < 2000; k++) {
      const [h, w] = sampleBlockSize(ijepa.grid, ijepa.targetScale, ijepa.targetAspect, rng);
      expect(h).toBeLessThan(14);
      expect(w).toBeLessThan(14);
      const n = Math.floor(196 * 0.15);
      // h*w approximates floor(196 s) up to rounding of each side
      expect(h * w).toBeGreaterThanOrEqual(n - Math.sqrt(n) - 1);
      expect(h * w).toBeLessThanOrEqual(Math.floor(196 * 0.2) + Math.sqrt(196 * 0.2) + 1);
      expect(h / w).toBeGreaterThan(0.75 * 0.7);
      expect(h / w).toBeLessThan(1.5 / 0.7);
    }
  });

  it('targets are h x w rectangles; no target patch in the context; lists sorted, truncated to the batch minimum', () => {
    const rng = Rng.seeded(2);
    for (let round = 0; round < 50; round++) {
      const B = 8;
      const m = sampleMultiBlockMasks(ijepa, B, rng);
      const [T, b, kt] = m.targets.shape as [number, number, number];
      const [, kc] = m.context.shape as [number, number];
      expect([T, b, m.context.shape[0]]).toEqual([4, B, B]);
      expect(kt).toBe(m.targetSize[0] * m.targetSize[1]);
      expect(kc).toBeGreaterThan(ijepa.minKeep);
      const ctx = rows(m.context.data, kc);
      const tgt = rows(m.targets.data, kt);
      for (const r of [...ctx, ...tgt]) {
        expect(r).toEqual([...r].sort((x, y) => x - y));
        expect(new Set(r).size).toBe(r.length);
        expect(Math.max(...r)).toBeLessThan(196);
      }
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < B; i++) {
          const r = tgt[t * B + i]!;
          const rowsOf = r.map((p) => Math.floor(p / 14));
          const colsOf = r.map((p) => p % 14);
          expect(Math.max(...rowsOf) - Math.min(...rowsOf) + 1).toBe(m.targetSize[0]);
          expect(Math.max(...colsOf) - Math.min(...colsOf) + 1).toBe(m.targetSize[1]);
          const context = new Set(ctx[i]);
          expect(r.some((p) => context.has(p))).toBe(false);
        }
      }
    }
  });

  it('with allowOverlap the context is a whole block', () => {
    const m = sampleMultiBlockMasks({ ...ijepa, allowOverlap: true }, 4, Rng.seeded(3));
    expect(m.context.shape[1]).toBe(m.contextSize[0] * m.contextSize[1]);
  });

  it('is deterministic for a seed', () => {
    const a = sampleMultiBlockMasks(ijepa, 4, Rng.seeded(7));
    const b = sampleMultiBlockMasks(ijepa, 4, Rng.seeded(7));
    expect([...a.context.data]).toEqual([...b.context.data]);
    expect([...a.targets.data]).toEqual([...b.targets.data]);
  });

  it('rejects a block that can never keep minKeep patches', () => {
    expect(() =>
      sampleMultiBlockMasks({ ...ijepa, targetScale: [0.01, 0.02] }, 2, Rng.seeded(1)),
    ).toThrow(/minKeep/);
  });
});

describe('token mask (Style-JEPA)', () => {
  const node = { _tag: 'TokenMask', name: 'm', count: 6, ratio: 0.6, bias: 2 } as const;

  it('probabilities follow ratio * linspace(bias, 1) / mean', () => {
    const p = tokenMaskProbabilities(node);
    const imp = [2, 1.8, 1.6, 1.4, 1.2, 1];
    imp.forEach((v, s) => expect(p[s]).toBeCloseTo((0.6 * v) / 1.5, 6));
  });

  it('empirical frequencies match, values are 0/1, shape [B, count]', () => {
    const m = sampleTokenMask(node, 20000, Rng.seeded(4));
    expect(m.shape).toEqual([20000, 6]);
    expect(m.data.every((v) => v === 0 || v === 1)).toBe(true);
    const p = tokenMaskProbabilities(node);
    for (let s = 0; s < 6; s++) {
      let hits = 0;
      for (let i = 0; i < 20000; i++) hits += m.data[i * 6 + s]!;
      expect(Math.abs(hits / 20000 - p[s]!)).toBeLessThan(0.015);
    }
  });
});
