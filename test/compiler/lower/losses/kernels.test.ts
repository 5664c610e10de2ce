import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { LOSS_TAGS } from '../../../../compiler/ir/loss.js';
import { lossKernels } from '../../../../compiler/lower/losses/index.js';
import { dft2 } from '../../../../compiler/lower/kernels/dft.js';
import { useBackend } from '../../../../runtime/backend.js';
import { fromStored, relError } from '../../../fixtures/fixture.js';
import { caseFunctions, fixture, type LossCase } from './cases.js';

interface Result {
  readonly value: number;
  readonly grads: Record<string, Float32Array>;
}

/** Value and gradients (w.r.t. the case's `grad` inputs) of one case on the active backend. */
const evaluate = (name: string, c: LossCase): Result => {
  const f = caseFunctions[name]!;
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fromStored(v)]));
  const wrt = Object.keys(c.grad);
  const value = tf.tidy(() => f(inputs, c).dataSync()[0]!);
  const grads = tf.tidy(() =>
    tf.grads((...xs: tf.Tensor[]) =>
      f({ ...inputs, ...Object.fromEntries(wrt.map((k, i) => [k, xs[i]!])) }, c),
    )(wrt.map((k) => inputs[k]!)),
  );
  const out = Object.fromEntries(wrt.map((k, i) => [k, grads[i]!.dataSync() as Float32Array]));
  tf.dispose([...grads, ...Object.values(inputs)]);
  return { value, grads: out };
};

const names = Object.keys(fixture.cases);

describe('loss kernels against numpy (test/fixtures/losses.py)', () => {
  it('the kernel table covers every loss tag, and every tag has a fixture case', () => {
    expect(Object.keys(lossKernels).sort()).toEqual([...LOSS_TAGS].sort());
    const covered = new Set([
      'InfoNCE',
      'InfoNCEQueue',
      'SmoothL1',
      'L1',
      'L2',
      'LsganGenerator',
      'LsganDiscriminator',
      'R1',
      'PatchNce',
      'TokenL1',
      'FftAmplitudeL1',
      'SlicedWasserstein',
      'VicregVariance',
      'VicregCovariance',
      'SpadeGate',
      'MaskedTokenL2',
    ]);
    expect([...covered].sort()).toEqual([...LOSS_TAGS].sort());
    expect(names.length).toBe(Object.keys(caseFunctions).length);
  });

  const results: Record<'wasm' | 'cpu', Record<string, Result>> = { wasm: {}, cpu: {} };
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const name of names) {
      it(`${name} on ${backend}: value within 1e-5, gradient matches central differences`, async () => {
        await useBackend(backend);
        const c = fixture.cases[name]!;
        if (name === 'fftAmplitudeL1')
          tf.tidy(() => {
            dft2(fromStored(c.inputs['pred']!) as tf.Tensor4D);
          }); // caches its matrices once
        const before = tf.memory().numTensors;
        const r = evaluate(name, c);
        results[backend][name] = r;
        expect(Math.abs(r.value - c.value)).toBeLessThan(1e-5 * Math.max(1, Math.abs(c.value)));
        for (const [k, g] of Object.entries(r.grads))
          expect(relError(g, c.grad[k]!.data), `d/d${k}`).toBeLessThan(2e-4);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }

  it('wasm equals cpu (values 1e-5 relative, gradients 1e-4 relative)', () => {
    for (const name of names) {
      const w = results.wasm[name]!;
      const c = results.cpu[name]!;
      expect(Math.abs(w.value - c.value), name).toBeLessThan(1e-5 * Math.max(1, Math.abs(c.value)));
      for (const k of Object.keys(c.grads))
        expect(relError(w.grads[k]!, c.grads[k]!), `${name} d/d${k}`).toBeLessThan(1e-4);
    }
  });
});
