/**
 * tessera's WebAssembly SIMD exact GELU (`compiler/lower/kernels/simdGelu.ts`) and the element-wise
 * GELU of the lowering (`nets/dense.ts`), forward and gradient, against float64 numbers from
 * scipy's erf (`test/fixtures/gelu.py`), over [-12, 12], the tails (+-40), zero and tiny inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { geluSimd, geluSimdApplies } from '../../../../compiler/lower/kernels/simdGelu.js';
import { simdGeluModule } from '../../../../compiler/lower/kernels/simdGeluCode.js';
import { gelu, geluOps } from '../../../../compiler/lower/nets/dense.js';
import { loadFixture, type StoredArray } from '../../../fixtures/fixture.js';
import { onBackend, expectValidModule } from '../compare.js';

const f = loadFixture<Record<'x' | 'dy' | 'y' | 'dx', StoredArray>>('gelu');

/** Largest `|got - want| / (1 + |want|)`: absolute near zero, relative in the tails. */
const err = (got: ArrayLike<number>, want: ReadonlyArray<number>): number =>
  want.reduce((m, w, i) => Math.max(m, Math.abs(got[i]! - w) / (1 + Math.abs(w))), 0);

/** `gelu(x)` and the gradient of `sum(gelu(x) * dy)`. */
const valueAndGrad = (fn: (x: tf.Tensor) => tf.Tensor, x = f.x, dy = f.dy): tf.Tensor[] => {
  const [xt, dyt] = [tf.tensor(x.data, x.shape), tf.tensor(dy.data, dy.shape)];
  return [fn(xt), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fn(t), dyt)))(xt)];
};

describe('SIMD exact GELU (wasm)', () => {
  it('assembles modules the engine validates (plain and shared memory)', () => {
    expect(() => expectValidModule(simdGeluModule)).not.toThrow();
  });

  it('matches float64 GELU and its gradient within 1e-6', async () => {
    const [applies, y, dx] = await onBackend('wasm', () => [
      tf.scalar(geluSimdApplies(tf.zeros([8])) ? 1 : 0),
      ...valueAndGrad(geluSimd),
    ]);
    expect(applies![0]).toBe(1);
    expect(err(y!, f.y.data)).toBeLessThan(1e-6);
    expect(err(dx!, f.dx.data)).toBeLessThan(1e-6);
    expect(y!.every(Number.isFinite) && dx!.every(Number.isFinite)).toBe(true);
  });

  it('is what the lowering uses on wasm; odd sizes and cpu take the element-wise ops, same numbers', async () => {
    const odd = {
      x: { shape: [787], data: f.x.data.slice(0, 787) },
      dy: { shape: [787], data: f.dy.data.slice(0, 787) },
    };
    const wasm = await onBackend('wasm', () => [
      tf.scalar(geluSimdApplies(tf.zeros([787])) ? 1 : 0),
      ...valueAndGrad(gelu),
      ...valueAndGrad(gelu, odd.x, odd.dy),
    ]);
    const cpu = await onBackend('cpu', () => valueAndGrad(geluOps));
    expect(wasm[0]![0]).toBe(0);
    for (const got of [wasm[1]!, cpu[0]!]) expect(err(got, f.y.data)).toBeLessThan(1e-6);
    for (const got of [wasm[2]!, cpu[1]!]) expect(err(got, f.dx.data)).toBeLessThan(1e-6);
    expect(err(wasm[3]!, f.y.data.slice(0, 787))).toBeLessThan(1e-6);
    expect(err(wasm[4]!, f.dx.data.slice(0, 787))).toBeLessThan(1e-6);
  });

  it('refuses a second derivative loudly instead of returning a wrong one', async () => {
    await expect(
      onBackend('wasm', () => {
        const second = tf.grad(tf.grad((t: tf.Tensor) => tf.sum(geluSimd(t))));
        return [second(tf.ones([4]))];
      }),
    ).rejects.toThrow(/TesseraGeluGrad/);
  });
});
