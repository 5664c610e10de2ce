/**
 * Adam and AdamW (decoupled weight decay), as `torch.optim.Adam` / `torch.optim.AdamW`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam, AdamW } from '../../compiler/ir/optim.js';
import { evaluateSchedule } from '../../compiler/ir/schedule.js';
import type { UpdateArgs, UpdateRule } from './optimizer.js';

/** The Adam moment update and step `p -= lr m_hat / (sqrt(v_hat) + eps)` on `from` (the decayed parameter). */
const adamStep = (
  a: UpdateArgs,
  from: tf.Tensor,
  betas: readonly [number, number],
  eps: number,
): void => {
  const [b1, b2] = betas;
  const [m, v] = [a.slots['m']!, a.slots['v']!];
  m.assign(tf.add(tf.mul(b1, m), tf.mul(1 - b1, a.grad)));
  v.assign(tf.add(tf.mul(b2, v), tf.mul(1 - b2, tf.square(a.grad))));
  const mHat = tf.div(m, 1 - b1 ** a.step);
  const vHat = tf.div(v, 1 - b2 ** a.step);
  a.param.assign(tf.sub(from, tf.mul(a.hyper.lr, tf.div(mHat, tf.add(tf.sqrt(vHat), eps)))));
};

/**
 * AdamW: `p <- p (1 - lr wd)` (decoupled decay, on every parameter when `decayAll`, else only on
 * parameters whose `decay` flag is set: biases and 1-D parameters are excluded), then the Adam
 * step. `lr` and `weightDecay` are schedules evaluated at the step's progress. Slots `m`, `v`.
 * MoCo v3 ViT: lr 1.5e-4 x B/256 warmup-cosine, wd 0.1, decayAll; I-JEPA: wd cosine 0.04 -> 0.4,
 * decayAll false.
 * @see [0] Loshchilov, Hutter. Decoupled Weight Decay Regularization. ICLR 2019.
 * @see [1] torch.optim.AdamW.
 */
export const adamwRule = (spec: AdamW): UpdateRule => ({
  slots: ['m', 'v'],
  hyper: (t) => ({
    lr: evaluateSchedule(spec.lr, t),
    weightDecay: evaluateSchedule(spec.weightDecay, t),
  }),
  update: (a) => {
    const decays = spec.decayAll || a.info.decay;
    const from = decays ? tf.mul(a.param, 1 - a.hyper.lr * a.hyper.weightDecay) : a.param;
    adamStep(a, from, spec.betas, spec.eps);
  },
});

/**
 * Adam without weight decay (ST-STORM generators: lr 2e-4, betas (0.5, 0.999)). Slots `m`, `v`.
 * @see [0] Kingma, Ba. Adam: A Method for Stochastic Optimization. ICLR 2015.
 */
export const adamRule = (spec: Adam): UpdateRule => ({
  slots: ['m', 'v'],
  hyper: (t) => ({ lr: evaluateSchedule(spec.lr, t), weightDecay: 0 }),
  update: (a) => adamStep(a, a.param, spec.betas, spec.eps),
});
