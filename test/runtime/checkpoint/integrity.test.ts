/**
 * Checkpoint integrity (issue 12): non-finite values are never saved and never loaded, a record
 * whose step was edited is not believed, the newest complete checkpoint wins over a lagging
 * `latest.json` (and the pointer is repaired), temporary files of dead writers are removed.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../runtime/backend.js';
import {
  loadLatestCheckpoint,
  saveCheckpoint,
  syncPointer,
  type SaveCheckpointInput,
} from '../../../runtime/checkpoint/index.js';
import { removeOrphanTemps } from '../../../runtime/checkpoint/integrity.js';
import { Rng } from '../../../compiler/ir/rng.js';

const runDir = (): string => mkdtempSync(join(tmpdir(), 'tessera-integrity-'));
const input = (step: number, kernel: number[] = [1, 2, 3, 4]): SaveCheckpointInput => ({
  step,
  weights: { 'enc/kernel': { data: Float32Array.from(kernel), shape: [2, 2] } },
  optimizer: { 'opt/enc/kernel:m': { data: new Float32Array(4).fill(0.5), shape: [2, 2] } },
  meta: { specHash: 'a'.repeat(64), seed: 1, rng: Rng.seeded(step).state() },
});
const ckptDir = (dir: string): string => join(dir, 'checkpoints');

beforeAll(async () => {
  await useBackend('cpu');
});

describe('checkpoint integrity', () => {
  it('refuses to save a NaN or an infinity, naming the tensor, and writes nothing', async () => {
    const dir = runDir();
    await expect(saveCheckpoint(dir, input(3, [1, Number.NaN, 3, 4]))).rejects.toThrow(
      /refusing to save step 3: non-finite values in weights\/enc\/kernel/,
    );
    const bad = {
      ...input(4),
      optimizer: { 'opt/m': { data: new Float32Array([Number.POSITIVE_INFINITY]), shape: [1] } },
    };
    await expect(saveCheckpoint(dir, bad)).rejects.toThrow(
      /non-finite values in optimizer\/opt\/m/,
    );
    expect(existsSync(join(ckptDir(dir), 'step-000003.safetensors'))).toBe(false);
    expect(await loadLatestCheckpoint(dir)).toBeUndefined();
  });

  it('skips a checkpoint whose weights hold NaN (written by an older version) and falls back', async () => {
    const dir = runDir();
    await saveCheckpoint(dir, input(1));
    const second = await saveCheckpoint(dir, input(2));
    // forge a poisoned checkpoint: same layout, a NaN in the data, sha256 updated to match
    const bytes = readFileSync(second.file);
    bytes.writeFloatLE(Number.NaN, bytes.length - 4 * 4 - 4);
    writeFileSync(second.file, bytes);
    const { createHash } = await import('node:crypto');
    const record = JSON.parse(readFileSync(second.record, 'utf8'));
    writeFileSync(
      second.record,
      JSON.stringify({ ...record, sha256: createHash('sha256').update(bytes).digest('hex') }),
    );
    const loaded = await loadLatestCheckpoint(dir);
    expect(loaded?.step).toBe(1);
    expect(loaded?.skipped[0]?.reason).toMatch(/non-finite values in weights\/enc\/kernel/);
  });

  it('does not believe a record whose step was edited', async () => {
    const dir = runDir();
    await saveCheckpoint(dir, input(1));
    const second = await saveCheckpoint(dir, input(2));
    const record = JSON.parse(readFileSync(second.record, 'utf8'));
    writeFileSync(second.record, JSON.stringify({ ...record, step: 900 }));
    const loaded = await loadLatestCheckpoint(dir);
    expect(loaded?.step).toBe(1);
    expect(loaded?.skipped[0]?.reason).toMatch(/record says step 900 but is named for step 2/);
  });

  it('does not believe a record renamed to another step (the weights know their step)', async () => {
    const dir = runDir();
    const first = await saveCheckpoint(dir, input(1));
    const record = JSON.parse(readFileSync(first.record, 'utf8'));
    writeFileSync(join(ckptDir(dir), 'step-000007.json'), JSON.stringify({ ...record, step: 7 }));
    const loaded = await loadLatestCheckpoint(dir);
    expect(loaded?.step).toBe(1);
    expect(loaded?.skipped[0]?.reason).toMatch(
      /weights file was saved at step 1, the record says 7/,
    );
  });

  it('loads the newest complete checkpoint when latest.json lags (a kill between record and pointer), and repairs the pointer', async () => {
    const dir = runDir();
    await saveCheckpoint(dir, input(1));
    await saveCheckpoint(dir, input(2));
    writeFileSync(
      join(ckptDir(dir), 'latest.json'),
      JSON.stringify({ step: 1, checkpoint: 'step-000001.json' }),
    );
    const loaded = await loadLatestCheckpoint(dir);
    expect(loaded?.step).toBe(2);
    expect(await syncPointer(dir, loaded!)).toBe(true);
    expect(JSON.parse(readFileSync(join(ckptDir(dir), 'latest.json'), 'utf8'))).toEqual({
      step: 2,
      checkpoint: 'step-000002.json',
    });
    expect(await syncPointer(dir, loaded!)).toBe(false);
  });

  it('removes temporary files of dead writers, keeps those of live ones', async () => {
    const dir = runDir();
    await saveCheckpoint(dir, input(1));
    const dead = `.step-000002.safetensors.${2 ** 22 + 12345}.0.tmp`; // above Linux's pid_max default
    const live = `.step-000002.json.${process.pid}.3.tmp`;
    writeFileSync(join(ckptDir(dir), dead), 'partial');
    writeFileSync(join(ckptDir(dir), live), 'in progress');
    expect(await removeOrphanTemps(ckptDir(dir))).toEqual([dead]);
    expect(existsSync(join(ckptDir(dir), dead))).toBe(false);
    expect(existsSync(join(ckptDir(dir), live))).toBe(true);
  });
});
