/**
 * ST-STORM's SPADE residual block with learned softplus gates (methods.md 3.2, `SPADEResBlock`):
 * `x^ = IN(x)`; `(gamma_s, beta_s) = conv3x3(SiLU(conv3x3(map))) / sqrt(max(C/64, 1))`;
 * `(gamma_g, beta_g) = fc2(SiLU(fc1(token)))`; `gamma = 1 + sp(a_gs) gamma_s + sp(a_gg) gamma_g`,
 * `beta = sp(a_bs) beta_s + sp(a_bg) beta_g`; `out = x^ gamma + beta` (sp = softplus; the gates
 * start at softplus = 1). The map branch and the token MLP are `hidden` wide, both with SiLU
 * (RT-STORM `models/backbone.py` `SPADELayer`, `hidden=128`).
 */
import * as tf from '@tensorflow/tfjs';
import type { SpadeResBlock } from '../../ir/net.js';
import { applyConv } from './conv.js';
import { activate, applyLinear, applyNorm } from './dense.js';
import { port, type NetRule, type Scope } from './rule.js';

const IN_EPS = 1e-5;
const same3 = { stride: 1, padding: 1, dilation: 1 } as const;

/** One SPADE layer: `x [B, h, w, C]`, `map [B, h, w, m]`, `token [B, t]` -> `[B, h, w, C]`. */
export const applySpade = (s: Scope, x: tf.Tensor, map: tf.Tensor, token: tf.Tensor): tf.Tensor => {
  const c = x.shape[3]!;
  const xn = applyNorm(s, 'instance', x, false, IN_EPS);
  const hidden = activate('silu', applyConv(s.at('map.conv1'), map, same3, { bias: true }));
  const sp = tf.mul(
    applyConv(s.at('map.conv2'), hidden, same3, { bias: true }),
    1 / Math.sqrt(Math.max(c / 64, 1)),
  );
  const tk = applyLinear(
    s.at('token.fc2'),
    activate('silu', applyLinear(s.at('token.fc1'), token, true)),
    true,
  ).reshape([-1, 1, 1, 2 * c]);
  const [gs, bs] = tf.split(sp, 2, 3) as [tf.Tensor, tf.Tensor];
  const [gg, bg] = tf.split(tk, 2, 3) as [tf.Tensor, tf.Tensor];
  const a = tf.unstack(tf.softplus(s.param('gates'))) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
  const gamma = tf.add(1, tf.add(tf.mul(a[0], gs), tf.mul(a[1], gg)));
  const beta = tf.add(tf.mul(a[2], bs), tf.mul(a[3], bg));
  return tf.add(tf.mul(xn, gamma), beta);
};

/**
 * `conv2(ReLU(SPADE2(conv1(ReLU(SPADE1(x)))))) + skip(x)` (skip: 1x1 conv when in != out), then a
 * ReLU when `n.relu` (RT-STORM `models/backbone.py` `SPADEResBlock.forward`).
 */
export const applySpadeBlock = (
  s: Scope,
  n: Omit<SpadeResBlock, '_tag'>,
  x: tf.Tensor,
  map: tf.Tensor,
  token: tf.Tensor,
): tf.Tensor => {
  const h1 = applyConv(s.at('conv1'), tf.relu(applySpade(s.at('spade1'), x, map, token)), same3, {
    bias: true,
  });
  const h2 = applyConv(s.at('conv2'), tf.relu(applySpade(s.at('spade2'), h1, map, token)), same3, {
    bias: true,
  });
  const skip =
    n.in !== n.out
      ? applyConv(s.at('skip'), x, { stride: 1, padding: 0, dilation: 1 }, { bias: false })
      : x;
  const sum = tf.add(h2, skip);
  return n.relu ? tf.relu(sum) : sum;
};

/** `SpadeResBlock`: ports `x [B, h, w, in]`, `map [B, h, w, mapChannels]`, `token [B, tokenDim]` -> `[B, h, w, out]`. */
export const spadeResBlockRule: NetRule<SpadeResBlock> = {
  apply: (n, s, i) => applySpadeBlock(s, n, port(i, 'x'), port(i, 'map'), port(i, 'token')),
};
