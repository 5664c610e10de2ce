/**
 * Regression loss kernels: smooth-L1 (I-JEPA), L1, L2, ST-STORM's token L1 and Style-JEPA's
 * masked, per-scale weighted token L2. All are means, as in the reference code.
 */
import * as tf from '@tensorflow/tfjs';
import type { L1, L2, MaskedTokenL2, SmoothL1, TokenL1 } from '../../ir/loss.js';
import { inputTensor, l2Norm, type LossKernel, type Lowered } from './context.js';

/** `pred`, `target` of a loss, with a clear error when their shapes differ. */
const pair = (inputs: Readonly<Record<string, Lowered>>, tag: string): [tf.Tensor, tf.Tensor] => {
  const p = inputTensor(inputs, 'pred', tag);
  const t = inputTensor(inputs, 'target', tag);
  if (p.shape.join() !== t.shape.join()) {
    throw new Error(
      `${tag}: pred [${p.shape.join(', ')}] and target [${t.shape.join(', ')}] differ in shape`,
    );
  }
  return [p, t];
};

/**
 * Huber / smooth-L1 with threshold `beta` (torch `F.smooth_l1_loss`): per element
 * `0.5 d^2 / beta` where `|d| < beta`, else `|d| - 0.5 beta`; `beta = 0` is L1. Mean over all
 * elements. I-JEPA: `beta = 1` on `[B, K, D]` predicted vs LayerNorm'd target tokens.
 * @see [0] Assran et al. Self-Supervised Learning from Images with a JEPA. CVPR 2023.
 * @see [1] facebookresearch/ijepa `src/train.py` (`F.smooth_l1_loss`).
 */
export const smoothL1Kernel: LossKernel<SmoothL1> = (loss, inputs) =>
  tf.tidy(() => {
    const [p, t] = pair(inputs, 'SmoothL1');
    const d = tf.abs(tf.sub(p, t));
    if (loss.beta <= 0) return tf.mean(d);
    // 0.5 min(d, beta)^2 / beta + (d - min(d, beta)): the two branches without a comparison op,
    // which would have no gradient in TF.js
    const small = tf.minimum(d, loss.beta);
    return tf.mean(tf.add(tf.div(tf.mul(0.5, tf.square(small)), loss.beta), tf.sub(d, small)));
  });

/** Mean absolute error over all elements, any shape. */
export const l1Kernel: LossKernel<L1> = (_loss, inputs) =>
  tf.tidy(() => {
    const [p, t] = pair(inputs, 'L1');
    return tf.mean(tf.abs(tf.sub(p, t)));
  });

/** Mean squared error over all elements, any shape. */
export const l2Kernel: LossKernel<L2> = (_loss, inputs) =>
  tf.tidy(() => {
    const [p, t] = pair(inputs, 'L2');
    return tf.mean(tf.square(tf.sub(p, t)));
  });

/**
 * ST-STORM's style token loss `L1(tok_0) + mean_{s >= 1} L1(tok_s)` on tokens `[B, S, D]`:
 * token 0 (the global token) weighted 1, the mean over the per-level tokens weighted 1; each L1 is
 * a mean over `[B, D]`. With `S = 1` only the global term remains.
 * @see [1] Hamedkiri/RT-STORM-V2 `helpers.py` `style_loss_tokens`.
 */
export const tokenL1Kernel: LossKernel<TokenL1> = (_loss, inputs) =>
  tf.tidy(() => {
    const [p, t] = pair(inputs, 'TokenL1');
    if (p.rank !== 3)
      throw new Error(`TokenL1: expected tokens [B, S, D], got [${p.shape.join(', ')}]`);
    const [b, s, d] = p.shape as [number, number, number];
    const diff = tf.abs(tf.sub(p, t));
    const global = tf.mean(tf.slice(diff, [0, 0, 0], [b, 1, d]));
    return (
      s > 1 ? tf.add(global, tf.mean(tf.slice(diff, [0, 1, 0], [b, s - 1, d]))) : global
    ) as tf.Scalar;
  });

/**
 * Style-JEPA's loss: `mean over masked (b, s) of w_s * mean_d (pred - norm(target))^2`, with
 * `norm(y) = y / (|y|_2 + 1e-6)` over D (RT-STORM `TokenJEPA._l2n`). The mask is `[B, S]` 0/1
 * (a float mask weights rows); no masked position gives 0.
 *
 * @param pred `[B, S, D]` predictor output; target `[B, S, D]` teacher tokens; mask `[B, S]`
 * @see [1] Hamedkiri/RT-STORM-V2 `models/jepa.py` `TokenJEPA.forward` (`loss_mse`).
 */
export const maskedTokenL2Kernel: LossKernel<MaskedTokenL2> = (loss, inputs) =>
  tf.tidy(() => {
    const [p, t] = pair(inputs, 'MaskedTokenL2');
    const mask = inputTensor(inputs, 'mask', 'MaskedTokenL2').toFloat();
    const [b, s] = p.shape as [number, number, number];
    if (mask.shape.join() !== [b, s].join()) {
      throw new Error(
        `MaskedTokenL2: mask [${mask.shape.join(', ')}] does not match tokens [${p.shape.join(', ')}]`,
      );
    }
    if (loss.weights.length !== s) {
      throw new Error(`MaskedTokenL2: ${loss.weights.length} weights for ${s} tokens`);
    }
    const y = tf.div(t, tf.add(l2Norm(t, 2), 1e-6));
    const perToken = tf.mean(tf.square(tf.sub(p, y)), 2); // [B, S]
    const weighted = tf.mul(perToken, tf.tensor1d(loss.weights as number[]));
    const count = tf.sum(mask);
    return tf.div(tf.sum(tf.mul(weighted, mask)), tf.maximum(count, 1e-12)) as tf.Scalar;
  });
