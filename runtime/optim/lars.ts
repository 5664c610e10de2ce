/**
 * LARS in MoCo v3's form (`moco/optimizer.py`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Lars } from '../../compiler/ir/optim.js';
import { evaluateSchedule } from '../../compiler/ir/schedule.js';
import type { UpdateRule } from './optimizer.js';

/**
 * LARS: for parameters with ndim > 1, `u = g + wd p` scaled by the trust ratio
 * `trust |p| / |u|` (1 when either norm is 0); parameters with ndim <= 1 (biases, norm scales)
 * use the raw gradient (no decay, no trust ratio). Then `mu <- momentum mu + u`, `p <- p - lr mu`.
 * Slot `mu`. MoCo v3 R-50: lr 0.6 x B/256 warmup-cosine, wd 1e-6, momentum 0.9, trust 0.001.
 * @see [0] You, Gitman, Ginsburg. Large Batch Training of Convolutional Networks. 2017.
 * @see [1] facebookresearch/moco-v3 `moco/optimizer.py` `LARS.step`.
 */
export const larsRule = (spec: Lars): UpdateRule => ({
  slots: ['mu'],
  hyper: (t) => ({
    lr: evaluateSchedule(spec.lr, t),
    weightDecay: evaluateSchedule(spec.weightDecay, t),
  }),
  update: (a) => {
    let u: tf.Tensor = a.grad;
    if (a.info.shape.length > 1) {
      const decayed = tf.add(a.grad, tf.mul(a.hyper.weightDecay, a.param));
      // sqrt(sum(x^2)): tf.norm is ~30x slower on wasm
      const pNorm = tf.sqrt(tf.sum(tf.square(a.param)));
      const uNorm = tf.sqrt(tf.sum(tf.square(decayed)));
      const ok = tf.logicalAnd(tf.greater(pNorm, 0), tf.greater(uNorm, 0));
      const ratio = tf.where(ok, tf.div(tf.mul(spec.trust, pNorm), uNorm), tf.onesLike(pNorm));
      u = tf.mul(decayed, ratio);
    }
    const mu = a.slots['mu']!;
    mu.assign(tf.add(tf.mul(spec.momentum, mu), u));
    a.param.assign(tf.sub(a.param, tf.mul(a.hyper.lr, mu)));
  },
});
