/**
 * VICReg-style regularisers (Style-JEPA's anti-collapse terms): the variance hinge and the
 * off-diagonal covariance penalty, over vector `[B, D]` or token `[B, S, D]` features (tokens are
 * flattened to `[B S, D]` samples, as RT-STORM's `P.reshape(B * S, D)`).
 */
import * as tf from '@tensorflow/tfjs';
import type { VicregCovariance, VicregVariance } from '../../ir/loss.js';
import { matMul2d } from '../kernels/matmul.js';
import { inputTensor, type LossKernel, type Lowered } from './context.js';

/** Features as `[N, D]` samples; a clear error for fewer than 2 samples (the variance is unbiased). */
const samples = (inputs: Readonly<Record<string, Lowered>>, tag: string): tf.Tensor2D => {
  const x = inputTensor(inputs, 'x', tag);
  if (x.rank < 2)
    throw new Error(`${tag}: expected [B, D] or [B, S, D] features, got [${x.shape.join(', ')}]`);
  const d = x.shape[x.rank - 1]!;
  const z = tf.reshape(x, [-1, d]) as tf.Tensor2D;
  if (z.shape[0] < 2) throw new Error(`${tag}: needs at least 2 samples, got ${z.shape[0]}`);
  return z;
};

/**
 * VICReg variance hinge `mean_d relu(gamma - sqrt(var_d + eps))`, `var_d` the unbiased variance
 * of dimension `d` over the samples (torch `Z.var(dim=0)`).
 * @see [0] Bardes, Ponce, LeCun. VICReg. ICLR 2022.
 * @see [1] Hamedkiri/RT-STORM-V2 `models/jepa.py` `_vicreg_var` (which adds eps to the std instead).
 */
export const vicregVarianceKernel: LossKernel<VicregVariance> = (loss, inputs) =>
  tf.tidy(() => {
    const z = samples(inputs, 'VicregVariance');
    const n = z.shape[0];
    const variance = tf.mul(tf.moments(z, 0).variance, n / (n - 1));
    return tf.mean(tf.relu(tf.sub(loss.gamma, tf.sqrt(tf.add(variance, loss.eps)))));
  });

/**
 * VICReg covariance penalty `sum_{i != j} C_ij^2 / D`, `C = Zc^T Zc / (N - 1)` the unbiased
 * covariance of the centred samples `[N, D]` (a 2-D transpose then a plain matmul).
 * @see [0] Bardes, Ponce, LeCun. VICReg. ICLR 2022 (`off_diagonal(cov).pow(2).sum() / D`).
 * @see [1] Hamedkiri/RT-STORM-V2 `models/jepa.py` `_vicreg_cov` (divides by `D (D - 1)` instead).
 */
export const vicregCovarianceKernel: LossKernel<VicregCovariance> = (_loss, inputs) =>
  tf.tidy(() => {
    const z = samples(inputs, 'VicregCovariance');
    const [n, d] = z.shape;
    const zc = tf.sub(z, tf.mean(z, 0, true)) as tf.Tensor2D;
    const cov = tf.div(matMul2d(tf.transpose(zc) as tf.Tensor2D, zc), n - 1);
    const offDiagonal = tf.mul(cov, tf.sub(1, tf.eye(d)));
    return tf.div(tf.sum(tf.square(offDiagonal)), d) as tf.Scalar;
  });
