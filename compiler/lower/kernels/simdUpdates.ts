/**
 * tessera's parameter-update kernels for the wasm backend (source: `simdUpdatesCode.ts`), each the
 * same floats as the element-wise TF.js kernels it replaces, in one dispatch (with the threaded
 * backend every element-wise kernel is a thread-pool round trip, costly on tiny parameters):
 * - `TesseraAdam`: new parameter and moments from the old ones and the gradient (~15 kernels of
 *   `runtime/optim/adam.ts`);
 * - `TesseraEma`: `target m + source (1 - m)` (3 kernels of the EMA update, `runtime/compiled.ts`).
 * Float32, size a multiple of 4 (`updatesSimdApply`); not differentiable.
 */
import * as tf from '@tensorflow/tfjs';
import { simdUpdatesModule } from './simdUpdatesCode.js';
import {
  memoryOffset,
  requireFloat32Quads,
  requireWasmExports,
  float32QuadsRun,
  type WasmBackendLike,
} from './wasmBinding.js';

/** The kernel's name in the TF.js registry. */
export const SIMD_ADAM_KERNEL = 'TesseraAdam';

/** The EMA kernel's name in the TF.js registry. */
export const SIMD_EMA_KERNEL = 'TesseraEma';

interface Exports {
  readonly adam: (...args: number[]) => void;
  readonly ema: (...args: number[]) => void;
}

const kernelsOf = (backend: unknown, kernel: string): Exports =>
  requireWasmExports<Exports>(simdUpdatesModule, backend, kernel);

/** Whether the kernels run for parameter `p` on the active backend (wasm with SIMD, float32, size % 4 = 0). */
export const updatesSimdApply = (p: tf.Tensor): boolean => float32QuadsRun(simdUpdatesModule, p);

/** The scalars of one Adam update (see `simdUpdatesCode.ts`). */
export interface AdamScalars {
  /** `1 - lr wd` (decoupled weight decay) or 1. */
  readonly decay: number;
  readonly beta1: number;
  readonly beta2: number;
  /** `1 - beta1^t` and `1 - beta2^t`: the bias corrections at step `t`. */
  readonly correction1: number;
  readonly correction2: number;
  readonly lr: number;
  readonly eps: number;
}

const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { p, g, m, v } = inputs as Record<'p' | 'g' | 'm' | 'v', tf.TensorInfo>;
  const s = attrs as unknown as AdamScalars;
  const wasm = kernelsOf(backend, SIMD_ADAM_KERNEL);
  const size = requireFloat32Quads(SIMD_ADAM_KERNEL, p, g, m, v);
  const be = backend as unknown as WasmBackendLike;
  const outs = [0, 1, 2].map(() => be.makeOutput([...p.shape], 'float32'));
  const at = (t: tf.TensorInfo) => memoryOffset(be, t);
  wasm.adam(
    ...[p, g, m, v, ...outs].map(at),
    4 * size,
    s.decay,
    s.beta1,
    1 - s.beta1,
    s.beta2,
    1 - s.beta2,
    s.correction1,
    s.correction2,
    s.lr,
    s.eps,
  );
  return outs;
};

/** `[p', m', v']` from the parameter, its gradient and moments (wasm only; see `adamSimdApplies`). */
export const adamSimd = (
  t: { readonly p: tf.Tensor; readonly g: tf.Tensor; readonly m: tf.Tensor; readonly v: tf.Tensor },
  s: AdamScalars,
): [tf.Tensor, tf.Tensor, tf.Tensor] =>
  tf.engine().runKernel(SIMD_ADAM_KERNEL, { ...t }, { ...s }) as unknown as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];

const emaKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { target, source } = inputs as Record<'target' | 'source', tf.TensorInfo>;
  const { momentum } = attrs as unknown as { momentum: number };
  const wasm = kernelsOf(backend, SIMD_EMA_KERNEL);
  const size = requireFloat32Quads(SIMD_EMA_KERNEL, target, source);
  const be = backend as unknown as WasmBackendLike;
  const out = be.makeOutput([...target.shape], 'float32');
  const at = (t: tf.TensorInfo) => memoryOffset(be, t);
  wasm.ema(at(target), at(source), at(out), 4 * size, momentum, 1 - momentum);
  return out;
};

/** `target m + source (1 - m)` (wasm only; see `updatesSimdApply`). */
export const emaSimd = (target: tf.Tensor, source: tf.Tensor, momentum: number): tf.Tensor =>
  tf.engine().runKernel(SIMD_EMA_KERNEL, { target, source }, { momentum }) as tf.Tensor;

tf.registerKernel({ kernelName: SIMD_ADAM_KERNEL, backendName: 'wasm', kernelFunc });
tf.registerKernel({ kernelName: SIMD_EMA_KERNEL, backendName: 'wasm', kernelFunc: emaKernel });
