/**
 * tessera's own batched matmul kernel for the wasm backend: `TesseraBatchMatMul`, a WebAssembly
 * SIMD kernel (source: `simdMatmulCode.ts`, assembled at load time) that runs in the TF.js wasm
 * backend's memory, on the tensors in place. TF.js 4.22's wasm `BatchMatMul` runs attention's many
 * small products (`[256, 65, 16] x [256, 16, 65]`) at ~1-2 GFLOP/s; `npx tsx bench/kernels.ts` times both.
 *
 * `op(a) [g, m, k] . op(b) [g, k, n] -> [g, m, n]`, float32, same `g` on both sides (no
 * broadcasting). A transposed `a` is read in place (strides); a transposed `b` is first transposed
 * into a scratch buffer. Its gradient is TF.js's `BatchMatMul` rule, through this same kernel.
 * Registered for the `wasm` backend only: `simdMatmulAvailable()` says whether it can run.
 */
import * as tf from '@tensorflow/tfjs';
import { simdMatmulModule } from './simdMatmulCode.js';
import { transposeInto } from './simdLayout.js';
import {
  memoryOffset,
  requireWasmExports,
  wasmModuleRuns,
  type WasmBackendLike,
} from './wasmBinding.js';

/** The kernel's name in the TF.js registry. */
export const SIMD_MATMUL_KERNEL = 'TesseraBatchMatMul';

interface Exports {
  readonly mm: (...args: number[]) => void;
}

/** Whether the kernel runs on the active backend (wasm, with its memory reachable and SIMD). */
export const simdMatmulAvailable = (): boolean => wasmModuleRuns(simdMatmulModule);

const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const be = backend as unknown as WasmBackendLike;
  const wasm = requireWasmExports<Exports>(simdMatmulModule, backend, SIMD_MATMUL_KERNEL);
  if (
    a.shape.length !== 3 ||
    b.shape.length !== 3 ||
    a.shape[0] !== b.shape[0] ||
    a.dtype !== 'float32' ||
    b.dtype !== 'float32'
  ) {
    throw new Error(
      `${SIMD_MATMUL_KERNEL}: expects float32 [g, m, k] and [g, k, n] with the same g, got [${a.shape}] ${a.dtype} and [${b.shape}] ${b.dtype}`,
    );
  }
  const [g, a1, a2] = a.shape as [number, number, number];
  const [, b1, b2] = b.shape as [number, number, number];
  const [m, k, n] = [transposeA ? a2 : a1, transposeA ? a1 : a2, transposeB ? b1 : b2];
  if ((transposeB ? b2 : b1) !== k)
    throw new Error(`${SIMD_MATMUL_KERNEL}: inner sizes differ (${k} vs ${transposeB ? b2 : b1})`);
  const offset = (t: tf.TensorInfo): number => memoryOffset(be, t);
  const scratch = transposeB ? transposeInto(backend, b) : null;
  const out = be.makeOutput([g, m, n], 'float32');
  if (g * m * n > 0)
    wasm.mm(
      offset(a),
      offset(scratch ?? b),
      offset(out),
      g,
      m,
      k,
      n,
      transposeA ? 4 : 4 * k,
      transposeA ? 4 * m : 4,
      4 * m * k,
      4 * k * n,
    );
  if (scratch !== null) be.disposeData(scratch.dataId);
  return out;
};

/** `op(a) . op(b)` with the SIMD kernel (wasm backend only; see `simdMatmulAvailable`). */
export const batchMatMulSimd = (
  a: tf.Tensor3D,
  b: tf.Tensor3D,
  transposeA = false,
  transposeB = false,
): tf.Tensor3D =>
  tf.engine().runKernel(SIMD_MATMUL_KERNEL, { a, b }, { transposeA, transposeB }) as tf.Tensor3D;

/** TF.js's `BatchMatMul` gradient, each product through this kernel. */
const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
  const d = dy as tf.Tensor3D;
  const [a, b] = saved as [tf.Tensor3D, tf.Tensor3D];
  const { transposeA, transposeB } = attrs as unknown as {
    transposeA: boolean;
    transposeB: boolean;
  };
  const f = batchMatMulSimd;
  if (!transposeA && !transposeB)
    return { a: () => f(d, b, false, true), b: () => f(a, d, true, false) };
  if (!transposeA && transposeB)
    return { a: () => f(d, b, false, false), b: () => f(d, a, true, false) };
  if (transposeA && !transposeB)
    return { a: () => f(b, d, false, true), b: () => f(a, d, false, false) };
  return { a: () => f(b, d, true, true), b: () => f(d, a, true, true) };
};

tf.registerKernel({ kernelName: SIMD_MATMUL_KERNEL, backendName: 'wasm', kernelFunc });
tf.registerGradient({ kernelName: SIMD_MATMUL_KERNEL, inputsToSave: ['a', 'b'], gradFunc });
