import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../runtime/backend.js';
import {
  CheckpointError,
  loadCheckpoint,
  loadLatestCheckpoint,
  saveCheckpoint,
  toTensor,
  type SaveCheckpointInput,
} from '../../../runtime/checkpoint/index.js';
import { Rng } from '../../../compiler/ir/rng.js';

const runDir = (): string => mkdtempSync(join(tmpdir(), 'tessera-ckpt-'));

const input = (step: number, extra: Partial<SaveCheckpointInput> = {}): SaveCheckpointInput => ({
  step,
  weights: {
    'encoder/dense/kernel': {
      data: Float32Array.from({ length: 6 }, (_, i) => i * step),
      shape: [2, 3],
    },
    'encoder/dense/bias': { data: new Float32Array([step, -step]), shape: [2] },
  },
  optimizer: {
    'adam/m/encoder/dense/kernel': { data: new Float32Array(6).fill(0.5), shape: [2, 3] },
  },
  meta: { specHash: 'f'.repeat(64), seed: 7, rng: Rng.seeded(step).state(), lr: 0.001 },
  ...extra,
});

beforeAll(async () => {
  await useBackend('cpu');
});

describe('saveCheckpoint / loadLatestCheckpoint', () => {
  it('writes weights, optimizer state, a record and latest.json, and reads them back', async () => {
    const dir = runDir();
    const before = tf.memory().numTensors;
    const kernel = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const steps = tf.scalar(12, 'int32');
    const saved = await saveCheckpoint(dir, {
      ...input(123),
      weights: { 'head/kernel': kernel },
      optimizer: { 'adam/iterations': steps },
    });
    kernel.dispose();
    steps.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(saved.file).toBe(join(dir, 'checkpoints', 'step-000123.safetensors'));
    expect(JSON.parse(readFileSync(join(dir, 'checkpoints', 'latest.json'), 'utf8'))).toEqual({
      step: 123,
      checkpoint: 'step-000123.json',
    });
    const record = JSON.parse(readFileSync(saved.record, 'utf8'));
    expect(record).toMatchObject({
      format: 'tessera-checkpoint',
      step: 123,
      seed: 7,
      lr: 0.001,
      file: 'step-000123.safetensors',
      rng: Rng.seeded(123).state(),
    });
    // the weights file is plain safetensors: parse its header by hand
    const bytes = readFileSync(saved.file);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header['weights/head/kernel']).toEqual({
      dtype: 'F32',
      shape: [2, 2],
      data_offsets: [0, 16],
    });
    expect(header['optimizer/adam/iterations'].dtype).toBe('I32');
    expect(header['__metadata__']).toMatchObject({ step: '123', specHash: 'f'.repeat(64) });

    const loaded = await loadLatestCheckpoint(dir);
    expect(loaded?.step).toBe(123);
    expect(loaded?.skipped).toEqual([]);
    expect([...(loaded!.weights['head/kernel']!.data as Float32Array)]).toEqual([1, 2, 3, 4]);
    expect(loaded!.optimizer['adam/iterations']).toMatchObject({ dtype: 'I32', shape: [] });
    const t = toTensor(loaded!.weights['head/kernel']!);
    expect(t.shape).toEqual([2, 2]);
    expect(await t.array()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    t.dispose();
  });

  it('returns undefined for a run without checkpoints', async () => {
    expect(await loadLatestCheckpoint(runDir())).toBeUndefined();
  });

  it('keeps the last N checkpoints', async () => {
    const dir = runDir();
    for (const step of [10, 20, 30, 40, 50]) await saveCheckpoint(dir, { ...input(step), keep: 2 });
    const files = readdirSync(join(dir, 'checkpoints')).sort();
    expect(files).toEqual([
      'latest.json',
      'step-000040.json',
      'step-000040.safetensors',
      'step-000050.json',
      'step-000050.safetensors',
    ]);
    expect((await loadLatestCheckpoint(dir))?.step).toBe(50);
  });

  it('leaves the previous checkpoint intact when a write fails between write and rename', async () => {
    const dir = runDir();
    await saveCheckpoint(dir, input(1));
    const crash = (onlyJson: boolean) => ({
      beforeRename: (temp: string) => {
        if (!onlyJson || temp.includes('.json')) throw new Error('simulated crash');
      },
    });
    await expect(saveCheckpoint(dir, { ...input(2), hooks: crash(false) })).rejects.toThrow(
      'simulated crash',
    );
    expect(existsSync(join(dir, 'checkpoints', 'step-000002.safetensors'))).toBe(false);
    // the weights land but the record does not: still step 1
    await expect(saveCheckpoint(dir, { ...input(3), hooks: crash(true) })).rejects.toThrow(
      'simulated crash',
    );
    expect(existsSync(join(dir, 'checkpoints', 'step-000003.safetensors'))).toBe(true);
    expect(readdirSync(join(dir, 'checkpoints')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const loaded = await loadLatestCheckpoint(dir);
    expect(loaded?.step).toBe(1);
    expect([...(loaded!.weights['encoder/dense/bias']!.data as Float32Array)]).toEqual([1, -1]);
  });

  it('falls back to the previous checkpoint when the newest is corrupt, and names the bad file', async () => {
    const dir = runDir();
    await saveCheckpoint(dir, input(1));
    const second = await saveCheckpoint(dir, input(2));
    truncateSync(second.file, 40);
    await expect(loadCheckpoint(second.record)).rejects.toThrow(
      `checkpoint ${second.file} is unusable: sha256`,
    );
    const loaded = await loadLatestCheckpoint(dir);
    expect(loaded?.step).toBe(1);
    expect(loaded?.skipped).toHaveLength(1);
    expect(loaded?.skipped[0]?.file).toBe(second.file);
    expect(loaded?.skipped[0]?.reason).toMatch(/sha256 .* differs/);
  });

  it('fails with every file named when no checkpoint loads', async () => {
    const dir = runDir();
    const a = await saveCheckpoint(dir, input(1));
    const b = await saveCheckpoint(dir, input(2));
    writeFileSync(a.record, '{ not json');
    truncateSync(b.file, 0);
    const err = await loadLatestCheckpoint(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toContain(a.record);
    expect((err as Error).message).toContain(b.file);
    expect((err as Error).message).toContain('hint:');
  });

  it('uses the newest record when latest.json is missing', async () => {
    const dir = runDir();
    await saveCheckpoint(dir, input(5));
    await saveCheckpoint(dir, input(6));
    writeFileSync(join(dir, 'checkpoints', 'latest.json'), '');
    expect((await loadLatestCheckpoint(dir))?.step).toBe(6);
  });

  it('refuses a meta.step that contradicts the step', async () => {
    await expect(
      saveCheckpoint(runDir(), { ...input(4), meta: { ...input(4).meta, step: 3 } }),
    ).rejects.toThrow('meta.step 3 differs from step 4');
  });
});
