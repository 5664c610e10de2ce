/**
 * tessera's LayerNorm kernels for the wasm backend (source: `simdLayerNormCode.ts`): the
 * normalisation over the last axis `(x - mean) / sqrt(var + eps)` as one pass per row forward
 * (`TesseraLayerNorm`, outputs `y` and the per-row `rstd`) and one backward
 * (`TesseraLayerNormGrad`: `dx = rstd (dy - mean(dy) - y mean(dy y))`). TF.js 4.22's wasm backend
 * runs the same maths as ~6 kernels forward and ~7 backward, each a pass over memory. Float32, last
 * axis a multiple of 4 (`layerNormSimdApplies`); the gradient kernel has no gradient itself (a
 * second derivative through it fails loudly). The affine part is `kernels.affine`.
 */
import * as tf from '@tensorflow/tfjs';
import { simdLayerNormModule } from './simdLayerNormCode.js';
import {
  memoryOffset,
  requireWasmExports,
  wasmModuleRuns,
  type WasmBackendLike,
} from './wasmBinding.js';

/** The kernels' names in the TF.js registry. */
export const SIMD_LAYER_NORM_KERNEL = 'TesseraLayerNorm';
export const SIMD_LAYER_NORM_GRAD_KERNEL = 'TesseraLayerNormGrad';

interface Exports {
  readonly ln: (...args: number[]) => void;
  readonly lnGrad: (...args: number[]) => void;
}

/** Whether the kernels run for `x` on the active backend (wasm with SIMD, float32, last axis % 4 = 0). */
export const layerNormSimdApplies = (x: tf.Tensor): boolean =>
  x.dtype === 'float32' &&
  x.rank >= 1 &&
  x.shape[x.rank - 1]! % 4 === 0 &&
  x.size > 0 &&
  wasmModuleRuns(simdLayerNormModule);

const kernelsOf = (backend: unknown): Exports =>
  requireWasmExports<Exports>(simdLayerNormModule, backend, SIMD_LAYER_NORM_KERNEL);

/** Rows and bytes per row of a `[..., d]` tensor. */
const rowsOf = (x: tf.TensorInfo): { rows: number; d: number } => {
  const d = x.shape[x.shape.length - 1]!;
  if (x.dtype !== 'float32' || d % 4 !== 0)
    throw new Error(
      `${SIMD_LAYER_NORM_KERNEL}: expects float32 with a last axis that is a multiple of 4, got [${x.shape}] ${x.dtype}`,
    );
  return { rows: tf.util.sizeFromShape(x.shape) / d, d };
};

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { eps } = attrs as unknown as { eps: number };
  const { rows, d } = rowsOf(x);
  const be = backend as unknown as WasmBackendLike;
  const y = be.makeOutput([...x.shape], 'float32');
  const rstd = be.makeOutput([...x.shape.slice(0, -1), 1], 'float32');
  const at = (t: tf.TensorInfo) => memoryOffset(be, t);
  kernelsOf(backend).ln(at(x), at(y), at(rstd), rows, 4 * d, 1 / d, eps);
  return [y, rstd];
};

const backward: tf.KernelFunc = ({ inputs, backend }) => {
  const { y, rstd, dy } = inputs as { y: tf.TensorInfo; rstd: tf.TensorInfo; dy: tf.TensorInfo };
  const { rows, d } = rowsOf(y);
  const be = backend as unknown as WasmBackendLike;
  const dx = be.makeOutput([...y.shape], 'float32');
  const at = (t: tf.TensorInfo) => memoryOffset(be, t);
  kernelsOf(backend).lnGrad(at(y), at(rstd), at(dy), at(dx), rows, 4 * d, 1 / d);
  return dx;
};

/** `y` and the per-row `rstd` (`[..., 1]`) of a LayerNorm without affine part (not taped alone). */
export const layerNormForwardSimd = (x: tf.Tensor, eps: number): [tf.Tensor, tf.Tensor] =>
  tf.engine().runKernel(SIMD_LAYER_NORM_KERNEL, { x }, { eps }) as unknown as [
    tf.Tensor,
    tf.Tensor,
  ];

/** `dx` from the forward's `y`, `rstd` and the output gradient `dy`. */
export const layerNormGradSimd = (y: tf.Tensor, rstd: tf.Tensor, dy: tf.Tensor): tf.Tensor =>
  tf.engine().runKernel(SIMD_LAYER_NORM_GRAD_KERNEL, { y, rstd, dy }) as tf.Tensor;

tf.registerKernel({
  kernelName: SIMD_LAYER_NORM_KERNEL,
  backendName: 'wasm',
  kernelFunc: forward,
});
tf.registerKernel({
  kernelName: SIMD_LAYER_NORM_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: backward,
});
