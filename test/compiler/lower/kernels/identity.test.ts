/**
 * The zero-copy wasm `Identity` (`compiler/lower/kernels/identity.ts`): a clone shares its source's
 * data, outlives it, is not changed by a variable's `assign`, and gradients (whose saved tensors
 * are clones) match the `cpu` backend.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../../../runtime/backend.js';
import { onBackend, randn, relErr } from '../compare.js';

describe('wasm Identity without a copy', () => {
  it('shares the data, survives the source, and is unchanged by assign', async () => {
    await useBackend('wasm');
    const x = tf.tensor([1, 2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect([...y.dataSync()]).toEqual([1, 2, 3]);
    y.dispose();
    const v = tf.variable(tf.tensor([5, 6]));
    const c = tf.clone(v);
    v.assign(tf.tensor([7, 8]));
    expect([...c.dataSync()]).toEqual([5, 6]);
    expect([...v.dataSync()]).toEqual([7, 8]);
    tf.dispose([c, v]);
  });

  it('a gradient through saved tensors matches cpu', async () => {
    const f = () => {
      const [a, b, probe] = [randn(1, [6, 5]), randn(2, [5, 4]), randn(3, [6, 4])];
      return tf.grads((p: tf.Tensor, q: tf.Tensor) =>
        tf.sum(tf.mul(tf.softmax(tf.erf(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D))), probe)),
      )([a, b]);
    };
    const ref = await onBackend('cpu', f);
    const got = await onBackend('wasm', f);
    for (const [i, g] of got.entries()) expect(relErr(g, ref[i]!)).toBeLessThanOrEqual(1e-5);
  });
});
