/**
 * The run folder before a run starts: what `--resume` needs (a folder with a loadable checkpoint:
 * anything less is an error saying what is missing, never a silent fresh start), what a fresh run
 * must not overwrite (an earlier run's metrics or checkpoints), and the clean-up of a resumed run
 * (temporary files of killed writers, a pointer that lags behind the newest checkpoint). Nothing
 * here writes before the checks pass.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkpointsDir,
  listCheckpoints,
  loadLatestCheckpoint,
  syncPointer,
  type LoadedCheckpoint,
} from './checkpoint/index.js';
import { removeOrphanTemps } from './checkpoint/integrity.js';

/** A run folder that cannot be used as asked; the message says what is missing and what to do. */
export class RunFolderError extends Error {
  override readonly name = 'RunFolderError';
}

const kindOf = async (path: string): Promise<'missing' | 'folder' | 'file'> => {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'file';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
};

const nonEmptyFile = async (path: string): Promise<boolean> => {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
};

/** Refuses `outDir` when it is a file, or when its `checkpoints` is not a folder. */
const checkShape = async (outDir: string): Promise<'missing' | 'folder'> => {
  const kind = await kindOf(outDir);
  if (kind === 'file')
    throw new RunFolderError(
      `--out ${outDir} is a file, not a folder\nhint: choose a folder path for --out`,
    );
  if (kind === 'folder' && (await kindOf(checkpointsDir(outDir))) === 'file') {
    throw new RunFolderError(
      `${checkpointsDir(outDir)} is a file, not the checkpoints folder of a run\nhint: move that file away, or choose another --out`,
    );
  }
  return kind;
};

/**
 * The checkpoint to resume from, after checking that `outDir` is a run folder with one: throws a
 * `RunFolderError` naming what is missing (the folder, its checkpoints, a loadable record) and
 * lets a `CheckpointError` through when records exist but none loads.
 */
export const checkpointToResume = async (outDir: string): Promise<LoadedCheckpoint> => {
  if ((await checkShape(outDir)) === 'missing') {
    throw new RunFolderError(
      `cannot resume: the run folder ${outDir} does not exist\nhint: give the --out of an earlier run, or train without --resume to start one`,
    );
  }
  if ((await kindOf(checkpointsDir(outDir))) === 'missing') {
    throw new RunFolderError(
      `cannot resume ${outDir}: it has no checkpoints folder (${checkpointsDir(outDir)})\nhint: the run saved no checkpoint yet; train without --resume and another --out to start over`,
    );
  }
  const ckpt = await loadLatestCheckpoint(outDir);
  if (ckpt === undefined) {
    throw new RunFolderError(
      `cannot resume ${outDir}: ${checkpointsDir(outDir)} holds no checkpoint record (step-NNNNNN.json)\nhint: restore the records from a backup, or train without --resume and another --out`,
    );
  }
  return ckpt;
};

/**
 * For a fresh run (no `--resume`): refuses a folder that already holds a run (a checkpoint, or a
 * non-empty `metrics.jsonl`), so nothing an earlier run wrote is overwritten.
 */
export const checkFreshRun = async (outDir: string): Promise<void> => {
  if ((await checkShape(outDir)) === 'missing') return;
  const records = await listCheckpoints(outDir);
  const metrics = await nonEmptyFile(join(outDir, 'metrics.jsonl'));
  if (records.length === 0 && !metrics) return;
  const what =
    records.length > 0
      ? `checkpoint at step ${records[0]!.step}`
      : 'metrics.jsonl, no checkpoint yet';
  throw new RunFolderError(
    `${outDir} already holds a run (${what})\nhint: add --resume to continue it, or choose another --out`,
  );
};

/**
 * Tidies a run folder about to be resumed from `ckpt`: removes temporary files of killed writers
 * and points `latest.json` at `ckpt`. Returns what it did, one line each.
 */
export const tidyForResume = async (outDir: string, ckpt: LoadedCheckpoint): Promise<string[]> => {
  const removed = [
    ...(await removeOrphanTemps(checkpointsDir(outDir))),
    ...(await removeOrphanTemps(outDir)),
  ];
  const notes = removed.map((n) => `removed ${n}, the temporary file of a killed write`);
  if (await syncPointer(outDir, ckpt))
    notes.push(
      `pointed checkpoints/latest.json at step ${ckpt.step}, the newest complete checkpoint`,
    );
  return notes;
};
