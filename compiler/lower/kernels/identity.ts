/**
 * A zero-copy `Identity` kernel for the wasm backend. TF.js clones (runs `Identity` on) every
 * tensor it saves for the backward pass; the wasm backend's own `Identity` copies the data, which
 * was ~5% of a MoCo v3 `tiny` step's kernel time (581 copies per step, `tessera bench step
 * --profile`). TF.js tensors are immutable (a variable's `assign` swaps its data, it does not write
 * into it), so sharing the data under a reference count is exact: this is what the `cpu` backend's
 * `Identity` and the wasm backend's own `Reshape` already do. `runtime/backend.ts` installs it,
 * for the whole process, right after it loads the wasm backend (whose own registration would
 * otherwise replace it). The lowering does not import the wasm package, so a step emitted for
 * `cpu` needs none.
 */
import * as tf from '@tensorflow/tfjs';

/** What the kernel uses of the TF.js wasm backend. */
interface RefCounted {
  incRef(dataId: unknown): void;
}

const identity: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  (backend as unknown as RefCounted).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Replaces the wasm backend's copying `Identity` with the shared-data one (idempotent). */
export const installSharedIdentity = (): void => {
  if (tf.getKernel('Identity', 'wasm')?.kernelFunc === identity) return;
  if (tf.getKernel('Identity', 'wasm') !== undefined) tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity });
};
