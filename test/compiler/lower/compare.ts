/**
 * Test support for lowering: run the same computation on two TF.js backends and compare.
 * Inputs come from the seeded `Rng` (plain JS numbers), so every backend sees identical data.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, type BackendName } from '../../../runtime/backend.js';
import { Rng } from '../../../compiler/ir/rng.js';

/** Numbers from `fn` run on `backend` inside `tf.tidy` (read back, disposed, and checked for leaks). */
export const onBackend = async (
  backend: BackendName,
  fn: () => ReadonlyArray<tf.Tensor>,
): Promise<Float32Array[]> => {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const outs = tf.tidy(() => [...fn()]);
  const data = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...outs]);
  if (tf.memory().numTensors !== before)
    throw new Error(`tensor leak on ${backend}: ${tf.memory().numTensors - before}`);
  return data;
};

/** Relative error `max|a - b| / max|b|` (infinity norms; 0 when both are zero). */
export const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
};

/** `n` standard-normal numbers from a seed. */
export const normals = (seed: number, n: number): Float32Array => {
  const r = Rng.seeded(seed);
  return Float32Array.from({ length: n }, () => r.normal());
};

/** A tensor of standard-normal numbers from a seed (same numbers on every backend). */
export const randn = (seed: number, shape: number[]): tf.Tensor =>
  tf.tensor(
    normals(
      seed,
      shape.reduce((a, b) => a * b, 1),
    ),
    shape,
    'float32',
  );

/** Asserts that the engine validates a kernel module, plain and importing a shared memory (threads). */
export const expectValidModule = (build: (shared: boolean) => Uint8Array): void => {
  const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } })
    .WebAssembly;
  if (!wasm.validate(build(false))) throw new Error('the engine refuses the module');
  if (!wasm.validate(build(true))) throw new Error('the engine refuses the shared-memory module');
};
