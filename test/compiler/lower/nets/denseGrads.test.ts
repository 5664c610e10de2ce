import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { gelu, layerNormalise } from '../../../../compiler/lower/nets/dense.js';
import { onBackend, randn, relErr } from '../compare.js';

/** TF.js's own derivation of the plain formulas (what the closed-form gradients replace). */
const plainGelu = (x: tf.Tensor): tf.Tensor =>
  tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
const plainLayerNorm = (x: tf.Tensor, eps: number): tf.Tensor => {
  const { mean, variance } = tf.moments(x, [x.rank - 1], true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
};

/** `[value, dx]` of `sum(f(x) * w)` for fixed random `x [3, 5, 8]` (scaled by `scale`) and `w`. */
const valueAndGrad = (f: (x: tf.Tensor) => tf.Tensor, scale: number) => (): tf.Tensor[] => {
  const x = tf.mul(randn(1, [3, 5, 8]), scale);
  const w = randn(2, [3, 5, 8]);
  const { value, grad } = tf.valueAndGrad((xi: tf.Tensor) => tf.sum(tf.mul(f(xi), w)) as tf.Scalar)(
    x,
  );
  return [value, grad];
};

describe('closed-form gradients equal TF.js autodiff of the plain formulas (cpu, within 1e-5)', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`GELU (erf) on ${backend}, inputs of scale 3`, async () => {
      const ref = await onBackend('cpu', valueAndGrad(plainGelu, 3));
      const got = await onBackend(backend, valueAndGrad(gelu, 3));
      expect(relErr(got[0]!, ref[0]!)).toBeLessThanOrEqual(1e-5);
      expect(relErr(got[1]!, ref[1]!)).toBeLessThanOrEqual(1e-5);
    });

    it(`LayerNorm (last axis, eps 1e-6) on ${backend}, inputs of scale 2`, async () => {
      const ref = await onBackend(
        'cpu',
        valueAndGrad((x) => plainLayerNorm(x, 1e-6), 2),
      );
      const got = await onBackend(
        backend,
        valueAndGrad((x) => layerNormalise(x, 1e-6), 2),
      );
      expect(relErr(got[0]!, ref[0]!)).toBeLessThanOrEqual(1e-5);
      expect(relErr(got[1]!, ref[1]!)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('frees every intermediate tensor, forward and backward (onBackend throws on a leak)', async () => {
    const outs = await onBackend(
      'wasm',
      valueAndGrad((x) => layerNormalise(gelu(x), 1e-6), 1),
    );
    expect(outs.map((o) => o.length)).toEqual([1, 120]);
  });
});
