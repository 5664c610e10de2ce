import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  matMul2d,
  matMulConst,
  matMulConstLeft,
  matMulT,
} from '../../../../compiler/lower/kernels/matmul.js';
import { useBackend } from '../../../../runtime/backend.js';
import { relError } from '../../../fixtures/fixture.js';

/** `[M, K, N]`: the right operand's gradient packs `a` when `N > K`, `dy` otherwise. */
type Dims = readonly [number, number, number];
const NARROW: Dims = [5, 4, 3];
const WIDE: Dims = [5, 3, 6];
const aOf = ([m, k] = NARROW): tf.Tensor2D =>
  tf.randomNormal([m, k], 0, 1, 'float32', 1) as tf.Tensor2D;
const bOf = ([, k, n] = NARROW): tf.Tensor2D =>
  tf.randomNormal([k, n], 0, 1, 'float32', 2) as tf.Tensor2D;
const wOf = ([m, , n] = NARROW): tf.Tensor2D =>
  tf.linspace(-1, 1, m * n).reshape([m, n]) as tf.Tensor2D;

const a = (): tf.Tensor2D => aOf();
const b = (): tf.Tensor2D => bOf();
const w = (): tf.Tensor2D => wOf();

/** Value and both gradients of sum(w * f(a, b)) on the active backend. */
const run = (f: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D, d = NARROW): Float32Array[] =>
  tf.tidy(() => {
    const [a, b, w] = [
      (): tf.Tensor2D => aOf(d),
      (): tf.Tensor2D => bOf(d),
      (): tf.Tensor2D => wOf(d),
    ];
    const loss = (x: tf.Tensor, y: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(w(), f(x as tf.Tensor2D, y as tf.Tensor2D)));
    const [ga, gb] = tf.grads(loss)([a(), b()]);
    return [
      f(a(), b()).dataSync() as Float32Array,
      ga!.dataSync() as Float32Array,
      gb!.dataSync() as Float32Array,
    ];
  });

describe('matmul kernels with plain-matmul gradients', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`match tf.matMul in value and gradients on ${backend}`, async () => {
      await useBackend(backend);
      const variants: Array<[string, (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D]> = [
        ['matMul2d', matMul2d],
        ['matMulT', (x, y) => matMulT(x, tf.transpose(y))],
      ];
      for (const dims of [NARROW, WIDE]) {
        const reference = run((x, y) => tf.matMul(x, y), dims);
        for (const [name, f] of variants) {
          const got = run(f, dims);
          for (let i = 0; i < 3; i++)
            expect(relError(got[i]!, reference[i]!), `${name} ${dims} ${i}`).toBeLessThan(1e-5);
        }
      }
      const want = run((x, y) => tf.matMul(x, y));
      // constant operands: only the other side gets a gradient, through the given transpose
      const gx = tf.tidy(() =>
        tf
          .grad((x: tf.Tensor) =>
            tf.sum(tf.mul(w(), matMulConst(x as tf.Tensor2D, b(), tf.transpose(b())))),
          )(a())
          .dataSync(),
      );
      expect(relError(gx, want[1]!)).toBeLessThan(1e-5);
      const gy = tf.tidy(() =>
        tf
          .grad((y: tf.Tensor) =>
            tf.sum(tf.mul(w(), matMulConstLeft(a(), tf.transpose(a()), y as tf.Tensor2D))),
          )(b())
          .dataSync(),
      );
      expect(relError(gy, want[2]!)).toBeLessThan(1e-5);
    });
  }

  it('keeps second-order gradients (R1 through a matMul2d discriminator) equal to tf.matMul', async () => {
    await useBackend('wasm');
    const x = tf.randomNormal([2, 4], 0, 1, 'float32', 3);
    const secondOrder = (mm: (p: tf.Tensor2D, q: tf.Tensor2D) => tf.Tensor2D): Float32Array =>
      tf.tidy(() => {
        const penalty = (wt: tf.Tensor): tf.Scalar =>
          tf.sum(
            tf.square(
              tf.grad((xx: tf.Tensor) =>
                tf.sum(tf.softplus(mm(xx as tf.Tensor2D, wt as tf.Tensor2D))),
              )(x),
            ),
          );
        return tf.grad(penalty)(b()).dataSync() as Float32Array;
      });
    expect(
      relError(
        secondOrder(matMul2d),
        secondOrder((p, q) => tf.matMul(p, q)),
      ),
    ).toBeLessThan(1e-5);
    x.dispose();
  });
});
