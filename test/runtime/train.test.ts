/**
 * The training loop on MoCo v3 `tiny` at batch 8, 84 built-in images: an interrupted run resumed
 * from its checkpoint ends with exactly the weights and losses of an uninterrupted one; a crash
 * or a non-finite loss mid-run leaves the last checkpoint intact; existing runs and changed
 * specs are refused before anything is overwritten; no tensor leaks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkOrThrow } from '../../compiler/check.js';
import { compile } from '../../runtime/compile.js';
import type { CompiledMethod } from '../../runtime/compiled.js';
import type { Method } from '../../compiler/ir/node.js';
import { appearanceDataset } from '../../data/appearance/generator.js';
import { tryOverride } from '../../dsl/ablate.js';
import { methods } from '../../library/index.js';
import { loadLatestCheckpoint } from '../../runtime/checkpoint/index.js';
import { train, TrainError, type TrainConfig } from '../../runtime/train.js';
import { parseMetricsJsonl } from '../../eval/report/formats.js';
import {
  checkpointWeights,
  expectSameRun,
  lossesOf,
  tempRunDir,
  trainLeakFree,
} from './trainRuns.js';

const tempDir = (): string => tempRunDir('tessera-train-');
const STEPS = 6;
const method: Method = { ...methods['moco-v3']('tiny'), training: { batch: 8, steps: STEPS } };
const dataset = appearanceDataset({ n: 84, size: 32, seed: 0, cache: true });
const config = (outDir: string, extra: Partial<TrainConfig> = {}): TrainConfig => ({
  method,
  dataset,
  steps: STEPS,
  seed: 3,
  backend: 'wasm',
  outDir,
  checkpointEvery: 2,
  resume: false,
  ...extra,
});

/** `compiled` whose step throws (or reports a NaN loss) at step `at`. */
const failingAt = (compiled: CompiledMethod, at: number, how: 'throw' | 'nan'): CompiledMethod => ({
  ...compiled,
  step: (images, s) => {
    if (s.step !== at) return compiled.step(images, s);
    if (how === 'throw') throw new Error('simulated crash in the step');
    const m = compiled.step(images, s);
    return {
      ...m,
      loss: Number.NaN,
      weighted: Number.NaN,
      terms: { ...m.terms, ctr_12: Number.NaN },
    };
  },
});

