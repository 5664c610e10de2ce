/**
 * The softmax with tessera's SIMD gradient (`compiler/lower/kernels/simdSoftmax.ts`, wasm) against
 * `tf.softmax` on the `cpu` backend: values, gradients and second-order gradients, on rows whose
 * length is a multiple of 4 and rows that are not (the gradient's overlapping last vector), with
 * a row of large logits and one of very negative ones (outputs at 0 and 1).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { softmaxFast, softmaxSimdApplies } from '../../../../compiler/lower/kernels/simdSoftmax.js';
import { simdSoftmaxModule } from '../../../../compiler/lower/kernels/simdSoftmaxCode.js';
import { normals, onBackend, relErr, expectValidModule } from '../compare.js';

/** Logits `[..., n]`: normal rows, one row around +500, one row spread to -200. */
const logits = (shape: number[]): tf.Tensor => {
  const n = shape.at(-1)!;
  const v = normals(
    3,
    shape.reduce((a, b) => a * b, 1),
  ).map((x) => 3 * x);
  for (let i = 0; i < n; i++) v[i] = 500 + v[i]!;
  for (let i = n; i < 2 * n && i < v.length; i++) v[i] = i % 2 === 0 ? -200 : v[i]!;
  return tf.tensor(v, shape);
};

/**
 * Softmax, the gradient of `sum(f(x) p)`, and a second-order gradient as an R1 penalty takes it:
 * the gradient in `w` of `sum(q d/dx sum(f(x w) p))`.
 */
const derivatives = (f: (x: tf.Tensor) => tf.Tensor, shape: number[]): tf.Tensor[] => {
  const x = logits(shape);
  const p = tf.tensor(normals(4, x.size), shape);
  const q = tf.tensor(normals(5, x.size), shape);
  const w0 = tf.tensor(normals(6, x.size), shape);
  const inner = (w: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.sum(tf.mul(f(tf.mul(u, w)), p)))(x);
  return [
    f(x),
    tf.grad((u: tf.Tensor) => tf.sum(tf.mul(f(u), p)))(x),
    tf.grad((w: tf.Tensor) => tf.sum(tf.mul(inner(w), q)))(w0),
  ];
};

describe('softmax with the SIMD gradient (wasm) vs tf.softmax on cpu', () => {
  it('assembles modules the engine validates (plain and shared memory)', () => {
    expect(() => expectValidModule(simdSoftmaxModule)).not.toThrow();
  });

  for (const shape of [
    [3, 4],
    [2, 3, 8],
    [5, 7],
    [4, 65],
    [2, 3, 9],
    [6, 6],
  ]) {
    it(`[${shape}]: values, gradient and second-order gradient`, async () => {
      const [applies, ...got] = await onBackend('wasm', () => [
        tf.scalar(softmaxSimdApplies(tf.zeros(shape)) ? 1 : 0),
        ...derivatives(softmaxFast, shape),
      ]);
      const want = await onBackend('cpu', () => derivatives((x) => tf.softmax(x), shape));
      expect(applies![0]).toBe(1);
      expect(relErr(got[0]!, want[0]!)).toBeLessThan(2e-6);
      expect(relErr(got[1]!, want[1]!)).toBeLessThan(1e-5);
      expect(relErr(got[2]!, want[2]!)).toBeLessThan(1e-4);
      const n = shape.at(-1)!;
      for (let r = 0; r < got[0]!.length / n; r++) {
        const row = got[0]!.slice(r * n, (r + 1) * n);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
    });
  }

  it('falls back to tf.softmax for rows shorter than 4', async () => {
    const run = () => [softmaxFast(tf.tensor2d([[1, 2, 3]]))];
    expect(
      await onBackend('wasm', () => [tf.scalar(softmaxSimdApplies(tf.zeros([2, 3])) ? 1 : 0)]),
    ).toEqual([Float32Array.of(0)]);
    expect(
      relErr((await onBackend('wasm', run))[0]!, (await onBackend('cpu', run))[0]!),
    ).toBeLessThan(1e-6);
  });
});
