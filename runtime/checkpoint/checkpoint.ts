/**
 * Training checkpoints in a run folder:
 *
 * ```
 * DIR/checkpoints/step-000123.safetensors   weights as "weights/<name>", optimizer state as "optimizer/<name>"
 * DIR/checkpoints/step-000123.json          CheckpointRecord: step, seed, RNG state, spec hash, sha256 of the weights file
 * DIR/checkpoints/latest.json               { "step": 123, "checkpoint": "step-000123.json" }
 * ```
 * Every file is written atomically (temp + fsync + rename), weights first, record second, pointer
 * last, so a crash leaves the previous checkpoint loadable. Only finite values are saved. Loading
 * verifies the sha256, the finiteness and that the record agrees with its weights (`integrity.ts`),
 * and falls back to older checkpoints when the newest is unusable, reporting which file was skipped
 * and why. The newest complete checkpoint wins even when `latest.json` lags behind it (a writer
 * killed between the record and the pointer); `syncPointer` then repairs the pointer.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { tf } from '../backend.js';
import type { RngState } from '../../compiler/ir/rng.js';
import { writeFileAtomic, type AtomicWriteHooks } from './atomicWrite.js';
import { makeFolder } from '../fsErrors.js';
import { nonFiniteNames, recordMismatch, someNames } from './integrity.js';
import {
  decodeSafetensors,
  dtypeOf,
  encodeSafetensors,
  type NamedTensor,
  type SafetensorsDtype,
  type TensorData,
} from './safetensors.js';

/** A tensor to save: a TF.js tensor (float32, int32 or bool) or raw row-major data with its shape. */
export type TensorLike =
  | tf.Tensor
  | {
      readonly data: TensorData;
      readonly shape: ReadonlyArray<number>;
      readonly dtype?: SafetensorsDtype;
    };

/** What a checkpoint records besides tensors. Extra JSON fields are kept as they are. */
export interface CheckpointMeta {
  /** `specHash(resolvedSpec)`: resuming with another spec is refused by the caller. */
  readonly specHash: string;
  /** The run's seed. */
  readonly seed: number;
  /** The RNG state after this step, so a resumed run draws the same stream. */
  readonly rng: RngState;
  /** Optional; must equal the checkpoint's step when given. */
  readonly step?: number;
  readonly [extra: string]: unknown;
}

/** The content of `step-NNNNNN.json`. */
export interface CheckpointRecord extends CheckpointMeta {
  readonly format: 'tessera-checkpoint';
  readonly version: 1;
  readonly step: number;
  /** The weights file name, relative to the checkpoints folder. */
  readonly file: string;
  /** sha256 (hex) of the weights file. */
  readonly sha256: string;
  readonly bytes: number;
  readonly savedAt: string;
}

/** What `saveCheckpoint` writes. */
export interface SaveCheckpointInput {
  readonly step: number;
  readonly weights: Readonly<Record<string, TensorLike>>;
  readonly optimizer?: Readonly<Record<string, TensorLike>>;
  readonly meta: CheckpointMeta;
  /** How many checkpoints to keep (the new one included). Default 3. */
  readonly keep?: number;
  /** Fault injection for crash tests. */
  readonly hooks?: AtomicWriteHooks;
}

/** A checkpoint read back: tensors by their original names, and its record. */
export interface LoadedCheckpoint {
  readonly step: number;
  readonly weights: Readonly<Record<string, NamedTensor>>;
  readonly optimizer: Readonly<Record<string, NamedTensor>>;
  readonly meta: CheckpointRecord;
  /** Path of the weights file. */
  readonly file: string;
  /** Newer checkpoints that could not be loaded, newest first, with the reason. */
  readonly skipped: ReadonlyArray<{ readonly file: string; readonly reason: string }>;
}

/** A checkpoint that cannot be loaded; the message names the file. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`checkpoint ${file} is unusable: ${reason}`);
  }
}

const WEIGHTS = 'weights/';
const OPTIMIZER = 'optimizer/';
const STEM = /^step-(\d+)\.json$/;

/** The checkpoints folder of a run folder. */
export const checkpointsDir = (runDir: string): string => join(runDir, 'checkpoints');

const stem = (step: number): string => `step-${String(step).padStart(6, '0')}`;

const tfDtype = (t: tf.Tensor): SafetensorsDtype => {
  if (t.dtype === 'float32') return 'F32';
  if (t.dtype === 'int32') return 'I32';
  if (t.dtype === 'bool') return 'BOOL';
  throw new Error(`saveCheckpoint: tensors of dtype ${t.dtype} cannot be saved`);
};

