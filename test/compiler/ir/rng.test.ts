import { describe, expect, it } from 'vitest';
import { Rng } from '../../../compiler/ir/rng.js';

describe('Rng', () => {
  it('is deterministic for a seed and resumes from a saved state', () => {
    const a = Rng.seeded(7);
    const first = [a.next(), a.next()];
    const saved = a.state();
    const rest = [a.next(), a.next()];
    expect([Rng.seeded(7).next(), Rng.seeded(7).next()][0]).toBe(first[0]);
    const resumed = Rng.fromState(saved);
    expect([resumed.next(), resumed.next()]).toEqual(rest);
  });

  it('draws uniform numbers with the right mean and range', () => {
    const r = Rng.seeded(1);
    const xs = Array.from({ length: 20000 }, () => r.uniform(2, 4));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...xs)).toBeLessThan(4);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeCloseTo(3, 1);
  });

  it('forks independent streams per key without advancing the parent', () => {
    const r = Rng.seeded(3);
    const before = r.state();
    const v1 = r.fork('view1').next();
    const v2 = r.fork('view2').next();
    expect(v1).not.toBe(v2);
    expect(r.state()).toEqual(before);
    expect(Rng.fromState(before).fork('view1').next()).toBe(v1);
  });

  it('makes permutations of 0..n-1', () => {
    const p = Rng.seeded(5).permutation(50);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('draws standard normals', () => {
    const r = Rng.seeded(11);
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(variance).toBeCloseTo(1, 1);
  });
});
