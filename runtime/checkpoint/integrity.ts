/**
 * What makes a checkpoint trustworthy beyond its sha256: only finite values are saved or loaded,
 * a record agrees with the weights file it describes (step and spec hash are stored in both, and
 * the record's file name carries the step too), and the leftovers of killed writers (temporary
 * files) do not accumulate.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isTempFile } from './atomicWrite.js';
import type { NamedTensor } from './safetensors.js';

/** Names of the float tensors holding a NaN or an infinity. */
export const nonFiniteNames = (tensors: Readonly<Record<string, NamedTensor>>): string[] =>
  Object.entries(tensors).flatMap(([name, t]) => {
    if (t.dtype !== 'F32' && t.dtype !== 'F64') return [];
    const data = t.data as Float32Array | Float64Array;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return [name];
    return [];
  });

/** Lists a few names and the count: `a, b, c ... (12 in all)`. */
export const someNames = (names: ReadonlyArray<string>, max = 4): string =>
  names.length > max
    ? `${names.slice(0, max).join(', ')} ... (${names.length} in all)`
    : names.join(', ');

/**
 * Why a record does not describe its weights file, or `undefined` when it does: the step in the
 * record's name, in the record and in the weights' metadata, and the spec hash in both, must agree.
 */
export const recordMismatch = (
  nameStep: number,
  record: { readonly step: unknown; readonly specHash: unknown },
  metadata: Readonly<Record<string, string>>,
): string | undefined => {
  if (record.step !== nameStep)
    return `its record says step ${String(record.step)} but is named for step ${nameStep} (edited?)`;
  if (metadata['step'] !== undefined && metadata['step'] !== String(nameStep)) {
    return `the weights file was saved at step ${metadata['step']}, the record says ${nameStep} (edited or mixed files?)`;
  }
  if (metadata['specHash'] !== undefined && metadata['specHash'] !== record.specHash) {
    return `the weights file's spec hash ${metadata['specHash'].slice(0, 12)} differs from the record's ${String(record.specHash).slice(0, 12)}`;
  }
  return undefined;
};

const pidOf = (name: string): number | undefined => {
  const m = /\.(\d+)\.\d+\.tmp$/.exec(name);
  return m ? Number(m[1]) : undefined;
};

const alive = (pid: number): boolean => {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes temporary files left in `dir` by writers that no longer run (killed mid-write); returns
 * their names. Files of a live process (this one included) are kept.
 */
export const removeOrphanTemps = async (dir: string): Promise<string[]> => {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const orphans = names.filter((n) => {
    if (!isTempFile(n)) return false;
    const pid = pidOf(n);
    return pid === undefined || !alive(pid);
  });
  for (const n of orphans) await rm(join(dir, n), { force: true });
  return orphans;
};
