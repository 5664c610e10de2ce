/**
 * ST-STORM's discriminator: a PatchGAN (pix2pix) with optional spectral norm on every conv.
 */
import * as tf from '@tensorflow/tfjs';
import type { PatchGan } from '../../ir/net.js';
import { applyConv } from './conv.js';
import { applyNorm } from './dense.js';
import { port, type NetRule } from './rule.js';

const IN_EPS = 1e-5;

/**
 * `PatchGan`: conv4 s2 p1 -> ndf, LeakyReLU 0.2 (as two ReLUs, twice differentiable); (layers - 1) x (conv4 s2 p1 -> IN (no affine) ->
 * LeakyReLU 0.2); conv4 s1 p1 -> 1. `image [B, H, W, in] -> [B, H/2^layers - 1, ..., 1]` (raw scores).
 */
export const patchGanRule: NetRule<PatchGan> = {
  apply: (n, s, i) => {
    let h = port(i, 'x');
    for (let l = 0; l <= n.layers; l++) {
      const last = l === n.layers;
      h = applyConv(
        s.at(`convs.${l}`),
        h,
        { stride: last ? 1 : 2, padding: 1, dilation: 1 },
        { bias: true, spectralNorm: n.spectralNorm },
      );
      if (last) break;
      if (l > 0) h = applyNorm(s, 'instance', h, false, IN_EPS);
      // relu(h) - 0.2 relu(-h), not tf.leakyRelu: its gradient uses `greater`, which has no
      // gradient, so R1's second-order gradient through the discriminator would fail
      h = tf.sub(tf.relu(h), tf.mul(0.2, tf.relu(tf.neg(h))));
    }
    return h;
  },
};
