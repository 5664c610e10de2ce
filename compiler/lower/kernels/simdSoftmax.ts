/**
 * Softmax over the last axis with a one-kernel gradient on wasm: `TesseraSoftmax` runs the
 * backend's own `Softmax` (XNNPACK, faster than a SIMD kernel of ours was: 4 against 6 ms on
 * `[256, 65, 65]`), and its gradient `dx = y (dy - sum(dy y))` is tessera's SIMD kernel
 * `TesseraSoftmaxGrad` (source: `simdSoftmaxCode.ts`), one pass per row, where TF.js's softmax
 * gradient is four kernels (`Multiply`, `Sum`, `Sub`, `Multiply`): 0.9 against 3.2 ms there.
 * Float32, last axis at least 4 long (`softmaxSimdApplies`). The gradient's own gradient is
 * written with ops, so second-order gradients work too.
 */
import * as tf from '@tensorflow/tfjs';
import { simdSoftmaxModule } from './simdSoftmaxCode.js';
import {
  memoryOffset,
  requireWasmExports,
  wasmModuleRuns,
  type WasmBackendLike,
} from './wasmBinding.js';

/** The kernels' names in the TF.js registry. */
export const SOFTMAX_KERNEL = 'TesseraSoftmax';
export const SOFTMAX_GRAD_KERNEL = 'TesseraSoftmaxGrad';

interface Exports {
  readonly softmaxGrad: (y: number, dy: number, dx: number, rows: number, rowBytes: number) => void;
}

/** Whether the kernels run on `x` here: the wasm backend with SIMD, float32, last axis >= 4. */
export const softmaxSimdApplies = (x: tf.Tensor): boolean =>
  x.dtype === 'float32' &&
  x.rank >= 1 &&
  x.shape[x.rank - 1]! >= 4 &&
  wasmModuleRuns(simdSoftmaxModule);

/** `[rows, n]` of a float32 tensor, or an error naming the kernel. */
const rowsOf = (kernel: string, ...ts: tf.TensorInfo[]): [number, number] => {
  const shape = ts[0]!.shape;
  const n = shape[shape.length - 1] ?? 0;
  const same = (t: tf.TensorInfo) =>
    t.dtype === 'float32' &&
    t.shape.length === shape.length &&
    t.shape.every((d, i) => d === shape[i]);
  if (n < 4 || !ts.every(same))
    throw new Error(
      `${kernel}: expects float32 tensors of one shape with a last axis of at least 4, got ${ts.map((t) => `[${t.shape}] ${t.dtype}`).join(', ')}`,
    );
  return [tf.util.sizeFromShape(shape) / n, n];
};

/** The backend's own `Softmax` over the last axis. */
const softmaxKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  return tf.getKernel('Softmax', 'wasm')!.kernelFunc({
    inputs: { logits: x },
    backend,
    attrs: { dim: x.shape.length - 1 },
  });
};

const softmaxGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { y, dy } = inputs as { y: tf.TensorInfo; dy: tf.TensorInfo };
  const wasm = requireWasmExports<Exports>(simdSoftmaxModule, backend, SOFTMAX_GRAD_KERNEL);
  const be = backend as unknown as WasmBackendLike;
  const [rows, n] = rowsOf(SOFTMAX_GRAD_KERNEL, y, dy);
  const dx = be.makeOutput([...y.shape], 'float32');
  if (rows > 0)
    wasm.softmaxGrad(memoryOffset(be, y), memoryOffset(be, dy), memoryOffset(be, dx), rows, 4 * n);
  return dx;
};

tf.registerKernel({ kernelName: SOFTMAX_KERNEL, backendName: 'wasm', kernelFunc: softmaxKernel });
tf.registerKernel({
  kernelName: SOFTMAX_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: softmaxGradKernel,
});

/** `y (dy - sum(dy y))` over the last axis, through the kernel. */
const softmaxGradSimd = (y: tf.Tensor, dy: tf.Tensor): tf.Tensor =>
  tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { y, dy }, {}) as tf.Tensor;

tf.registerGradient({
  kernelName: SOFTMAX_KERNEL,
  outputsToSave: [true],
  gradFunc: (dy, saved) => ({ x: () => softmaxGradSimd(saved[0]!, dy as tf.Tensor) }),
});

/**
 * The gradient's gradient, as ops: with `s = sum(dy y)` and `t = sum(G y)` for an upstream `G`,
 * `d/d dy = y (G - t)` and `d/d y = G (dy - s) - dy t` (sums over the last axis).
 */
tf.registerGradient({
  kernelName: SOFTMAX_GRAD_KERNEL,
  inputsToSave: ['y', 'dy'],
  gradFunc: (g, saved) => {
    const [y, dy] = saved as [tf.Tensor, tf.Tensor];
    const upstream = g as tf.Tensor;
    const axis = y.rank - 1;
    const t = tf.sum(tf.mul(upstream, y), axis, true);
    return {
      dy: () => tf.mul(y, tf.sub(upstream, t)),
      y: () =>
        tf.sub(tf.mul(upstream, tf.sub(dy, tf.sum(tf.mul(dy, y), axis, true))), tf.mul(dy, t)),
    };
  },
});

/** Softmax over the last axis: the kernels on wasm where they apply, `tf.softmax` elsewhere. */
export const softmaxFast = <T extends tf.Tensor>(x: T): T =>
  softmaxSimdApplies(x)
    ? (tf.engine().runKernel(SOFTMAX_KERNEL, { x }, {}) as T)
    : (tf.softmax(x) as T);
