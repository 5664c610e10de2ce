/**
 * Transformers: multi-head self-attention, the pre-norm block and the ViT (MoCo v3 `vits.py`,
 * I-JEPA `vision_transformer.py`). Every tensor stays at rank <= 4 (rank-5 transposes are slow on
 * wasm); linears are 2-D products on `[B*N, D]`; attention scores go through `kernels.batchMatMul`.
 */
import * as tf from '@tensorflow/tfjs';
import { softmaxFast } from '../kernels/simdSoftmax.js';
import type { Attention, TransformerBlock, Vit } from '../../ir/net.js';
import { applyPatchEmbed } from './conv.js';
import { activate, applyLinear, applyNorm } from './dense.js';
import { frozenScope, port, type NetRule, type Scope } from './rule.js';

/**
 * Fixed 2-D sin-cos position embedding `[gh * gw, dim]` for row-major patches, temperature 1e4:
 * `dim/4` frequencies each for sin and cos of two coordinates. `rowFirst` (MoCo v3's
 * `build_2d_sincos_position_embedding`, meshgrid 'ij'): `[sin r, cos r, sin c, cos c]`;
 * otherwise I-JEPA's `get_2d_sincos_pos_embed`: `[sin c, cos c, sin r, cos r]`.
 */
export const sincos2d = (gh: number, gw: number, dim: number, rowFirst: boolean): Float32Array => {
  const key = `${gh},${gw},${dim},${rowFirst}`;
  const hit = tables.get(key);
  if (hit) return hit;
  const table = buildSincos(gh, gw, dim, rowFirst);
  tables.set(key, table);
  return table;
};

/** Position tables already built (they are constants; a ViT asks for one every call). */
const tables = new Map<string, Float32Array>();

const buildSincos = (gh: number, gw: number, dim: number, rowFirst: boolean): Float32Array => {
  const q = Math.floor(dim / 4);
  const out = new Float32Array(gh * gw * dim);
  for (let r = 0; r < gh; r++) {
    for (let c = 0; c < gw; c++) {
      const base = (r * gw + c) * dim;
      const [a, b] = rowFirst ? [r, c] : [c, r];
      for (let i = 0; i < q; i++) {
        const omega = 1 / Math.pow(10000, i / q);
        out[base + i] = Math.sin(a * omega);
        out[base + q + i] = Math.cos(a * omega);
        out[base + 2 * q + i] = Math.sin(b * omega);
        out[base + 3 * q + i] = Math.cos(b * omega);
      }
    }
  }
  return out;
};

/**
 * Multi-head self-attention in `scope`: `tokens [B, N, dim] -> [B, N, dim]`, softmax(QK^T / sqrt(dh)) V.
 * Heads are batched head-major (`[H*B, N, dh]`): `kernels.splitHeads` turns the fused qkv
 * `[B, N, 3 H dh]` into q, k, v (a transpose and a split on the leading axis, or one copy pass on
 * wasm) and `kernels.mergeHeads` the context back. The scale multiplies Q (`[H*B, N, dh]`), not
 * the 4x larger scores `[H*B, N, N]`. The softmax and its gradient are one kernel each on wasm
 * (`kernels/simdSoftmax.ts`).
 */
export const applyAttention = (
  s: Scope,
  x: tf.Tensor,
  nHeads: number,
  qkvBias: boolean,
): tf.Tensor3D => {
  const dh = x.shape[x.rank - 1]! / nHeads;
  const qkv = applyLinear(s.at('qkv'), x, qkvBias) as tf.Tensor3D; // [B, N, 3 H dh]
  const [q, k, v] = s.kernels.splitHeads(qkv, 3, nHeads) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  const scores = s.kernels.batchMatMul(tf.mul(q, 1 / Math.sqrt(dh)), k, false, true);
  const ctx = s.kernels.batchMatMul(softmaxFast(scores), v); // [H*B, N, dh]
  const merged = s.kernels.mergeHeads([ctx], nHeads); // [B, N, H dh]
  return applyLinear(s.at('proj'), merged, true) as tf.Tensor3D;
};

/** `Attention` (standalone: MoCo v3 init). */
export const attentionRule: NetRule<Attention> = {
  apply: (n, s, i) => applyAttention(s, port(i, 'x'), n.heads, n.qkvBias),
};

/** Pre-norm block: `x + attn(LN(x))`, then `x + fc2(GELU(fc1(LN(x))))`. */
export const applyBlock = (
  s: Scope,
  x: tf.Tensor,
  n: Omit<TransformerBlock, '_tag'>,
): tf.Tensor => {
  const a = tf.add(
    x,
    applyAttention(
      s.at('attn'),
      applyNorm(s.at('norm1'), 'layer', x, true, n.eps),
      n.heads,
      n.qkvBias,
    ),
  );
  const m = applyNorm(s.at('norm2'), 'layer', a, true, n.eps);
  const f = applyLinear(
    s.at('mlp.fc2'),
    activate('gelu', applyLinear(s.at('mlp.fc1'), m, true)),
    true,
  );
  return tf.add(a, f);
};

/** `TransformerBlock` (standalone: Xavier-uniform linears). */
export const transformerBlockRule: NetRule<TransformerBlock> = {
  apply: (n, s, i) => applyBlock(s, port(i, 'x'), n),
};

const patchOf = (n: Vit) => ({
  _tag: 'PatchEmbed' as const,
  inChannels: n.inChannels,
  patch: n.patch,
  dim: n.dim,
});

/** Patch tokens plus fixed positions, optionally gathered by `keep [B, K]`. */
const embedTokens = (n: Vit, s: Scope, x: tf.Tensor, keep: tf.Tensor | undefined): tf.Tensor => {
  const pe = n.stopGradPatchEmbed ? frozenScope(s.at('patchEmbed')) : s.at('patchEmbed');
  const t = applyPatchEmbed(pe, patchOf(n), x);
  const g = n.imageSize / n.patch;
  const pos = tf.tensor3d(sincos2d(g, g, n.dim, n.cls), [1, g * g, n.dim]);
  const placed = tf.add(t, pos) as tf.Tensor3D;
  return keep === undefined ? placed : s.kernels.gatherTokens(placed, keep);
};

/**
 * `Vit`: patchify, add fixed sin-cos positions, optionally gather `keep` (I-JEPA context),
 * prepend [CLS] (its position is zero), `depth` blocks, final LayerNorm. Output `cls` [B, dim],
 * `mean` [B, dim] (patch tokens) or `tokens` [B, N, dim] (patch tokens, no [CLS]).
 */
export const vitRule: NetRule<Vit> = {
  apply: (n, s, i) => {
    const keep = i['keep'] === undefined ? undefined : port(i, 'keep');
    let x = embedTokens(n, s, port(i, 'x'), keep);
    const [b, , d] = x.shape as [number, number, number];
    if (n.cls) x = tf.concat([tf.tile(s.param('cls'), [b, 1, 1]), x], 1);
    for (let l = 0; l < n.depth; l++) x = applyBlock(s.at(`blocks.${l}`), x, n);
    x = applyNorm(s.at('norm'), 'layer', x, true, n.eps);
    const first = n.cls ? 1 : 0;
    const patches = first === 0 ? x : x.slice([0, first, 0], [b, x.shape[1]! - first, d]);
    if (n.output === 'cls') return x.slice([0, 0, 0], [b, 1, d]).reshape([b, d]);
    return n.output === 'mean' ? tf.mean(patches, 1) : patches;
  },
};
