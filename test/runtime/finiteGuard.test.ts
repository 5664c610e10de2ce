/**
 * The non-finite guard on MoCo v3 `tiny` (batch 8, 84 built-in images): a step that poisons the
 * state is rolled back exactly (weights, optimizer state, step counts), logged as skipped in
 * `metrics.jsonl`, and K in a row stop the run naming the step and the terms; every checkpoint
 * written is finite. The two poisonings of issue 12 (a learning rate of 1e39, a term weight of
 * 1e308) are run for real.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../runtime/compile.js';
import type { CompiledMethod } from '../../runtime/compiled.js';
import type { Method } from '../../compiler/ir/node.js';
import { appearanceDataset } from '../../data/appearance/generator.js';
import { tryOverride } from '../../dsl/ablate.js';
import { parseMetricsJsonl } from '../../eval/report/formats.js';
import { methods } from '../../library/index.js';
import { useBackend } from '../../runtime/backend.js';
import { listCheckpoints, loadCheckpoint } from '../../runtime/checkpoint/index.js';
import { guardedStep, stateIsFinite } from '../../runtime/finiteGuard.js';
import { train, TrainError, type TrainConfig } from '../../runtime/train.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'tessera-finite-'));
const base: Method = { ...methods['moco-v3']('tiny'), training: { batch: 8, steps: 6 } };
const dataset = appearanceDataset({ n: 84, size: 32, seed: 0, cache: true });
const config = (outDir: string, method: Method, extra: Partial<TrainConfig> = {}): TrainConfig => ({
  method,
  dataset,
  steps: 6,
  seed: 1,
  backend: 'wasm',
  outDir,
  checkpointEvery: 1,
  resume: false,
  ...extra,
});
const override = (path: string, value: unknown): Method => {
  const r = tryOverride(base, path, value);
  if (r._tag === 'Left') throw new Error(r.left.message);
  return r.right;
};
const read = async (t: tf.Tensor): Promise<number[]> => Array.from(await t.data());
const stateOf = async (c: CompiledMethod): Promise<Record<string, number[]>> => {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(c.variables())) out[k] = await read(v);
  for (const [k, v] of Object.entries(c.optimizerState())) out[`opt/${k}`] = await read(v);
  return out;
};
const metricsOf = (dir: string) =>
  parseMetricsJsonl(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'));

/** Every checkpoint of `dir` loads (the loader refuses non-finite tensors) and its steps. */
const loadableSteps = async (dir: string): Promise<number[]> => {
  const steps: number[] = [];
  for (const c of await listCheckpoints(dir)) steps.push((await loadCheckpoint(c.record)).step);
  return steps;
};

describe('non-finite guard', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('rolls a poisoned step back exactly and names the tensor, leaking nothing', async () => {
    const compiled = await compile(base, { backend: 'wasm' });
    compiled.init(0);
    const images = tf.randomUniform([8, 32, 32, 3]) as tf.Tensor4D;
    guardedStep(compiled, images, { step: 0, totalSteps: 6 }); // a good step first: moments are non-zero
    const before = await stateOf(compiled);
    const count = tf.memory().numTensors;
    const victim = Object.keys(compiled.variables())[0]!;
    const poisoning: CompiledMethod = {
      ...compiled,
      step: (x, at) => {
        const m = compiled.step(x, at);
        const v = compiled.variables()[victim]!;
        const bad = tf.mul(v, Number.NaN);
        v.assign(bad);
        bad.dispose();
        return m;
      },
    };
    const r = guardedStep(poisoning, images, { step: 1, totalSteps: 6 });
    expect(r.nonFinite?.what).toEqual([victim]);
    expect(tf.memory().numTensors).toBe(count);
    expect(stateIsFinite(compiled)).toBe(true);
    expect(await stateOf(compiled)).toEqual(before);
    const good = guardedStep(compiled, images, { step: 1, totalSteps: 6 });
    expect(good.nonFinite).toBeUndefined();
    expect(await stateOf(compiled)).not.toEqual(before);
    images.dispose();
    compiled.dispose();
  });

  it('lr 1e39: steps are skipped and counted, 3 in a row stop the run naming the step and terms; all checkpoints finite', async () => {
    const dir = tempDir();
    const method = override('objectives.0.optimizer.lr', 1e39);
    const err = await train(config(dir, method, { maxNonFinite: 3 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainError);
    expect((err as Error).message).toMatch(
      /3 non-finite step\(s\) in a row, the last at step \d+: weighted loss .*terms ctr_12=.*non-finite: /,
    );
    expect((err as Error).message).toMatch(/hint: lower the learning rate/);
    const { skipped, problems } = metricsOf(dir);
    expect(problems).toEqual([]);
    expect(skipped).toHaveLength(3);
    const steps = await loadableSteps(dir);
    expect(steps.length).toBeGreaterThan(0);
  });

  it('a term weight of 1e308 overflows the weighted loss: skipped, never saved', async () => {
    const dir = tempDir();
    const method = override('objectives.0.terms.0.weight', 1e308);
    const err = await train(config(dir, method, { maxNonFinite: 2, steps: 4 })).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(
      /2 non-finite step\(s\) in a row, the last at step 1: weighted loss (Infinity|NaN)/,
    );
    expect(metricsOf(dir).skipped).toEqual([0, 1]);
    expect(await loadableSteps(dir)).toEqual([1]); // the initial (finite) state, saved on the cadence
  });

  it('one bad step in a good run is skipped and the run goes on', async () => {
    const dir = tempDir();
    const compiled = await compile(base, { backend: 'wasm' });
    let poisoned = false;
    const once: CompiledMethod = {
      ...compiled,
      step: (x, at) => {
        const m = compiled.step(x, at);
        if (at.step !== 2) return m;
        poisoned = true;
        return { ...m, weighted: Number.POSITIVE_INFINITY };
      },
    };
    const r = await train(config(dir, base, { compiled: once, checkpointEvery: 2 }));
    expect(poisoned).toBe(true);
    expect(r.skipped).toBe(1);
    expect(r.endStep).toBe(6);
    const { records, skipped } = metricsOf(dir);
    expect(skipped).toEqual([2]);
    expect(records.map((x) => x.step)).toEqual([0, 1, 3, 4, 5]);
    expect(await loadableSteps(dir)).toEqual([6, 4, 2]);
    compiled.dispose();
  });
});