const toNamed = async (t: TensorLike): Promise<NamedTensor> => {
  if (t instanceof tf.Tensor) {
    const dtype = tfDtype(t);
    const data = (await t.data()) as TensorData;
    return {
      dtype,
      shape: t.shape,
      data: dtype === 'BOOL' ? Uint8Array.from(data as Uint8Array) : data,
    };
  }
  return { dtype: t.dtype ?? dtypeOf(t.data), shape: t.shape, data: t.data };
};

const collect = async (
  out: Record<string, NamedTensor>,
  prefix: string,
  src: Readonly<Record<string, TensorLike>>,
): Promise<void> => {
  for (const [name, t] of Object.entries(src)) out[prefix + name] = await toNamed(t);
};

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Saves a checkpoint of `runDir` at `step` and points `latest.json` at it, then deletes the oldest
 * checkpoints so that `keep` remain (only those older than this step). Returns the files written
 * and removed.
 */
export const saveCheckpoint = async (
  runDir: string,
  input: SaveCheckpointInput,
): Promise<{
  readonly file: string;
  readonly record: string;
  readonly removed: ReadonlyArray<string>;
}> => {
  const { step, meta, hooks } = input;
  if (!Number.isInteger(step) || step < 0)
    throw new Error(`saveCheckpoint: step must be a non-negative integer, got ${step}`);
  if (meta.step !== undefined && meta.step !== step)
    throw new Error(`saveCheckpoint: meta.step ${meta.step} differs from step ${step}`);
  const dir = checkpointsDir(runDir);
  await makeFolder(dir);
  const tensors: Record<string, NamedTensor> = {};
  await collect(tensors, WEIGHTS, input.weights);
  await collect(tensors, OPTIMIZER, input.optimizer ?? {});
  const bad = nonFiniteNames(tensors);
  if (bad.length > 0)
    throw new Error(
      `saveCheckpoint: refusing to save step ${step}: non-finite values in ${someNames(bad)}`,
    );
  const bytes = encodeSafetensors(tensors, {
    format: 'tessera-checkpoint',
    step: String(step),
    specHash: meta.specHash,
  });
  const file = `${stem(step)}.safetensors`;
  await writeFileAtomic(join(dir, file), bytes, hooks);
  const record: CheckpointRecord = {
    ...meta,
    format: 'tessera-checkpoint',
    version: 1,
    step,
    file,
    sha256: sha256(bytes),
    bytes: bytes.length,
    savedAt: new Date().toISOString(),
  };
  const recordName = `${stem(step)}.json`;
  await writeFileAtomic(join(dir, recordName), `${JSON.stringify(record, null, 2)}\n`, hooks);
  await writeFileAtomic(
    join(dir, 'latest.json'),
    `${JSON.stringify({ step, checkpoint: recordName })}\n`,
    hooks,
  );
  const removed = await prune(dir, step, input.keep ?? 3);
  return { file: join(dir, file), record: join(dir, recordName), removed };
};

