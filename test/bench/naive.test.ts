/**
 * The hand-written baselines of `tessera bench step` compute the same model as the compiled
 * methods: from the same weights, images, views and masks, the loss of the first step (before any
 * update) and of the next one (after one AdamW + EMA update on each side) agree within 1e-4.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { naiveIjepa } from '../../bench/naive/ijepa.js';
import { naiveMocoV3 } from '../../bench/naive/mocoV3.js';
import type { NaiveMethod } from '../../bench/naive/baseline.js';
import { compile } from '../../runtime/compile.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { methods, type MethodName } from '../../library/index.js';
import { benchedMethod } from '../../bench/step.js';
import { tf, useBackend } from '../../runtime/backend.js';
import { Rng } from '../../compiler/ir/rng.js';

const BATCH = 4;
const SEED = 5;

const images = (): tf.Tensor4D => {
  const r = Rng.seeded(11);
  return tf.tensor4d(
    Float32Array.from({ length: BATCH * 32 * 32 * 3 }, () => r.next()),
    [BATCH, 32, 32, 3],
  );
};

type Make = (g: Graph, w: Readonly<Record<string, tf.Variable>>, seed: number) => NaiveMethod;

/** Losses of two successive steps, compiled on `backend`, naive on `naiveBackend`. */
const losses = async (
  name: MethodName,
  make: Make,
  backend: 'wasm' | 'cpu',
  naiveBackend: 'wasm' | 'cpu',
) => {
  const compiled = await compile(benchedMethod(name, 'tiny'), { backend });
  compiled.init(SEED);
  const x = images();
  await useBackend(naiveBackend);
  const naive = make(compiled.graph, compiled.variables(), SEED);
  const xn = tf.tensor4d(x.dataSync(), x.shape);
  const out: Array<{ compiled: number; naive: number }> = [];
  const total = compiled.graph.method.training.steps;
  for (const step of [total / 2, total / 2 + 1]) {
    await useBackend(backend);
    const c = compiled.step(x, { step, totalSteps: total }).loss;
    await useBackend(naiveBackend);
    const before = tf.memory().numTensors;
    const n = naive.step(xn, { step, totalSteps: total });
    // the first step creates the AdamW moments (2 per trained weight); later steps leave nothing
    if (out.length > 0) expect(tf.memory().numTensors).toBe(before);
    out.push({ compiled: c, naive: n });
  }
  naive.dispose();
  xn.dispose();
  x.dispose();
  compiled.dispose();
  return out;
};

afterAll(async () => {
  await useBackend('wasm');
});

describe('naive baselines vs compiled steps', () => {
  it('MoCo v3 tiny: same loss on wasm, first and second step', async () => {
    const [first, second] = await losses('moco-v3', naiveMocoV3, 'wasm', 'wasm');
    expect(first!.compiled).toBeGreaterThan(0);
    expect(Math.abs(first!.compiled - first!.naive)).toBeLessThanOrEqual(1e-4);
    expect(Math.abs(second!.compiled - second!.naive)).toBeLessThanOrEqual(1e-4);
    // the second step trains on other views and updated weights: a different loss
    expect(Math.abs(second!.compiled - first!.compiled)).toBeGreaterThan(1e-4);
  });

  it('I-JEPA tiny: same loss, compiled on wasm, naive on cpu (no gather gradient on wasm)', async () => {
    const [first, second] = await losses('i-jepa', naiveIjepa, 'wasm', 'cpu');
    expect(first!.compiled).toBeGreaterThan(0);
    expect(Math.abs(first!.compiled - first!.naive)).toBeLessThanOrEqual(1e-4);
    expect(Math.abs(second!.compiled - second!.naive)).toBeLessThanOrEqual(1e-4);
    expect(Math.abs(second!.compiled - first!.compiled)).toBeGreaterThan(1e-4);
  });

  it('I-JEPA naive cannot train on wasm (missing gather-gradient kernel)', async () => {
    const compiled = await compile(methods['i-jepa']('tiny'), { backend: 'wasm' });
    compiled.init(SEED);
    const naive = naiveIjepa(compiled.graph, compiled.variables(), SEED);
    const x = images();
    expect(() => naive.step(x, { step: 0, totalSteps: 10 })).toThrow(
      /not registered for backend 'wasm'/,
    );
    x.dispose();
    naive.dispose();
    compiled.dispose();
  });
});
