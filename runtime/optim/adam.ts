/**
 * Adam and AdamW (decoupled weight decay), as `torch.optim.Adam` / `torch.optim.AdamW`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam, AdamW } from '../../compiler/ir/optim.js';
import { evaluateSchedule } from '../../compiler/ir/schedule.js';
import { adamSimd, updatesSimdApply } from '../../compiler/lower/kernels/simdUpdates.js';
import type { UpdateArgs, UpdateRule } from './optimizer.js';

/**
 * The Adam moment update and step `p <- p decay - lr m_hat / (sqrt(v_hat) + eps)` (`decay`: AdamW's
 * `1 - lr wd`, or 1). On wasm one SIMD kernel per parameter (`TesseraAdam`: the same floats as the
 * element-wise ops below, in one dispatch instead of ~15).
 */
const adamStep = (
  a: UpdateArgs,
  decay: number,
  betas: readonly [number, number],
  eps: number,
): void => {
  const [b1, b2] = betas;
  const [m, v] = [a.slots['m']!, a.slots['v']!];
  if (updatesSimdApply(a.param)) {
    const scalars = {
      decay,
      beta1: b1,
      beta2: b2,
      correction1: 1 - b1 ** a.step,
      correction2: 1 - b2 ** a.step,
      lr: a.hyper.lr,
      eps,
    };
    const [p2, m2, v2] = adamSimd({ p: a.param, g: a.grad, m, v }, scalars);
    m.assign(m2);
    v.assign(v2);
    a.param.assign(p2);
    return;
  }
  const from = decay === 1 ? a.param : tf.mul(a.param, decay);
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
    adamStep(a, decays ? 1 - a.hyper.lr * a.hyper.weightDecay : 1, spec.betas, spec.eps);
  },
});

/**
 * Adam without weight decay (ST-STORM generators: lr 2e-4, betas (0.5, 0.999)). Slots `m`, `v`.
 * @see [0] Kingma, Ba. Adam: A Method for Stochastic Optimization. ICLR 2015.
 */
export const adamRule = (spec: Adam): UpdateRule => ({
  slots: ['m', 'v'],
  hyper: (t) => ({ lr: evaluateSchedule(spec.lr, t), weightDecay: 0 }),
  update: (a) => adamStep(a, 1, spec.betas, spec.eps),
});
