/**
 * Binding tessera's own WebAssembly kernels to the TF.js wasm backend: a kernel module imports the
 * backend's memory (`asm.memory` in the single-threaded build, the shared `wasmMemory` in the
 * threaded one), so it reads and writes tensors in place. One instance per module and memory.
 */
import * as tf from '@tensorflow/tfjs';

/** The WebAssembly JS API (the project's TypeScript libs do not declare it). */
interface WasmApi {
  readonly Memory: abstract new (...args: never[]) => object;
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const WA = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

/** What the kernels use of the TF.js wasm backend's internals. */
export interface WasmBackendLike {
  /** The memory: exported as `asm.memory` (single-threaded build) or `wasmMemory` (threaded, shared). */
  readonly wasm?: { readonly asm?: { readonly memory?: object }; readonly wasmMemory?: object };
  readonly dataIdMap: { get(id: unknown): { readonly memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: unknown): boolean;
}

/** The memory of the wasm backend (plain or shared), its buffer as of now (it moves as memory grows). */
const memoryOf = (backend: WasmBackendLike): object | undefined =>
  backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;

/** Assembles a kernel module; `shared`: import a shared memory (the threaded build). */
export type ModuleSource = (shared: boolean) => Uint8Array;

const instances = new WeakMap<ModuleSource, WeakMap<object, unknown>>();

/**
 * The exports of the module `source` bound to `backend`'s memory (instantiated once per memory),
 * or null when it cannot run there (not the wasm backend, or no WebAssembly SIMD in this engine).
 */
export const wasmExportsFor = <E>(source: ModuleSource, backend: unknown): E | null => {
  const memory = memoryOf(backend as WasmBackendLike);
  if (!(memory instanceof WA.Memory)) return null;
  let perMemory = instances.get(source);
  if (perMemory === undefined) instances.set(source, (perMemory = new WeakMap()));
  let e = perMemory.get(memory) as E | null | undefined;
  if (e === undefined) {
    const { buffer } = memory as unknown as { readonly buffer: unknown };
    const shared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
    const bytes = source(shared);
    e = WA.validate(bytes)
      ? (new WA.Instance(new WA.Module(bytes), { env: { memory } }).exports as E)
      : null;
    perMemory.set(memory, e);
  }
  return e;
};

/** `wasmExportsFor`, or an error naming `kernel` when the module cannot run on `backend`. */
export const requireWasmExports = <E>(
  source: ModuleSource,
  backend: unknown,
  kernel: string,
): E => {
  const e = wasmExportsFor<E>(source, backend);
  if (e === null) throw new Error(`${kernel}: needs the wasm backend with WebAssembly SIMD`);
  return e;
};

/** Whether the module `source` runs on the active backend (wasm, its memory reachable, SIMD). */
export const wasmModuleRuns = (source: ModuleSource): boolean =>
  tf.getBackend() === 'wasm' && wasmExportsFor(source, tf.backend()) !== null;

/** Whether an element-wise kernel of `source` runs on `x` here: float32, size a multiple of 4. */
export const float32QuadsRun = (source: ModuleSource, x: tf.Tensor): boolean =>
  x.dtype === 'float32' && x.size % 4 === 0 && wasmModuleRuns(source);

/**
 * Throws unless every tensor is float32 with `size` (a multiple of 4) elements: what the
 * element-wise kernels, which go four floats at a time, accept.
 */
export const requireFloat32Quads = (kernel: string, ...tensors: tf.TensorInfo[]): number => {
  const size = tf.util.sizeFromShape(tensors[0]!.shape);
  const fits = (t: tf.TensorInfo) =>
    t.dtype === 'float32' && tf.util.sizeFromShape(t.shape) === size;
  if (size % 4 !== 0 || !tensors.every(fits))
    throw new Error(
      `${kernel}: expects float32 tensors of one size, a multiple of 4; got ${tensors.map((t) => `[${t.shape}] ${t.dtype}`).join(', ')}`,
    );
  return size;
};

/**
 * A float32 or int32 view of a tensor's data in the wasm backend's memory, for kernels written
 * in JS. Take it after every `makeOutput` (which may grow the memory and move its buffer).
 */
export const dataView = <A extends Float32ArrayConstructor | Int32ArrayConstructor>(
  backend: WasmBackendLike,
  t: tf.TensorInfo,
  kind: A,
): InstanceType<A> => {
  const { buffer } = memoryOf(backend) as { readonly buffer: ArrayBuffer };
  return new kind(
    buffer,
    memoryOffset(backend, t),
    tf.util.sizeFromShape(t.shape),
  ) as InstanceType<A>;
};

/** The byte offset of a tensor's data in the wasm backend's memory. */
export const memoryOffset = (backend: WasmBackendLike, t: tf.TensorInfo): number =>
  backend.dataIdMap.get(t.dataId)!.memoryOffset;
