/**
 * tessera's head-layout kernels for the wasm backend (source: `simdHeadsCode.ts`): attention's
 * fused projection `[B, N, parts * H * dh]` to `parts` head-major tensors `[H * B, N, dh]`
 * (`TesseraSplitHeads`) and back (`TesseraMergeHeads`), one copy pass each. TF.js 4.22's wasm
 * backend does the same with a rank-4 `Transpose` and a `SplitV` (measured 3.6 + 8 ms for the MoCo v3
 * `tiny` qkv `[64, 65, 192]`), and their gradients with a `Concat` and another `Transpose`.
 * Each kernel is the other's gradient, so both differentiate to any order. Float32, `dh` a
 * multiple of 4 (`headsSimdApplies`).
 */
import * as tf from '@tensorflow/tfjs';
import { simdHeadsModule } from './simdHeadsCode.js';
import {
  memoryOffset,
  requireWasmExports,
  wasmModuleRuns,
  type WasmBackendLike,
} from './wasmBinding.js';

/** The kernels' names in the TF.js registry. */
export const SPLIT_HEADS_KERNEL = 'TesseraSplitHeads';
export const MERGE_HEADS_KERNEL = 'TesseraMergeHeads';

type Copy = (...args: number[]) => void;
interface Exports {
  readonly split: Copy;
  readonly merge: Copy;
}

/** Whether the kernels run for `dh`-wide heads on the active backend (wasm with SIMD, `dh % 4 = 0`). */
export const headsSimdApplies = (dh: number): boolean =>
  dh % 4 === 0 && wasmModuleRuns(simdHeadsModule);

/** One call of `split` or `merge` per part: `[B, N, parts*H*dh]` <-> `parts x [H*B, N, dh]`. */
const copyParts = (
  backend: unknown,
  which: keyof Exports,
  combined: tf.TensorInfo,
  parts: ReadonlyArray<tf.TensorInfo>,
  heads: number,
): void => {
  const wasm = requireWasmExports<Exports>(simdHeadsModule, backend, SPLIT_HEADS_KERNEL);
  const be = backend as WasmBackendLike;
  const [b, n, width] = combined.shape as [number, number, number];
  const blocks = parts.length * heads;
  const dh = width / blocks;
  if (!Number.isInteger(dh) || dh % 4 !== 0 || combined.dtype !== 'float32')
    throw new Error(
      `${SPLIT_HEADS_KERNEL}: expects float32 [B, N, parts * heads * dh] with dh a multiple of 4, got [${combined.shape}] ${combined.dtype} for ${parts.length} parts of ${heads} heads`,
    );
  parts.forEach((p, s) =>
    wasm[which](
      memoryOffset(be, combined),
      memoryOffset(be, p),
      b * n,
      blocks,
      s * heads,
      heads,
      4 * dh,
    ),
  );
};

const splitKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { parts, heads } = attrs as unknown as { parts: number; heads: number };
  const [b, n, width] = x.shape as [number, number, number];
  const be = backend as unknown as WasmBackendLike;
  const outs = Array.from({ length: parts }, () =>
    be.makeOutput([heads * b, n, width / (parts * heads)], 'float32'),
  );
  copyParts(backend, 'split', x, outs, heads);
  return outs;
};

const mergeKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { heads } = attrs as unknown as { heads: number };
  const parts = Object.keys(inputs)
    .sort((p, q) => Number(p.slice(1)) - Number(q.slice(1)))
    .map((k) => inputs[k]!);
  const [hb, n, dh] = parts[0]!.shape as [number, number, number];
  const out = (backend as unknown as WasmBackendLike).makeOutput(
    [hb / heads, n, parts.length * heads * dh],
    'float32',
  );
  copyParts(backend, 'merge', out, parts, heads);
  return out;
};

/** `x [B, N, parts*H*dh]` -> `parts` tensors `[H*B, N, dh]` (head-major), through the kernel. */
export const splitHeadsSimd = (x: tf.Tensor3D, parts: number, heads: number): tf.Tensor3D[] =>
  tf.engine().runKernel(SPLIT_HEADS_KERNEL, { x }, { parts, heads }) as unknown as tf.Tensor3D[];

/** `parts` tensors `[H*B, N, dh]` -> `[B, N, parts*H*dh]`, through the kernel. */
export const mergeHeadsSimd = (parts: ReadonlyArray<tf.Tensor3D>, heads: number): tf.Tensor3D =>
  tf.engine().runKernel(MERGE_HEADS_KERNEL, Object.fromEntries(parts.map((p, i) => [`p${i}`, p])), {
    heads,
    parts: parts.length,
  }) as tf.Tensor3D;

tf.registerKernel({ kernelName: SPLIT_HEADS_KERNEL, backendName: 'wasm', kernelFunc: splitKernel });
tf.registerKernel({ kernelName: MERGE_HEADS_KERNEL, backendName: 'wasm', kernelFunc: mergeKernel });

/** The parts' gradients; a part outside the back-propagated graph (null) contributes zeros. */
const partGradients = (dy: tf.Tensor | tf.Tensor[]): tf.Tensor3D[] => {
  const dys = (Array.isArray(dy) ? dy : [dy]) as Array<tf.Tensor | null>; // one part: a tensor
  const shape = dys.find((d) => d !== null)!.shape as [number, number, number];
  return dys.map((d): tf.Tensor3D => (d === null ? tf.zeros(shape) : (d as tf.Tensor3D)));
};

tf.registerGradient({
  kernelName: SPLIT_HEADS_KERNEL,
  gradFunc: (dy, _saved, attrs) => {
    const { heads } = attrs as unknown as { heads: number };
    return { x: () => mergeHeadsSimd(partGradients(dy), heads) };
  },
});
tf.registerGradient({
  kernelName: MERGE_HEADS_KERNEL,
  gradFunc: (dy, _saved, attrs) => {
    const { heads, parts } = attrs as unknown as { heads: number; parts: number };
    // split once, outside the per-input closures (each runs in its own tidy scope)
    const split = splitHeadsSimd(dy as tf.Tensor3D, parts, heads);
    return Object.fromEntries(split.map((g, i) => [`p${i}`, () => g]));
  },
});
