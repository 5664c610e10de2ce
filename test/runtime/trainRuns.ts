/**
 * Test support for training-loop tests: a run folder, a leak-checked run, and the comparison of a
 * resumed run with an uninterrupted one (same losses, same checkpointed weights).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { parseMetricsJsonl } from '../../eval/report/formats.js';
import { useBackend } from '../../runtime/backend.js';
import { loadLatestCheckpoint } from '../../runtime/checkpoint/index.js';
import { train, type TrainConfig, type TrainResult } from '../../runtime/train.js';

/** A fresh temporary run folder. */
export const tempRunDir = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

/** The total loss of each step in a run's `metrics.jsonl`. */
export const lossesOf = (dir: string): number[] =>
  parseMetricsJsonl(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).records.flatMap((r) =>
    r.loss === undefined ? [] : [r.loss],
  );

/** The weights of a run's latest checkpoint, as plain arrays. */
export const checkpointWeights = async (dir: string): Promise<Record<string, number[]>> =>
  Object.fromEntries(
    Object.entries((await loadLatestCheckpoint(dir))!.weights).map(([k, t]) => [
      k,
      Array.from(t.data as Float32Array),
    ]),
  );

/** Trains `config` on wasm, disposes the compiled method and asserts that no tensor leaked. */
export const trainLeakFree = async (config: TrainConfig): Promise<TrainResult> => {
  await useBackend('wasm');
  const before = tf.memory().numTensors;
  const r = await train(config);
  r.compiled.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return r;
};

/** Asserts that run `dir` ended with exactly the losses and checkpointed weights of `reference`. */
export const expectSameRun = async (dir: string, reference: string): Promise<void> => {
  expect(lossesOf(dir)).toEqual(lossesOf(reference));
  const [a, b] = [await checkpointWeights(dir), await checkpointWeights(reference)];
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(b)) expect(a[k], k).toEqual(b[k]);
};
