/**
 * tessera's exact-GELU kernels for the wasm backend: `TesseraGelu` (`x Phi(x)`) and its gradient
 * `TesseraGeluGrad` (`dy (Phi(x) + x phi(x))`), WebAssembly SIMD (source: `simdGeluCode.ts`),
 * one pass over memory each. On TF.js 4.22's wasm backend the same GELU as element-wise ops takes
 * 5 kernels forward (one a scalar `Erf`) and 8 backward (one a scalar `Exp`); `npx tsx
 * bench/kernels.ts` times both. Float32 tensors whose size is a multiple of 4 (`geluSimdApplies`);
 * the gradient kernel has no gradient itself (a second derivative through it fails loudly).
 */
import * as tf from '@tensorflow/tfjs';
import { simdGeluModule } from './simdGeluCode.js';
import {
  memoryOffset,
  requireFloat32Quads,
  requireWasmExports,
  float32QuadsRun,
  type WasmBackendLike,
} from './wasmBinding.js';

/** The kernels' names in the TF.js registry. */
export const SIMD_GELU_KERNEL = 'TesseraGelu';
export const SIMD_GELU_GRAD_KERNEL = 'TesseraGeluGrad';

interface Exports {
  readonly gelu: (x: number, y: number, bytes: number) => void;
  readonly geluGrad: (x: number, dy: number, dx: number, bytes: number) => void;
}

/** Whether the kernels run for `x` on the active backend (wasm with SIMD, float32, size % 4 = 0). */
export const geluSimdApplies = (x: tf.Tensor): boolean => float32QuadsRun(simdGeluModule, x);

const kernelsOf = (backend: unknown): Exports =>
  requireWasmExports<Exports>(simdGeluModule, backend, SIMD_GELU_KERNEL);

const geluKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const bytes = 4 * requireFloat32Quads(SIMD_GELU_KERNEL, x);
  const be = backend as unknown as WasmBackendLike;
  const out = be.makeOutput([...x.shape], 'float32');
  if (bytes > 0) kernelsOf(backend).gelu(memoryOffset(be, x), memoryOffset(be, out), bytes);
  return out;
};

const geluGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const bytes = 4 * requireFloat32Quads(SIMD_GELU_GRAD_KERNEL, x, dy);
  const be = backend as unknown as WasmBackendLike;
  const out = be.makeOutput([...x.shape], 'float32');
  if (bytes > 0)
    kernelsOf(backend).geluGrad(
      memoryOffset(be, x),
      memoryOffset(be, dy),
      memoryOffset(be, out),
      bytes,
    );
  return out;
};

/** Exact GELU through the SIMD kernel, differentiable once (wasm only; see `geluSimdApplies`). */
export const geluSimd = <T extends tf.Tensor>(x: T): T =>
  tf.engine().runKernel(SIMD_GELU_KERNEL, { x }) as T;

tf.registerKernel({ kernelName: SIMD_GELU_KERNEL, backendName: 'wasm', kernelFunc: geluKernel });
tf.registerKernel({
  kernelName: SIMD_GELU_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: geluGradKernel,
});
tf.registerGradient({
  kernelName: SIMD_GELU_KERNEL,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({
    x: () =>
      tf.engine().runKernel(SIMD_GELU_GRAD_KERNEL, {
        x: saved[0]!,
        dy: dy as tf.Tensor,
      }) as tf.Tensor,
  }),
});
