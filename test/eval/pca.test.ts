import { describe, expect, it } from 'vitest';
import { jacobiEigen, pca2 } from '../../eval/pca.js';
import { evalReference } from './reference.js';

const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void => {
  expect(got.length).toBe(want.length);
  const scale = Math.max(1, ...Array.from(want, Math.abs));
  for (let i = 0; i < want.length; i++)
    expect(Math.abs(got[i]! - want[i]!), `entry ${i}`).toBeLessThan(tol * scale);
};

describe('pca2', () => {
  it('matches numpy SVD of the centred data (axes, coordinates, variances), n > dim and n < dim', () => {
    for (const c of evalReference().pca) {
      const p = pca2(Float32Array.from(c.data), c.dim, { tolerance: 1e-14 });
      close(p.components, c.components, 1e-6);
      close(p.coords, c.coords, 1e-5);
      close(p.variance, c.variance, 1e-9);
      close(p.varianceRatio, c.variance_ratio, 1e-9);
      const fast = pca2(Float32Array.from(c.data), c.dim); // default tolerance, for plots
      close(fast.coords, c.coords, 1e-3);
    }
  });

  it('handles one-dimensional and constant data', () => {
    const one = pca2(new Float32Array([1, 2, 3]), 1);
    expect([...one.coords]).toEqual([-1, 0, 0, 0, 1, 0]);
    const flat = pca2(new Float32Array(12).fill(2), 3);
    expect([...flat.coords].every((v) => v === 0)).toBe(true);
    expect(flat.varianceRatio).toEqual([0, 0]);
  });
});

describe('jacobiEigen', () => {
  it('diagonalises a symmetric matrix', () => {
    const a = [
      [4, 1, 2],
      [1, 3, 0],
      [2, 0, 1],
    ];
    const { values, vectors } = jacobiEigen(a);
    for (let i = 0; i < 3; i++) {
      const v = vectors.map((r) => r[i]!);
      const av = a.map((r) => r.reduce((s, x, j) => s + x * v[j]!, 0));
      close(
        av,
        v.map((x) => x * values[i]!),
        1e-12,
      );
    }
    expect(values.reduce((s, x) => s + x, 0)).toBeCloseTo(8, 12);
  });
});
