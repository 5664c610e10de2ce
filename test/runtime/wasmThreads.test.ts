/**
 * The wasm backend on every core (`runtime/wasmThreads.ts`): `TESSERA_THREADS` is parsed strictly,
 * and a threaded backend trains bit for bit as the single-threaded one (XNNPACK splits outputs,
 * never a sum, between threads). Each thread count runs in its own process: the count is fixed
 * when the backend first initialises.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { requestedWasmThreads } from '../../runtime/wasmThreads.js';

const root = path.resolve(import.meta.dirname, '../..');

interface Probe {
  readonly threads: number;
  readonly simd: boolean;
  readonly losses: ReadonlyArray<number>;
  readonly weights: string;
}

/** Runs the probe (3 MoCo v3 tiny steps) with `threads` threads in a fresh Node process. */
const probe = (threads: string): Probe => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'test/runtime/fixtures/threadsProbe.ts')],
    { cwd: root, env: { ...process.env, TESSERA_THREADS: threads }, encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as Probe;
};

describe('wasm threads', () => {
  const saved = process.env.TESSERA_THREADS;
  afterEach(() => {
    if (saved === undefined) delete process.env.TESSERA_THREADS;
    else process.env.TESSERA_THREADS = saved;
  });

  test('TESSERA_THREADS: unset means one thread; bad values are refused with a hint', () => {
    delete process.env.TESSERA_THREADS;
    expect(requestedWasmThreads()).toBe(1);
    process.env.TESSERA_THREADS = '2';
    expect(requestedWasmThreads()).toBe(2);
    for (const bad of ['0', '5', '1.5', 'two', '-1']) {
      process.env.TESSERA_THREADS = bad;
      expect(() => requestedWasmThreads()).toThrow(
        /TESSERA_THREADS must be an integer from 1 to 4.*\n.*hint/s,
      );
    }
  });

  test("2 threads run two XNNPACK threads and tessera's SIMD kernel, and train bit-identically to 1 thread", () => {
    const one = probe('1');
    const two = probe('2');
    expect([one.threads, two.threads]).toEqual([1, 2]);
    expect([one.simd, two.simd]).toEqual([true, true]); // the kernel imports the shared memory too
    expect(one.losses.every(Number.isFinite)).toBe(true);
    expect(two.losses).toEqual(one.losses);
    expect(two.weights).toBe(one.weights);
  });
});