/** Checkpoint records in `runDir`, newest step first. */
export const listCheckpoints = async (
  runDir: string,
): Promise<ReadonlyArray<{ readonly step: number; readonly record: string }>> => {
  const dir = checkpointsDir(runDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .flatMap((n) => {
      const m = STEM.exec(n);
      return m ? [{ step: Number(m[1]), record: join(dir, n) }] : [];
    })
    .sort((a, b) => b.step - a.step);
};

const prune = async (dir: string, step: number, keep: number): Promise<string[]> => {
  const older = (await listCheckpoints(join(dir, '..'))).filter((c) => c.step < step);
  const doomed = older.slice(Math.max(0, keep - 1));
  const removed: string[] = [];
  for (const c of doomed) {
    for (const path of [c.record, c.record.replace(/\.json$/, '.safetensors')]) {
      await rm(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
};

const parseRecord = (path: string, text: string): CheckpointRecord => {
  let r: Partial<CheckpointRecord>;
  try {
    r = JSON.parse(text) as Partial<CheckpointRecord>;
  } catch (e) {
    throw new CheckpointError(path, `its JSON does not parse (${(e as Error).message})`);
  }
  const missing = (['step', 'file', 'sha256', 'specHash', 'seed', 'rng'] as const).filter(
    (k) => r[k] === undefined,
  );
  if (r.format !== 'tessera-checkpoint' || missing.length > 0) {
    throw new CheckpointError(
      path,
      `not a tessera checkpoint record${missing.length ? ` (missing ${missing.join(', ')})` : ''}`,
    );
  }
  return r as CheckpointRecord;
};

const split = (
  tensors: Readonly<Record<string, NamedTensor>>,
  prefix: string,
): Record<string, NamedTensor> =>
  Object.fromEntries(
    Object.entries(tensors)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );

/** Loads one checkpoint from its record path (`.../step-000123.json`); throws `CheckpointError` naming the bad file. */
export const loadCheckpoint = async (recordPath: string): Promise<LoadedCheckpoint> => {
  let text: string;
  try {
    text = await readFile(recordPath, 'utf8');
  } catch (e) {
    throw new CheckpointError(recordPath, `cannot read it (${(e as Error).message})`);
  }
  const meta = parseRecord(recordPath, text);
  const file = join(recordPath, '..', meta.file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new CheckpointError(file, `cannot read it (${(e as Error).message})`);
  }
  const digest = sha256(bytes);
  if (digest !== meta.sha256)
    throw new CheckpointError(
      file,
      `sha256 ${digest.slice(0, 12)}... differs from ${meta.sha256.slice(0, 12)}... recorded in ${recordPath} (truncated or overwritten)`,
    );
  let decoded;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    throw new CheckpointError(file, (e as Error).message);
  }
  const mismatch = recordMismatch(
    Number(STEM.exec(basename(recordPath))?.[1] ?? NaN),
    meta,
    decoded.metadata,
  );
  if (mismatch !== undefined) throw new CheckpointError(recordPath, mismatch);
  const bad = nonFiniteNames(decoded.tensors);
  if (bad.length > 0)
    throw new CheckpointError(
      file,
      `it holds non-finite values in ${someNames(bad)} (saved before tessera refused poisoned checkpoints)`,
    );
  return {
    step: meta.step,
    weights: split(decoded.tensors, WEIGHTS),
    optimizer: split(decoded.tensors, OPTIMIZER),
    meta,
    file,
    skipped: [],
  };
};

const latestPointer = async (dir: string): Promise<string | undefined> => {
  try {
    const p = JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8')) as {
      checkpoint?: unknown;
    };
    return typeof p.checkpoint === 'string' && STEM.test(p.checkpoint)
      ? join(dir, p.checkpoint)
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Loads the newest complete checkpoint (whatever `latest.json` says: the pointer is written last
 * and may lag). When it is unusable, tries older ones, newest first, and lists the skipped files
 * in `skipped`. Returns `undefined` when the run has no checkpoint record; throws
 * `CheckpointError` (naming every file tried) when none loads.
 */
export const loadLatestCheckpoint = async (
  runDir: string,
): Promise<LoadedCheckpoint | undefined> => {
  const candidates = (await listCheckpoints(runDir)).map((c) => c.record);
  if (candidates.length === 0) return undefined;
  const skipped: Array<{ file: string; reason: string }> = [];
  for (const record of candidates) {
    try {
      return { ...(await loadCheckpoint(record)), skipped };
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      skipped.push({ file: e.file, reason: e.reason });
    }
  }
  const tried = skipped.map((s) => `  ${s.file}: ${s.reason}`).join('\n');
  throw new CheckpointError(
    checkpointsDir(runDir),
    `no checkpoint loads:\n${tried}\nhint: delete the run folder's checkpoints to start afresh, or restore a backup`,
  );
};

/** Points `latest.json` at `loaded` when it points elsewhere (or nowhere); returns true when it rewrote it. */
export const syncPointer = async (runDir: string, loaded: LoadedCheckpoint): Promise<boolean> => {
  const dir = checkpointsDir(runDir);
  const recordName = `${stem(loaded.step)}.json`;
  if ((await latestPointer(dir)) === join(dir, recordName)) return false;
  await writeFileAtomic(
    join(dir, 'latest.json'),
    `${JSON.stringify({ step: loaded.step, checkpoint: recordName })}\n`,
  );
  return true;
};

/** A TF.js tensor of a loaded tensor (F32 -> float32, I32 -> int32, BOOL -> bool; others are refused). */
export const toTensor = (t: NamedTensor): tf.Tensor => {
  if (t.dtype === 'F32') return tf.tensor(t.data as Float32Array, [...t.shape], 'float32');
  if (t.dtype === 'I32') return tf.tensor(t.data as Int32Array, [...t.shape], 'int32');
  if (t.dtype === 'BOOL') return tf.tensor(t.data as Uint8Array, [...t.shape], 'bool');
  throw new Error(`toTensor: ${t.dtype} has no TF.js dtype; convert it first`);
};
