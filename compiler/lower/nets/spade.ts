/**
 * ST-STORM's SPADE residual block with learned softplus gates (methods.md 3.2, `SPADEResBlock`):
 * `x^ = IN(x)`; `(gamma_s, beta_s) = conv3x3(SiLU(conv3x3(map))) / sqrt(max(C/64, 1))`;
 * `(gamma_g, beta_g) = fc2(SiLU(fc1(token)))`; `gamma = 1 + sp(a_gs) gamma_s + sp(a_gg) gamma_g`,
 * `beta = sp(a_bs) beta_s + sp(a_bg) beta_g`; `out = x^ gamma + beta` (sp = softplus; the gates
 * start at softplus = 1). The token MLP's activation is not recorded in methods.md: SiLU here.
 */
import * as tf from '@tensorflow/tfjs';
import type { SpadeResBlock } from '../../ir/net.js';
import { applyConv, convSpecs } from './conv.js';
import { activate, applyLinear, applyNorm, linearSpecs } from './dense.js';
import { schemeInit } from './init.js';
import { param, port, under, type NetRule, type ParamSpec, type Scope } from './rule.js';

/** `a` with `softplus(a) = 1`: `ln(e - 1)`. */
export const GATE_INIT = Math.log(Math.E - 1);
const IN_EPS = 1e-5;
const same3 = { stride: 1, padding: 1, dilation: 1 } as const;

const half = (t: number): number => Math.floor(t / 2);

/** SPADE parameters on `c` channels: `map.conv1`, `map.conv2`, `token.fc1`, `token.fc2`, `gates` [4]. */
export const spadeSpecs = (c: number, m: number, t: number): ReadonlyArray<ParamSpec> => [
  ...under('map.conv1', convSpecs(3, m, m, { bias: true })),
  ...under('map.conv2', convSpecs(3, m, 2 * c, { bias: true })),
  ...under('token.fc1', linearSpecs(t, half(t), true, schemeInit('default', t, half(t)))),
  ...under('token.fc2', linearSpecs(half(t), 2 * c, true, schemeInit('default', half(t), 2 * c))),
  param('gates', [4], { kind: 'const', value: GATE_INIT }),
];

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

/** SpadeResBlock parameters (compiler/passes/shapes/README.md). */
export const spadeBlockSpecs = (n: Omit<SpadeResBlock, '_tag'>): ReadonlyArray<ParamSpec> => [
  ...under('spade1', spadeSpecs(n.in, n.mapChannels, n.tokenDim)),
  ...under('conv1', convSpecs(3, n.in, n.out, { bias: true })),
  ...under('spade2', spadeSpecs(n.out, n.mapChannels, n.tokenDim)),
  ...under('conv2', convSpecs(3, n.out, n.out, { bias: true })),
  ...(n.in !== n.out ? under('skip', convSpecs(1, n.in, n.out, { bias: false })) : []),
];

/** `conv2(ReLU(SPADE2(conv1(ReLU(SPADE1(x)))))) + skip(x)` (skip: 1x1 conv when in != out). */
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
  return tf.add(h2, skip);
};

/** `SpadeResBlock`: ports `x [B, h, w, in]`, `map [B, h, w, mapChannels]`, `token [B, tokenDim]` -> `[B, h, w, out]`. */
export const spadeResBlockRule: NetRule<SpadeResBlock> = {
  params: spadeBlockSpecs,
  apply: (n, s, i) => applySpadeBlock(s, n, port(i, 'x'), port(i, 'map'), port(i, 'token')),
};
