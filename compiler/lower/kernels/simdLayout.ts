/**
 * tessera's data-movement kernels for the wasm backend (source: `simdLayoutCode.ts`). TF.js 4.22's
 * wasm `Transpose` and `GatherV2` move one element at a time through generic index arithmetic:
 * measured here, a `[3072, 128]` transpose 3.0 ms and a 1152-row gather from `[2048, 64]` 3.6 ms,
 * both pure copies. These kernels do the same copies in blocks:
 * - `TesseraTranspose`: `[rows, cols] -> [cols, rows]`, or per slice of `[g, rows, cols]`; 4 x 4
 *   SIMD blocks when both sizes are multiples of 4, element by element otherwise. Its gradient is
 *   itself.
 * - `TesseraGatherRows`: `table [R, D]`, `index [n]` (int32, each in `[0, R)`: checked) -> `[n, D]`,
 *   `D` a multiple of 4. Its gradient is a `scatterND` (duplicate indices sum), none to the index;
 *   so is the gradient of `gatherRowsFast`'s TF.js fallback.
 * Float32 only; `transposeFast` and `gatherRowsFast` fall back to TF.js's ops off wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { simdLayoutModule } from './simdLayoutCode.js';
import {
  dataView,
  memoryOffset,
  requireWasmExports,
  wasmModuleRuns,
  type WasmBackendLike,
} from './wasmBinding.js';

/** The kernels' names in the TF.js registry. */
export const TRANSPOSE_KERNEL = 'TesseraTranspose';
export const GATHER_ROWS_KERNEL = 'TesseraGatherRows';

type Move = (...args: number[]) => void;
interface Exports {
  readonly transpose4: Move;
  readonly transpose1: Move;
  readonly gather: Move;
}

/** Whether the kernels run on the active backend (wasm with SIMD). */
export const layoutSimdRuns = (): boolean => wasmModuleRuns(simdLayoutModule);

/** `[g, rows, cols]` of a rank-2 (g = 1) or rank-3 tensor, or an error naming the kernel. */
const slices = (x: tf.TensorInfo): [number, number, number] => {
  if (x.dtype !== 'float32' || (x.shape.length !== 2 && x.shape.length !== 3))
    throw new Error(
      `${TRANSPOSE_KERNEL}: expects a float32 matrix or batch of matrices, got [${x.shape}] ${x.dtype}`,
    );
  return (x.shape.length === 2 ? [1, ...x.shape] : x.shape) as [number, number, number];
};

/**
 * Runs the transpose of `x`'s slices into a fresh output of the backend (exported for the
 * batched product's transposed right operand, `simdMatmul.ts`, which frees it after use).
 */
export const transposeInto = (backend: unknown, x: tf.TensorInfo): tf.TensorInfo => {
  const wasm = requireWasmExports<Exports>(simdLayoutModule, backend, TRANSPOSE_KERNEL);
  const be = backend as WasmBackendLike;
  const [g, rows, cols] = slices(x);
  const shape = x.shape.length === 2 ? [cols, rows] : [g, cols, rows];
  const out = be.makeOutput(shape, 'float32');
  const run = rows % 4 === 0 && cols % 4 === 0 ? wasm.transpose4 : wasm.transpose1;
  if (g * rows * cols > 0) run(memoryOffset(be, x), memoryOffset(be, out), g, rows, cols);
  return out;
};

const transposeKernel: tf.KernelFunc = ({ inputs, backend }) =>
  transposeInto(backend, (inputs as { x: tf.TensorInfo }).x);

const gatherKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { table, index } = inputs as { table: tf.TensorInfo; index: tf.TensorInfo };
  const wasm = requireWasmExports<Exports>(simdLayoutModule, backend, GATHER_ROWS_KERNEL);
  const be = backend as unknown as WasmBackendLike;
  const [rows, d] = table.shape as [number, number];
  if (
    table.shape.length !== 2 ||
    table.dtype !== 'float32' ||
    d % 4 !== 0 ||
    index.dtype !== 'int32'
  )
    throw new Error(
      `${GATHER_ROWS_KERNEL}: expects a float32 table [R, D] with D a multiple of 4 and an int32 index, got [${table.shape}] ${table.dtype} and [${index.shape}] ${index.dtype}`,
    );
  const count = tf.util.sizeFromShape(index.shape);
  const ids = dataView(be, index, Int32Array);
  const bad = ids.findIndex((i) => i < 0 || i >= rows);
  if (bad >= 0)
    throw new Error(
      `${GATHER_ROWS_KERNEL}: index ${bad} is ${ids[bad]}, outside the table's ${rows} rows`,
    );
  const out = be.makeOutput([count, d], 'float32');
  if (count * d > 0)
    wasm.gather(
      memoryOffset(be, table),
      memoryOffset(be, index),
      memoryOffset(be, out),
      count,
      4 * d,
    );
  return out;
};

