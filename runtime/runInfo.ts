/**
 * `DIR/run.json`: how a run was made, so that `tessera eval`, `export` and `train --resume` can
 * reopen its data and rebuild its method without the original command line.
 *
 * ```json
 * { "version": 1, "method": "moco-v3 (tiny)", "data": "builtin:appearance:2520", "imageSize": 32,
 *   "datasetSize": 2520, "seed": 0, "steps": 120, "batch": 32, "backend": "wasm",
 *   "checkpointEvery": 50, "specHash": "3f2a...", "createdAt": "2026-11-26T10:00:00Z" }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackendName } from './backendName.js';
import { writeFileAtomic } from './checkpoint/atomicWrite.js';

/** The content of `run.json`. */
export interface RunInfo {
  readonly version: 1;
  /** Where the spec came from (a library method and preset, or a file). */
  readonly method: string;
  /** The `--data` value: `builtin:appearance[:N]` or a folder path (absolute). */
  readonly data: string;
  /** Side of the training images (the spec's input size). */
  readonly imageSize: number;
  /** Images in the training set. */
  readonly datasetSize: number;
  readonly seed: number;
  /** Total steps of the run. */
  readonly steps: number;
  readonly batch: number;
  readonly backend: BackendName;
  readonly checkpointEvery: number;
  /** Online kNN interval (`--eval-every`, 0: off) and its held-out images; absent in older runs. */
  readonly evalEvery?: number;
  readonly evalSamples?: number;
  /** `specHash(spec.json)`. */
  readonly specHash: string;
  readonly createdAt: string;
}

/** Path of `run.json` in a run folder. */
export const runInfoPath = (runDir: string): string => join(runDir, 'run.json');

/** Writes `DIR/run.json` (atomically). */
export const writeRunInfo = async (runDir: string, info: RunInfo): Promise<void> => {
  await writeFileAtomic(runInfoPath(runDir), `${JSON.stringify(info, null, 2)}\n`);
};

const FIELDS: ReadonlyArray<readonly [keyof RunInfo, 'string' | 'number']> = [
  ['method', 'string'],
  ['data', 'string'],
  ['imageSize', 'number'],
  ['datasetSize', 'number'],
  ['seed', 'number'],
  ['steps', 'number'],
  ['batch', 'number'],
  ['backend', 'string'],
  ['checkpointEvery', 'number'],
  ['specHash', 'string'],
];

/** Reads `DIR/run.json`; throws an error saying what is missing or malformed, with a hint. */
export const readRunInfo = async (runDir: string): Promise<RunInfo> => {
  const file = runInfoPath(runDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(
      `${runDir} is not a run folder: ${file} is missing\nhint: give the --out folder of a tessera train run`,
    );
  }
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  for (const [key, type] of FIELDS) {
    if (typeof value[key] !== type)
      throw new Error(
        `${file}: field "${key}" should be a ${type}, got ${JSON.stringify(value[key])}`,
      );
  }
  return value as unknown as RunInfo;
};

/** Reads and checks `DIR/spec.json`. */
export const readRunSpec = async (runDir: string): Promise<unknown> => {
  const file = join(runDir, 'spec.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing\nhint: give the --out folder of a tessera train run`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
};