describe('train', () => {
  let straight: string;
  beforeAll(async () => {
    straight = tempDir();
    const r = await trainLeakFree(config(straight));
    expect(r.endStep).toBe(STEPS);
  });

  it('writes one metrics line per step with the total loss and each term, and checkpoints every K steps and at the end', async () => {
    const { records, problems } = parseMetricsJsonl(
      readFileSync(join(straight, 'metrics.jsonl'), 'utf8'),
    );
    expect(problems).toEqual([]);
    expect(records.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of records)
      expect(r.loss).toBeCloseTo((r['loss/ctr_12'] as number) + (r['loss/ctr_21'] as number), 5);
    expect(records[0]!['lr']).toBe(0); // warm-up starts at 0
    const ckpt = await loadLatestCheckpoint(straight);
    expect(ckpt!.step).toBe(STEPS);
    expect(ckpt!.meta.seed).toBe(3);
    expect(Object.keys(ckpt!.optimizer).length).toBeGreaterThan(0);
    expect(readFileSync(join(straight, 'spec.sha256'), 'utf8').trim()).toBe(ckpt!.meta.specHash);
  });

  it('stopped after 3 steps (Ctrl-C) and resumed, ends with the same weights and losses as the uninterrupted run', async () => {
    const dir = tempDir();
    let steps = 0;
    const first = await train(
      config(dir, { checkpointEvery: 100, onStep: () => steps++, shouldStop: () => steps >= 3 }),
    );
    first.compiled.dispose();
    expect(first.stopped).toBe(true);
    expect((await loadLatestCheckpoint(dir))!.step).toBe(3);
    const second = await train(config(dir, { resume: true }));
    second.compiled.dispose();
    expect(second.startStep).toBe(3);
    await expectSameRun(dir, straight);
  });

  it('takes the checked graph of its spec (not checked again): same spec.json, hash, losses and weights', async () => {
    const dir = tempDir();
    const checked = checkOrThrow(method);
    const r = await train(config(dir, { method: checked }));
    r.compiled.dispose();
    expect(r.compiled.graph.modules).toBe(checked.modules); // the optimisation passes keep them
    for (const file of ['spec.json', 'spec.sha256'])
      expect(readFileSync(join(dir, file), 'utf8')).toBe(
        readFileSync(join(straight, file), 'utf8'),
      );
    expect(lossesOf(dir)).toEqual(lossesOf(straight));
    const [a, b] = [await checkpointWeights(dir), await checkpointWeights(straight)];
    for (const k of Object.keys(b)) expect(a[k], k).toEqual(b[k]);
  });

  it('a crash mid-run keeps the last checkpoint; resuming from it reproduces the uninterrupted run', async () => {
    const dir = tempDir();
    const compiled = failingAt(await compile(method, { backend: 'wasm' }), 5, 'throw');
    await expect(train(config(dir, { compiled }))).rejects.toThrow('simulated crash');
    compiled.dispose();
    const ckpt = await loadLatestCheckpoint(dir);
    expect(ckpt!.step).toBe(4);
    expect(ckpt!.skipped).toEqual([]);
    const resumed = await train(config(dir, { resume: true }));
    resumed.compiled.dispose();
    expect(lossesOf(dir)).toEqual(lossesOf(straight));
    const [a, b] = [await checkpointWeights(dir), await checkpointWeights(straight)];
    for (const k of Object.keys(b)) expect(a[k], k).toEqual(b[k]);
  });

  it('with maxNonFinite 1, stops on a non-finite loss before saving, naming the step', async () => {
    const dir = tempDir();
    const compiled = failingAt(await compile(method, { backend: 'wasm' }), 3, 'nan');
    await expect(train(config(dir, { compiled, maxNonFinite: 1 }))).rejects.toThrow(
      /1 non-finite step\(s\) in a row, the last at step 3: weighted loss NaN; terms ctr_12=NaN[\s\S]*hint: lower the learning rate/,
    );
    compiled.dispose();
    expect((await loadLatestCheckpoint(dir))!.step).toBe(2);
    expect(lossesOf(dir)).toHaveLength(3);
  });

  it('refuses an existing run without resume, and a resume with another spec, leaving spec.json as it was', async () => {
    const spec = readFileSync(join(straight, 'spec.json'), 'utf8');
    await expect(train(config(straight))).rejects.toThrow(
      /already holds a run \(checkpoint at step 6\)[\s\S]*--resume/,
    );
    const hotter = tryOverride(method, 'objectives.0.terms.0.loss.temperature', 0.5);
    if (hotter._tag === 'Left') throw new Error(hotter.left.message);
    const err = await train(config(straight, { method: hotter.right, resume: true })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrainError);
    expect((err as Error).message).toMatch(/cannot resume .*spec hash [0-9a-f]{12} differs/);
    expect(readFileSync(join(straight, 'spec.json'), 'utf8')).toBe(spec);
  });

  it('refuses a dataset smaller than one batch', async () => {
    const tiny = appearanceDataset({ n: 5, size: 32 });
    await expect(train(config(tempDir(), { dataset: tiny }))).rejects.toThrow(
      /5 images, fewer than one batch of 8/,
    );
  });

  it('runs the online evaluation before the first step, every K steps and at the end, as metrics lines', async () => {
    const dir = tempDir();
    const seen: Array<[number, number]> = [];
    let calls = 0;
    const r = await train(
      config(dir, {
        steps: 5,
        evaluate: {
          every: 2,
          measure: async (compiled) => ({
            'knn/backbone/content': ++calls / 10,
            'knn/reps': compiled.graph.representations.length,
          }),
          onResult: (done, values) => seen.push([done, values['knn/backbone/content']!]),
        },
      }),
    );
    r.compiled.dispose();
    expect(seen).toEqual([
      [0, 0.1],
      [2, 0.2],
      [4, 0.3],
      [5, 0.4],
    ]);
    const { records, problems } = parseMetricsJsonl(
      readFileSync(join(dir, 'metrics.jsonl'), 'utf8'),
    );
    expect(problems).toEqual([]);
    const online = records.filter((x) => x.loss === undefined);
    expect(online.map((x) => [x.step, x['knn/backbone/content'], x['knn/reps']])).toEqual([
      [0, 0.1, 1],
      [2, 0.2, 1],
      [4, 0.3, 1],
      [5, 0.4, 1],
    ]);
    expect(records.filter((x) => x.loss !== undefined).map((x) => x.step)).toEqual([0, 1, 2, 3, 4]);
    await expect(
      train(config(tempDir(), { evaluate: { every: 0, measure: async () => ({}) } })),
    ).rejects.toThrow(/online evaluation interval must be a positive integer/);
  });
});
