/**
 * tessera's WebAssembly SIMD batched matmul (`compiler/lower/kernels/simdMatmul.ts`) against the
 * `cpu` backend's `tf.matMul`: forward and both gradients, every transpose combination, and
 * column counts that exercise each path of the kernel (16-wide, 4-wide and scalar columns).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  batchMatMulSimd,
  simdMatmulAvailable,
} from '../../../../compiler/lower/kernels/simdMatmul.js';
import { simdMatmulModule } from '../../../../compiler/lower/kernels/simdMatmulCode.js';
import { sleb, uleb } from '../../../../compiler/lower/kernels/wasmAsm.js';
import { expectValidModule, onBackend, randn, relErr } from '../compare.js';

/** Forward value and the gradients of `sum(f(a, b) * probe)` w.r.t. `a` and `b`. */
const valueAndGrads = (
  f: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D,
  sa: number[],
  sb: number[],
): tf.Tensor[] => {
  const [a, b] = [randn(1, sa) as tf.Tensor3D, randn(2, sb) as tf.Tensor3D];
  const y = f(a, b);
  const probe = randn(3, y.shape);
  const grads = tf.grads((x: tf.Tensor, z: tf.Tensor) =>
    tf.sum(tf.mul(f(x as tf.Tensor3D, z as tf.Tensor3D), probe)),
  )([a, b]);
  return [y, ...grads];
};

describe('wasm assembler', () => {
  it('encodes LEB128 as the spec examples', () => {
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(0)).toEqual([0]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(-16)).toEqual([0x70]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
  });

  it('assembles a module the engine validates (plain and shared memory, for threads)', () => {
    expect(() => expectValidModule(simdMatmulModule)).not.toThrow();
  });
});

describe('SIMD batched matmul (wasm) vs cpu tf.matMul', () => {
  it('runs on the wasm backend here', async () => {
    expect(await onBackend('wasm', () => [tf.scalar(simdMatmulAvailable() ? 1 : 0)])).toEqual([
      new Float32Array([1]),
    ]);
  });

  const shapes = [
    { g: 3, m: 5, k: 7, n: 19 }, // 16 + scalar tail
    { g: 2, m: 4, k: 3, n: 16 }, // 16 only
    { g: 2, m: 6, k: 9, n: 22 }, // 16 + 4 + scalar
    { g: 4, m: 1, k: 1, n: 3 }, // scalar only
    { g: 8, m: 13, k: 4, n: 13 }, // attention-like: n = m, small k
  ];
  for (const { g, m, k, n } of shapes) {
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      it(`g ${g} m ${m} k ${k} n ${n}, transposeA=${ta} transposeB=${tb}: forward and both gradients within 1e-5`, async () => {
        const sa = ta ? [g, k, m] : [g, m, k];
        const sb = tb ? [g, n, k] : [g, k, n];
        const ref = await onBackend('cpu', () =>
          valueAndGrads((a, b) => tf.matMul(a, b, ta, tb), sa, sb),
        );
        const got = await onBackend('wasm', () =>
          valueAndGrads((a, b) => batchMatMulSimd(a, b, ta, tb), sa, sb),
        );
        expect(got.map((x) => x.length)).toEqual(ref.map((x) => x.length));
        for (const [i, x] of got.entries()) expect(relErr(x, ref[i]!)).toBeLessThanOrEqual(1e-5);
      });
    }
  }

  it('rejects mismatched batches with the shapes in the message', async () => {
    await expect(
      onBackend('wasm', () => [
        batchMatMulSimd(tf.zeros([2, 3, 4]) as tf.Tensor3D, tf.zeros([3, 4, 5]) as tf.Tensor3D),
      ]),
    ).rejects.toThrow(
      /TesseraBatchMatMul: expects float32 \[g, m, k\] and \[g, k, n\] with the same g, got \[2,3,4\] float32 and \[3,4,5\] float32/,
    );
  });
});
