/**
 * Putting saved weights back into a compiled method: from a loaded checkpoint (resume, eval,
 * export) or from an exported encoder file. Every variable must be present with its shape;
 * extra saved tensors are ignored only when the caller says so (an encoder file holds a subset).
 */
import type { CompiledMethod } from './compiled.js';
import {
  CheckpointError,
  loadLatestCheckpoint,
  toTensor,
  type LoadedCheckpoint,
  type NamedTensor,
} from './checkpoint/index.js';

const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Assigns `saved[name]` to every variable `name` of `compiled` (after `init`). Throws an error
 * naming `file` when a tensor is missing or has another shape.
 */
export const loadWeights = (
  compiled: CompiledMethod,
  saved: Readonly<Record<string, NamedTensor>>,
  file: string,
): void => {
  for (const [name, v] of Object.entries(compiled.variables())) {
    const t = saved[name];
    if (t === undefined)
      throw new CheckpointError(file, `it has no tensor "${name}" (saved by another spec?)`);
    if (!sameShape(t.shape, v.shape))
      throw new CheckpointError(
        file,
        `tensor "${name}" has shape [${t.shape.join(', ')}], the spec needs [${v.shape.join(', ')}]`,
      );
    const x = toTensor(t);
    v.assign(x);
    x.dispose();
  }
};

/**
 * Loads the last usable checkpoint of `runDir` into `compiled` (weights and buffers; the optimizer
 * state is left alone). Throws when the run has no checkpoint.
 */
export const loadRunWeights = async (
  compiled: CompiledMethod,
  runDir: string,
): Promise<LoadedCheckpoint> => {
  const ckpt = await loadLatestCheckpoint(runDir);
  if (ckpt === undefined)
    throw new Error(
      `run folder ${runDir} has no checkpoint yet\nhint: train it first (tessera train --out ${runDir}), or wait for its first checkpoint`,
    );
  loadWeights(compiled, ckpt.weights, ckpt.file);
  return ckpt;
};
