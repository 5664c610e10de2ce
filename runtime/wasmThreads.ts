/**
 * Several cores for the `wasm` backend in Node (opt-in: `TESSERA_THREADS=N`).
 *
 * `@tensorflow/tfjs-backend-wasm` ships a threaded SIMD build (XNNPACK over a pthread pool) but
 * never starts it in Node (tensorflow/tfjs#3830), for three reasons this module bridges and nothing
 * else:
 * 1. its `WASM_HAS_MULTITHREAD_SUPPORT` flag answers `false` whenever it runs in Node;
 * 2. it hands Emscripten the pthread worker script and the module factory as `Blob` URLs, which
 *    Node's `worker_threads` cannot load: here both texts are written to files (once per version,
 *    in the temp folder) and the worker reads the factory from its file. The factory's text refers
 *    to the bundle's `require$$N` module variables, which the file defines as the bundle does;
 * 3. its pool is sized from logical cores / 2 (it assumes two hyper-threads per core): `os.cpus`
 *    reports twice the requested threads while the backend initialises.
 *
 * XNNPACK splits each operation's output between threads, never a sum, and tessera's SIMD batched
 * product (`compiler/lower/kernels/simdMatmul.ts`) imports the shared memory of the threaded build,
 * so results are bit-identical to one thread (`test/runtime/wasmThreads.test.ts`). Opt-in
 * (`TESSERA_THREADS`): measured on the 2-core machine, a 512^3 matMul runs 1.5-1.9x faster on 2 threads, but the MoCo v3 `tiny` step (small
 * convolutions and many element-wise kernels) only 0-15% faster on a quiet machine and slower when
 * other jobs share the cores (README, "Backends").
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';

/** The backend versions this bridge was written for and tested with (see the module header). */
const TESTED_VERSION = /^4\.22\./;
/** tfjs-backend-wasm caps its pool at 4 threads. */
const MAX_THREADS = 4;
const FACTORY_PREFIX = 'var WasmBackendModuleThreadedSimd';
const WORKER_PREFIX = '"use strict";var Module={}';

const require = createRequire(import.meta.url);

/**
 * Threads the `wasm` backend will use: `TESSERA_THREADS` when set, else 1 (the single-threaded
 * build; see the module header for why that is the default).
 */
export const requestedWasmThreads = (): number => {
  const raw = process.env.TESSERA_THREADS;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(
      `TESSERA_THREADS must be an integer from 1 to ${MAX_THREADS}, got "${raw}"\n` +
        `hint: TESSERA_THREADS=${Math.min(MAX_THREADS, os.availableParallelism())} uses every core of this machine; unset it for one thread`,
    );
  }
  return n;
};

interface WasmPackage {
  readonly version: string;
  readonly bundle: string;
}

const wasmPackage = (): WasmPackage => {
  const bundle = require.resolve('@tensorflow/tfjs-backend-wasm');
  const pkg = JSON.parse(readFileSync(join(dirname(bundle), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return { version: pkg.version, bundle };
};

/** `var require$$0 = require('fs');` ... as the bundle declares them, and its `commonjsGlobal`. */
const bundleModuleVariables = (bundle: string): string => {
  const lines = readFileSync(bundle, 'utf8').match(/^var require\$\$\d+ = require\('[^']+'\);$/gm);
  return `${(lines ?? []).join('\n')}\nvar commonjsGlobal = globalThis;\n`;
};

/** Writes `text` to `file` unless it is there already (atomic: a temp file, then a rename). */
const writeOnce = (file: string, text: string): string => {
  try {
    if (readFileSync(file, 'utf8') === text) return file;
  } catch {
    // not written yet
  }
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
  return file;
};

/** A hook around the backend's initialisation; `restore` undoes what must not outlive it. */
interface Bridge {
  readonly restore: () => void;
}

/**
 * Installs the three bridges for `threads` threads; returns how to take down the temporary ones
 * (the `Blob` recorder and the `os.cpus` report) once the backend has initialised.
 */
const installBridge = (threads: number, pkg: WasmPackage): Bridge => {
  const folder = join(
    os.tmpdir(),
    `tessera-wasm-threads-${pkg.version}-${createHash('sha256').update(pkg.bundle).digest('hex').slice(0, 8)}`,
  );
  mkdirSync(folder, { recursive: true });
  const moduleVariables = bundleModuleVariables(pkg.bundle);
  const factoryFile = join(folder, 'factory.js');
  const texts = new WeakMap<Blob, string>();

  const NativeBlob = globalThis.Blob;
  class RecordingBlob extends NativeBlob {
    constructor(...args: ConstructorParameters<typeof NativeBlob>) {
      super(...args);
      const parts = args[0] ?? [];
      if (!parts.every((p) => typeof p === 'string')) return;
      const text = parts.join('');
      texts.set(this, text);
      if (text.startsWith(FACTORY_PREFIX)) writeOnce(factoryFile, moduleVariables + text);
    }
  }
  globalThis.Blob = RecordingBlob;

  const nativeCreateObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob: Blob): string => {
    const text = texts.get(blob);
    if (text === undefined || !text.startsWith(WORKER_PREFIX)) return nativeCreateObjectURL(blob);
    // The worker receives the factory as a Blob and asks for its URL: it is the file.
    const redirect = `URL.createObjectURL=()=>${JSON.stringify(factoryFile)};URL.revokeObjectURL=()=>{};\n`;
    return writeOnce(join(folder, 'worker.js'), redirect + text);
  };

  const nativeCpus = os.cpus;
  os.cpus = () => Array.from({ length: 2 * threads }, () => nativeCpus()[0]!);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  return {
    restore: () => {
      globalThis.Blob = NativeBlob;
      os.cpus = nativeCpus;
    },
  };
};

/** Emscripten's pthread workers, as the threaded module exposes them. */
interface PThreads {
  readonly unusedWorkers: ReadonlyArray<{ unref(): void }>;
  readonly runningWorkers: ReadonlyArray<{ unref(): void }>;
}

/**
 * Lets Node exit while the pool's workers live: XNNPACK's calls return only when every thread is
 * done, so no work is pending in them once the main thread has nothing left to do.
 */
const unrefWorkers = (): void => {
  const pthreads = (tf.backend() as { wasm?: { PThread?: PThreads } }).wasm?.PThread;
  for (const w of [...(pthreads?.unusedWorkers ?? []), ...(pthreads?.runningWorkers ?? [])])
    w.unref();
};

/**
 * Initialises the `wasm` backend with `requestedWasmThreads()` threads (the single-threaded build
 * when 1, or when the installed backend is not the version this bridge was tested with, with a
 * note on stderr). `getThreadsCount()` then tells how many threads XNNPACK runs.
 */
export const initWasmBackend = async (): Promise<void> => {
  const threads = requestedWasmThreads();
  const pkg = wasmPackage();
  const bridged = threads > 1 && TESTED_VERSION.test(pkg.version);
  if (threads > 1 && !bridged) {
    process.stderr.write(
      `note: @tensorflow/tfjs-backend-wasm ${pkg.version} is not the version tessera's thread bridge was tested with (4.22); using one thread\n`,
    );
  }
  const bridge = bridged ? installBridge(threads, pkg) : undefined;
  try {
    if (!(await tf.setBackend('wasm')))
      throw new Error('TF.js backend "wasm" failed to initialise');
    await tf.ready();
  } finally {
    bridge?.restore();
  }
  if (bridged) unrefWorkers();
};
