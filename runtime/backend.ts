/**
 * TF.js backends. `wasm` (XNNPACK, default), `cpu` (pure JS, the numerical reference) and
 * `tensorflow` (libtensorflow through `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`,
 * optional peers loaded only when chosen).
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'; // registers the wasm kernels
import { createRequire } from 'node:module';
import { installSharedIdentity } from '../compiler/lower/kernels/identity.js';
import type { BackendName } from './backendName.js';
import { initWasmBackend } from './wasmThreads.js';

// The wasm backend's kernels are registered now: replace its copying Identity (the tape's
// saved-tensor clones) with the zero-copy one.
installSharedIdentity();

export { BACKENDS, type BackendName } from './backendName.js';

const require = createRequire(import.meta.url);

/** Loads libtensorflow bindings if installed; returns the package name used. */
const loadTensorflowBindings = (): string => {
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require(name);
      return name;
    } catch {
      // not installed: try the next one
    }
  }
  throw new Error(
    'backend "tensorflow" needs @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node installed.\n' +
      'hint: npm install @tensorflow/tfjs-node-gpu   (its install downloads libtensorflow), or use --backend wasm',
  );
};

/**
 * Makes `name` the active TF.js backend (idempotent). Throws a clear error when the backend
 * cannot start. `wasm` runs on every core unless `TESSERA_THREADS` says otherwise (`wasmThreads.ts`).
 */
export const useBackend = async (name: BackendName): Promise<void> => {
  if (tf.getBackend() === name) return;
  if (name === 'wasm') {
    await initWasmBackend();
    return;
  }
  if (name === 'tensorflow') loadTensorflowBindings();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`TF.js backend "${name}" failed to initialise`);
  await tf.ready();
};

/** The active backend as a run's header names it: `wasm (2 threads)`, `cpu`. */
export const backendLabel = (name: BackendName): string => {
  if (name !== 'wasm') return name;
  const threads = getThreadsCount();
  return `wasm (${threads} thread${threads === 1 ? '' : 's'})`;
};

export { tf };
