/**
 * Predictors and heads: I-JEPA's transformer predictor (methods.md 2.2), ST-STORM's Style-JEPA
 * token predictor (methods.md 3.5) and fusion head (methods.md 3.2).
 */
import * as tf from '@tensorflow/tfjs';
import type { FusionHead, TokenPredictor, TransformerPredictor } from '../../ir/net.js';
import { activate, applyLinear, applyNorm, gelu } from './dense.js';
import { l2NormalizeRule } from './structural.js';
import { applyAttention, applyBlock, sincos2d } from './transformer.js';
import { port, type NetRule } from './rule.js';
import { gatherRowsFast } from '../kernels/simdLayout.js';

/** I-JEPA LayerNorm eps. */
const JEPA_EPS = 1e-6;
/** PyTorch LayerNorm default eps. */
const TORCH_EPS = 1e-5;

const predBlock = (n: TransformerPredictor) => ({
  dim: n.dim,
  heads: n.heads,
  mlpRatio: n.mlpRatio,
  qkvBias: true,
  eps: JEPA_EPS,
});

/** Rows of the fixed position table `[gh*gw, dim]` at `index` (any shape) -> `[...index, dim]` (a constant). */
const positionsAt = (n: TransformerPredictor, index: tf.Tensor): tf.Tensor => {
  const [gh, gw] = n.grid;
  const table = tf.tensor2d(sincos2d(gh, gw, n.dim, false), [gh * gw, n.dim]);
  return gatherRowsFast(table, index);
};

/**
 * `TransformerPredictor` (I-JEPA): embed context tokens to `dim`, add their positions, repeat per
 * target block, append mask tokens (learned vector + target positions), run the blocks (each
 * target block is its own batch element), LayerNorm, keep the mask-token outputs, project back.
 * `x [B, Kc, inDim]`, `context [B, Kc]`, `targets [T, B, Kt]` -> `[T*B, Kt, inDim]` (target-major).
 */
export const transformerPredictorRule: NetRule<TransformerPredictor> = {
  apply: (n, s, i) => {
    const targets = port(i, 'targets');
    const [t, , kt] = targets.shape as [number, number, number];
    const z = tf.add(
      applyLinear(s.at('embed'), port(i, 'x'), true),
      positionsAt(n, port(i, 'context')),
    );
    // [T*B, Kc, dim] by concat: TF.js 4.22 wasm `Tile` took 4.3 ms here, the concat 0.24
    const ctx = t === 1 ? z : tf.concat(new Array<tf.Tensor>(t).fill(z), 0);
    const masks = tf.add(positionsAt(n, targets).reshape([-1, kt, n.dim]), s.param('maskToken'));
    let h = tf.concat([ctx, masks], 1);
    for (let l = 0; l < n.depth; l++) h = applyBlock(s.at(`blocks.${l}`), h, predBlock(n));
    h = applyNorm(s.at('norm'), 'layer', h, true, JEPA_EPS);
    const [tb, all] = h.shape as [number, number, number];
    return applyLinear(s.at('proj'), h.slice([0, all - kt, 0], [tb, kt, n.dim]), true);
  },
};

/**
 * `TokenPredictor` (Style-JEPA): `P = x + fc2(GELU(fc1(LN2(attn(LN1(l2norm(x)) + pos)))))`.
 * `tokens [B, count, dim] -> [B, count, dim]`. Init: attention Xavier (nn.MultiheadAttention),
 * linears PyTorch default, `pos` trunc-normal 0.02 (a guess: the reference init is not recorded).
 */
export const tokenPredictorRule: NetRule<TokenPredictor> = {
  apply: (n, s, i, parts) => {
    const x = port(i, 'x');
    const unit = l2NormalizeRule.apply({ _tag: 'L2Normalize' }, s, { x }, parts) as tf.Tensor;
    const q = tf.add(applyNorm(s.at('norm1'), 'layer', unit, true, TORCH_EPS), s.param('pos'));
    const a = applyAttention(s.at('attn'), q, n.heads, true);
    const m = applyNorm(s.at('norm2'), 'layer', a, true, TORCH_EPS);
    return tf.add(
      x,
      applyLinear(s.at('mlp.fc2'), gelu(applyLinear(s.at('mlp.fc1'), m, true)), true),
    );
  },
};

/**
 * `FusionHead` (ST-STORM `fusion_head.py`): `z_s = GELU(Lin(LN(style)))`, `z_m = GELU(Lin(LN(content)))`,
 * `g = sigmoid(Lin(LN([z_s; z_m])))`, `LN(g z_m + (1 - g) z_s)`. Ports `style [B, styleDim]`,
 * `content [B, contentDim]` -> `[B, dim]`. Dropout (0.1 in the reference) is not applied.
 */
export const fusionHeadRule: NetRule<FusionHead> = {
  apply: (_n, s, i) => {
    const branch = (name: 'style' | 'content'): tf.Tensor =>
      gelu(
        applyLinear(
          s.at(`${name}Proj`),
          applyNorm(s.at(`${name}Norm`), 'layer', port(i, name), true, TORCH_EPS),
          true,
        ),
      );
    const zs = branch('style');
    const zm = branch('content');
    const g = activate(
      'sigmoid',
      applyLinear(
        s.at('gate'),
        applyNorm(s.at('gateNorm'), 'layer', tf.concat([zs, zm], -1), true, TORCH_EPS),
        true,
      ),
    );
    const mixed = tf.add(tf.mul(g, zm), tf.mul(tf.sub(1, g), zs));
    return applyNorm(s.at('norm'), 'layer', mixed, true, TORCH_EPS);
  },
};
