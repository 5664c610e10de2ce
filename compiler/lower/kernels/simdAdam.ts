/**
 * tessera's Adam update kernel for the wasm backend (`TesseraAdam`, source: `simdAdamCode.ts`):
 * new parameter and moments from the old ones and the gradient in one pass, the same floats as
 * the ~15 element-wise TF.js kernels of `runtime/optim/adam.ts` (each a dispatch: with the
 * threaded backend, a thread-pool round trip per tiny parameter). Float32, size a multiple of 4
 * (`adamSimdApplies`); not differentiable (an optimizer update).
 */
import * as tf from '@tensorflow/tfjs';
import { simdAdamModule } from './simdAdamCode.js';
import { memoryOffset, wasmExportsFor, type WasmBackendLike } from './wasmBinding.js';

/** The kernel's name in the TF.js registry. */
export const SIMD_ADAM_KERNEL = 'TesseraAdam';

interface Exports {
  readonly adam: (...args: number[]) => void;
}

const exportsFor = (backend: unknown): Exports | null =>
  wasmExportsFor<Exports>(simdAdamModule, backend);

/** Whether the kernel runs for parameter `p` on the active backend (wasm with SIMD, float32, size % 4 = 0). */
export const adamSimdApplies = (p: tf.Tensor): boolean =>
  p.dtype === 'float32' &&
  p.size % 4 === 0 &&
  tf.getBackend() === 'wasm' &&
  exportsFor(tf.backend()) !== null;

/** The scalars of one Adam update (see `simdAdamCode.ts`). */
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
  const wasm = exportsFor(backend);
  const size = tf.util.sizeFromShape(p.shape);
  if (wasm === null || size % 4 !== 0 || [p, g, m, v].some((t) => t.dtype !== 'float32'))
    throw new Error(
      `${SIMD_ADAM_KERNEL}: needs the wasm backend with SIMD and float32 tensors whose size is a multiple of 4, got [${p.shape}]`,
    );
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

tf.registerKernel({ kernelName: SIMD_ADAM_KERNEL, backendName: 'wasm', kernelFunc });
