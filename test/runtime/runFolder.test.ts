/**
 * `--resume` never guesses (issue 12): a missing folder, a folder without checkpoints, an empty or
 * record-less checkpoints folder, or `checkpoints` being a file are errors saying what is missing;
 * nothing the run wrote (metrics.jsonl) is touched before a checkpoint loads; a fresh run refuses a
 * folder holding an earlier run's metrics; a resumed run removes dead temporary files and repairs
 * a lagging pointer.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Method } from '../../compiler/ir/node.js';
import { appearanceDataset } from '../../data/appearance/generator.js';
import { methods } from '../../library/index.js';
import { useBackend } from '../../runtime/backend.js';
import { saveCheckpoint } from '../../runtime/checkpoint/index.js';
import { Rng } from '../../compiler/ir/rng.js';
import {
  checkFreshRun,
  checkpointToResume,
  RunFolderError,
  tidyForResume,
} from '../../runtime/runFolder.js';
import { train } from '../../runtime/train.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'tessera-runfolder-'));
const method: Method = { ...methods['moco-v3']('tiny'), training: { batch: 8, steps: 2 } };
const dataset = appearanceDataset({ n: 16, size: 32, seed: 0, cache: true });
const METRICS = '{"step":0,"loss":1}\n{"step":1,"loss":0.9}\n';

const withMetrics = (): string => {
  const dir = tempDir();
  writeFileSync(join(dir, 'metrics.jsonl'), METRICS);
  return dir;
};

const resumeError = async (dir: string): Promise<Error> =>
  (await train({
    method,
    dataset,
    steps: 2,
    seed: 0,
    backend: 'wasm',
    outDir: dir,
    checkpointEvery: 1,
    resume: true,
  }).catch((e: unknown) => e)) as Error;

describe('run folder', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('refuses --resume on a folder that does not exist', async () => {
    const err = await resumeError(join(tempDir(), 'nope'));
    expect(err).toBeInstanceOf(RunFolderError);
    expect(err.message).toMatch(/cannot resume: the run folder .*nope does not exist\nhint:/);
  });

  it('refuses --resume without a checkpoints folder, leaving metrics.jsonl whole', async () => {
    const dir = withMetrics();
    expect((await resumeError(dir)).message).toMatch(/has no checkpoints folder/);
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe(METRICS);
  });

  it('refuses --resume with an empty checkpoints folder (records removed)', async () => {
    const dir = withMetrics();
    mkdirSync(join(dir, 'checkpoints'));
    writeFileSync(
      join(dir, 'checkpoints', 'step-000002.safetensors'),
      'weights without their record',
    );
    expect((await resumeError(dir)).message).toMatch(
      /holds no checkpoint record \(step-NNNNNN\.json\)/,
    );
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe(METRICS);
  });

  it('refuses checkpoints being a file, with or without --resume, leaving metrics.jsonl whole', async () => {
    const dir = withMetrics();
    writeFileSync(join(dir, 'checkpoints'), 'not a folder');
    expect((await resumeError(dir)).message).toMatch(
      /checkpoints is a file, not the checkpoints folder/,
    );
    await expect(checkFreshRun(dir)).rejects.toThrow(/is a file/);
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe(METRICS);
  });

  it('refuses --out being a file', async () => {
    const file = join(tempDir(), 'run');
    writeFileSync(file, 'x');
    await expect(checkFreshRun(file)).rejects.toThrow(/--out .*run is a file, not a folder/);
    await expect(checkpointToResume(file)).rejects.toThrow(/is a file/);
  });

  it("a fresh run refuses a folder with an earlier run's metrics, accepts an empty one", async () => {
    await expect(checkFreshRun(withMetrics())).rejects.toThrow(
      /already holds a run \(metrics.jsonl, no checkpoint yet\)\nhint: add --resume/,
    );
    await expect(checkFreshRun(tempDir())).resolves.toBeUndefined();
  });

  it('tidies a folder to resume: dead temporary files removed, pointer set to the newest complete checkpoint', async () => {
    const dir = tempDir();
    const meta = { specHash: 'b'.repeat(64), seed: 0, rng: Rng.seeded(0).state() };
    const weights = { w: { data: new Float32Array([1]), shape: [1] } };
    await saveCheckpoint(dir, { step: 1, weights, meta });
    await saveCheckpoint(dir, { step: 2, weights, meta });
    writeFileSync(
      join(dir, 'checkpoints', 'latest.json'),
      '{"step":1,"checkpoint":"step-000001.json"}',
    );
    writeFileSync(
      join(dir, 'checkpoints', `.step-000003.safetensors.${2 ** 22 + 7}.0.tmp`),
      'killed',
    );
    const ckpt = await checkpointToResume(dir);
    expect(ckpt.step).toBe(2);
    const notes = await tidyForResume(dir, ckpt);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/removed \.step-000003.*temporary file of a killed write/);
    expect(notes[1]).toMatch(/latest.json at step 2/);
  });
});