tf.registerKernel({
  kernelName: TRANSPOSE_KERNEL,
  backendName: 'wasm',
  kernelFunc: transposeKernel,
});
tf.registerKernel({
  kernelName: GATHER_ROWS_KERNEL,
  backendName: 'wasm',
  kernelFunc: gatherKernel,
});

const transposeSimd = <T extends tf.Tensor>(x: T): T =>
  tf.engine().runKernel(TRANSPOSE_KERNEL, { x }, {}) as T;

tf.registerGradient({
  kernelName: TRANSPOSE_KERNEL,
  gradFunc: (dy) => ({ x: () => transposeSimd(dy as tf.Tensor) }),
});

/**
 * The gradient of a row gather in its table: the output gradient's rows summed back at `index`
 * (`scatterND` sums duplicates). TF.js's own `gather` gradient needs `UnsortedSegmentSum`, a
 * kernel wasm lacks, so every row gather here differentiates with this.
 */
const scatterRows = (index: tf.Tensor, dy: tf.Tensor, shape: [number, number]): tf.Tensor =>
  tf.scatterND(index.reshape([-1, 1]), dy.reshape([-1, shape[1]]), shape);

tf.registerGradient({
  kernelName: GATHER_ROWS_KERNEL,
  inputsToSave: ['table', 'index'],
  gradFunc: (dy, saved) => {
    const [table, index] = saved as [tf.Tensor2D, tf.Tensor];
    return {
      table: () => scatterRows(index, dy as tf.Tensor, table.shape),
      index: () => tf.zerosLike(index),
    };
  },
});

/** TF.js's `gather` of rows, differentiated by `scatterRows` (it trains on wasm too). */
const gatherRowsOps = (table: tf.Tensor2D, flat: tf.Tensor1D): tf.Tensor2D =>
  tf.customGrad(((t: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([flat]);
    return {
      value: tf.gather(t, flat),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => scatterRows(saved[0]!, dy, t.shape),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0])(table) as tf.Tensor2D;

/**
 * `x^T` for a matrix, or each slice's transpose (`[g, r, c] -> [g, c, r]`) for a batch: the kernel
 * on wasm (float32), TF.js's `transpose` elsewhere. Differentiable.
 */
export const transposeFast = <T extends tf.Tensor2D | tf.Tensor3D>(x: T): T =>
  x.dtype === 'float32' && layoutSimdRuns()
    ? transposeSimd(x)
    : (tf.transpose(x, x.rank === 2 ? [1, 0] : [0, 2, 1]) as T);

/**
 * Rows of `table [R, D]` at `index` (any shape, integer values in `[0, R)`) -> `[...index, D]`: the
 * kernel on wasm (float32, `D` a multiple of 4), TF.js's `gather` elsewhere. Differentiable in
 * `table` on every backend, by `scatterRows`.
 */
export const gatherRowsFast = (table: tf.Tensor2D, index: tf.Tensor): tf.Tensor => {
  const flat = tf.cast(index, 'int32').reshape([-1]) as tf.Tensor1D;
  const d = table.shape[1];
  const rows =
    table.dtype === 'float32' && d % 4 === 0 && layoutSimdRuns()
      ? (tf.engine().runKernel(GATHER_ROWS_KERNEL, { table, index: flat }, {}) as tf.Tensor)
      : gatherRowsOps(table, flat);
  return rows.reshape([...index.shape, d]);
};

/**
 * Items of a batch `x [N, ...]` at `index [n]` (integers in `[0, N)`) -> `[n, ...]`: TF.js's
 * `gather` on axis 0, as a row gather of `x [N, -1]` (the kernel on wasm where it applies).
 */
export const gatherBatch = (x: tf.Tensor, index: tf.Tensor1D): tf.Tensor => {
  const [n, ...item] = x.shape;
  return gatherRowsFast(x.reshape([n!, -1]) as tf.Tensor2D, index).reshape([index.size, ...item]);
};
