/**
 * tessera's WebAssembly SIMD parameter updates (`compiler/lower/kernels/simdUpdates.ts`): the module
 * assembles, and the EMA kernel gives the same floats as the element-wise ops on cpu (the Adam
 * kernel is checked bit for bit in `test/runtime/optim/optim.test.ts`).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { emaSimd, updatesSimdApply } from '../../../../compiler/lower/kernels/simdUpdates.js';
import { simdUpdatesModule } from '../../../../compiler/lower/kernels/simdUpdatesCode.js';
import { normals, onBackend, expectValidModule } from '../compare.js';

describe('SIMD parameter updates (wasm)', () => {
  it('assembles modules the engine validates (plain and shared memory)', () => {
    expect(() => expectValidModule(simdUpdatesModule)).not.toThrow();
  });

  for (const m of [0.99, 0.996, 0.5, 1]) {
    it(`EMA with momentum ${m}: the floats of target m + source (1 - m) on cpu`, async () => {
      const [target, source] = [normals(1, 4 * 37), normals(2, 4 * 37)];
      const [applies, got] = await onBackend('wasm', () => [
        tf.scalar(updatesSimdApply(tf.zeros([8])) ? 1 : 0),
        emaSimd(tf.tensor(target), tf.tensor(source), m),
      ]);
      const [want] = await onBackend('cpu', () => [
        tf.add(tf.mul(tf.tensor(target), m), tf.mul(tf.tensor(source), 1 - m)),
      ]);
      expect(applies![0]).toBe(1);
      expect([...got!]).toEqual([...want!]);
    });
  }
});
