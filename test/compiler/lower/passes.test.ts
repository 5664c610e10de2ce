/**
 * The optimisation passes change how a step runs, never what it computes: the same losses with
 * every pass, with each one left out, and with none; and the wasm legalization gives the cpu
 * reference's losses.
 */
import { describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { checkOrThrow } from '../../../compiler/check.js';
import type { Method } from '../../../compiler/ir/node.js';
import { lower } from '../../../runtime/compiled.js';
import type { Pass } from '../../../compiler/passes/pass.js';
import { checkingPasses, optimisationPasses } from '../../../compiler/passes/pipeline.js';
import { ijepa } from '../../../library/ijepa.js';
import { mocoV3 } from '../../../library/mocoV3.js';
import { useBackend, type BackendName } from '../../../runtime/backend.js';

/** Losses of the first `steps` steps with the given passes, from seed 0 on one fixed batch. */
const losses = async (
  m: Method,
  passes: ReadonlyArray<Pass>,
  backend: BackendName,
  steps = 2,
): Promise<number[]> => {
  await useBackend(backend);
  const compiled = lower(checkOrThrow(m, { passes }));
  compiled.init(0);
  const images = tf.randomUniform(
    [m.training.batch, m.input.size, m.input.size, 3],
    0,
    1,
    'float32',
    5,
  ) as tf.Tensor4D;
  const out = Array.from(
    { length: steps },
    (_, step) => compiled.step(images, { step, totalSteps: 10 }).loss,
  );
  images.dispose();
  compiled.dispose();
  return out;
};

const methods: ReadonlyArray<readonly [string, Method]> = [
  ['MoCo v3', mocoV3({ preset: 'tiny', backbone: 'vit', batch: 4 })],
  ['I-JEPA', ijepa({ preset: 'tiny', batch: 4 })],
];

describe.each(methods)('%s tiny', (_name, method) => {
  test('every optimisation pass, each left out, or none: the same losses', async () => {
    const all = optimisationPasses('wasm');
    const reference = await losses(method, [...checkingPasses, ...all], 'wasm');
    expect(await losses(method, checkingPasses, 'wasm')).toEqual(
      reference.map((x) => expect.closeTo(x, 5)),
    );
    for (const left of all) {
      const without = await losses(
        method,
        [...checkingPasses, ...all.filter((p) => p !== left)],
        'wasm',
      );
      expect(without, `without ${left.name}`).toEqual(reference.map((x) => expect.closeTo(x, 5)));
    }
  });

  test('legalized for wasm, the step matches the cpu reference (relative 1e-4)', async () => {
    const wasm = await losses(method, [...checkingPasses, ...optimisationPasses('wasm')], 'wasm');
    const cpu = await losses(method, [...checkingPasses, ...optimisationPasses('cpu')], 'cpu');
    cpu.forEach((c, i) => expect(Math.abs(wasm[i]! - c) / Math.abs(c)).toBeLessThan(1e-4));
  });
});
