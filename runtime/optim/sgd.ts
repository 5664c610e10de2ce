/**
 * SGD with momentum (optionally Nesterov) and L2 weight decay, as `torch.optim.SGD`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Sgd } from '../../compiler/ir/optim.js';
import { evaluateSchedule } from '../../compiler/ir/schedule.js';
import type { UpdateRule } from './optimizer.js';

/**
 * SGD: `d = g + wd p` (decay only on parameters whose `decay` flag is set), then with momentum
 * `buf <- momentum buf + d` (the first step gives `buf = d`, torch's rule) and
 * `d = nesterov ? d + momentum buf : buf`; `p <- p - lr d`. Slot `buf`. The MoCo v3 linear
 * probe: SGD momentum 0.9, wd 0, cosine lr.
 * @see [1] torch.optim.SGD.
 */
export const sgdRule = (spec: Sgd): UpdateRule => ({
  slots: ['buf'],
  hyper: (t) => ({
    lr: evaluateSchedule(spec.lr, t),
    weightDecay: evaluateSchedule(spec.weightDecay, t),
  }),
  update: (a) => {
    let d: tf.Tensor =
      a.info.decay && a.hyper.weightDecay !== 0
        ? tf.add(a.grad, tf.mul(a.hyper.weightDecay, a.param))
        : a.grad;
    if (spec.momentum !== 0) {
      const buf = a.slots['buf']!;
      buf.assign(tf.add(tf.mul(spec.momentum, buf), d));
      d = spec.nesterov ? tf.add(d, tf.mul(spec.momentum, buf)) : buf;
    }
    a.param.assign(tf.sub(a.param, tf.mul(a.hyper.lr, d)));
  },
});
