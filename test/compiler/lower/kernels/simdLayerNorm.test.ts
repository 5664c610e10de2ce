/**
 * tessera's WebAssembly SIMD LayerNorm (`compiler/lower/kernels/simdLayerNorm.ts`) against the
 * element-wise LayerNorm of the lowering on the `cpu` backend (`layerNormaliseOps`, itself checked
 * against numpy in the nets fixtures): values and input gradients, including a constant row
 * (variance 0) and rows far from zero (the two-pass variance).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  layerNormForwardSimd,
  layerNormSimdApplies,
} from '../../../../compiler/lower/kernels/simdLayerNorm.js';
import { simdLayerNormModule } from '../../../../compiler/lower/kernels/simdLayerNormCode.js';
import { layerNormalise, layerNormaliseOps } from '../../../../compiler/lower/nets/dense.js';
import { normals, onBackend, relErr, expectValidModule } from '../compare.js';

/** `[rows, d]` inputs: normal rows, one constant row, one row around 1000. */
const input = (shape: number[]): tf.Tensor => {
  const d = shape.at(-1)!;
  const v = normals(
    1,
    shape.reduce((a, b) => a * b, 1),
  );
  v.fill(0.5, 0, d); // constant first row
  for (let i = d; i < 2 * d && i < v.length; i++) v[i] = 1000 + v[i]!;
  return tf.tensor(v, shape);
};

/** LayerNorm value and the gradient of `sum(f(x) * probe)`. */
const valueAndGrad = (f: (x: tf.Tensor) => tf.Tensor, shape: number[]): tf.Tensor[] => {
  const x = input(shape);
  const probe = tf.tensor(normals(2, x.size), shape);
  return [f(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), probe)))(x)];
};

describe('SIMD LayerNorm (wasm) vs the element-wise LayerNorm on cpu', () => {
  it('assembles modules the engine validates (plain and shared memory)', () => {
    expect(() => expectValidModule(simdLayerNormModule)).not.toThrow();
  });

  for (const [shape, eps] of [
    [[3, 5, 8], 1e-5],
    [[6, 64], 1e-6],
    [[2, 4], 1e-5],
  ] as const) {
    it(`[${shape}] eps ${eps}: values and input gradient`, async () => {
      const s = [...shape];
      const f = (x: tf.Tensor) => layerNormalise(x, eps);
      const [applies, ...got] = await onBackend('wasm', () => [
        tf.scalar(layerNormSimdApplies(tf.zeros(s)) ? 1 : 0),
        ...valueAndGrad(f, s),
      ]);
      const want = await onBackend('cpu', () => valueAndGrad((x) => layerNormaliseOps(x, eps), s));
      expect(applies![0]).toBe(1);
      expect(relErr(got[0]!, want[0]!)).toBeLessThan(1e-5);
      expect(relErr(got[1]!, want[1]!)).toBeLessThan(1e-4);
      expect(got[0]!.slice(0, s.at(-1)).every((v) => v === 0)).toBe(true); // constant row -> 0
    });
  }

  it('returns the per-row rstd = 1 / sqrt(var + eps)', async () => {
    const [rstd] = await onBackend('wasm', () => [
      layerNormForwardSimd(
        tf.tensor2d([
          [1, 2, 3, 6],
          [0, 0, 0, 0],
        ]),
        1e-5,
      )[1],
    ]);
    expect(rstd![0]).toBeCloseTo(1 / Math.sqrt(3.5 + 1e-5), 5);
    expect(rstd![1]).toBeCloseTo(1 / Math.sqrt(1e-5), 1);
  });

  it('refuses a second derivative loudly instead of returning a wrong one', async () => {
    await expect(
      onBackend('wasm', () => {
        const probe = tf.tensor2d([
          [1, -2, 3, 0.5],
          [2, 1, -1, 0],
        ]);
        const inner = tf.grad((y: tf.Tensor) => tf.sum(tf.mul(layerNormalise(y, 1e-5), probe)));
        const penalty = (x: tf.Tensor) => tf.sum(tf.square(inner(x)));
        return [
          tf.grad(penalty)(
            tf.tensor2d([
              [1, 2, 3, 6],
              [0, 1, 0, 2],
            ]),
          ),
        ];
      }),
    ).rejects.toThrow(/Cannot compute gradient/);
  });
});
