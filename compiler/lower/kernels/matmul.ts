/**
 * 2-D matmul whose gradient avoids TF.js's slow wasm paths. TF.js differentiates
 * `matMul(a, b)` as `dA = matMul(dy, b, false, true)` and `dB = matMul(a, dy, true, false)`;
 * on wasm (TF.js 4.22, 512 x 512, measured here) a plain matMul takes ~18 ms, `transposeB` ~160-220 ms
 * and `transposeA` ~550-650 ms, so a backward pass costs 20-30x its forward. These versions
 * transpose explicitly (a 2-D transpose: tessera's copy kernel on wasm, `simdLayout.ts`) and run
 * plain matmuls in both directions.
 */
import * as tf from '@tensorflow/tfjs';
import { transposeFast } from './simdLayout.js';

/** The function type `tf.customGrad` takes (not exported by the union package). */
type CustomGradient = Parameters<typeof tf.customGrad>[0];

/**
 * `dB = a^T @ dy` for `a [M, K]`, `dy [M, N]` (M rows, typically batch x tokens, K and N small):
 * XNNPACK packs the right operand of every product it has not seen (a fresh gradient: every
 * time), so the product packs the smaller one. `(dy^T @ a)^T` when `N > K`: measured on wasm
 * (4160 x 64 x 256, fresh operands, medians of 9) 16 ms instead of 28; the same for `N <= K`.
 */
const rightGradient = (a: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D =>
  dy.shape[1] > a.shape[1]
    ? transposeFast(matMul2d(transposeFast(dy), a))
    : matMul2d(transposeFast(a), dy);

/**
 * `a @ b` for `a [M, K]`, `b [K, N]`, with gradients `dA = dy @ b^T`, `dB = a^T @ dy` computed as
 * explicit transposes followed by `matMul2d` itself, so gradients of gradients (R1) stay plain
 * products too. The one plain-product helper of the lowering (the wasm legalization's dense and
 * matmul rules use it).
 */
export const matMul2d = (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D =>
  tf.customGrad(((x: tf.Tensor2D, y: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => [
        matMul2d(dy, transposeFast(saved[1]! as tf.Tensor2D)),
        rightGradient(saved[0]! as tf.Tensor2D, dy),
      ],
    };
  }) as unknown as CustomGradient)(a, b) as tf.Tensor2D;

/**
 * `a @ b^T` for `a [M, K]`, `b [N, K]` (similarity matrices), as an explicit transpose then
 * `matMul2d`: never `transposeB`.
 */
export const matMulT = (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D =>
  matMul2d(a, transposeFast(b));

/**
 * `x @ m` for a constant matrix `m [K, N]` whose transpose `mT [N, K]` is already known (e.g. the
 * cached DFT matrices): the gradient `dx = dy @ mT` is one plain matmul, and none flows to `m`.
 */
export const matMulConst = (x: tf.Tensor2D, m: tf.Tensor2D, mT: tf.Tensor2D): tf.Tensor2D =>
  tf.customGrad(((input: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([mT]); // kept for the backward pass even when mT was made inside the forward scope
    return {
      value: tf.matMul(input, m),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.matMul(dy, saved[0]! as tf.Tensor2D),
    };
  }) as unknown as CustomGradient)(x) as tf.Tensor2D;

/**
 * `m @ x` for a constant matrix `m [M, K]` (e.g. one-hot position selectors) whose transpose
 * `mT [K, M]` is known: the gradient `dx = mT @ dy` is one plain matmul, and none flows to `m`.
 */
export const matMulConstLeft = (m: tf.Tensor2D, mT: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D =>
  tf.customGrad(((input: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([mT]);
    return {
      value: tf.matMul(m, input),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.matMul(saved[0]! as tf.Tensor2D, dy),
    };
  }) as unknown as CustomGradient)(x) as tf.Tensor2D;
