/**
 * Hand-written eager TF.js layers for the step benchmark's baselines (`bench/naive/`), written the
 * way a TF.js user writes them from the maths: `tf.matMul` (with transpose flags), `tf.conv2d`,
 * `tf.gather`, `tf.moments`, rank-5 head transposes, built-in gradients. They do NOT call
 * tessera's lowering; they only read the same weights (`module/path` names of
 * `CompiledMethod.variables()`, layout in `compiler/ir/params/README.md`).
 *
 * Weights are looked up in a flat record `module/path -> tensor`; `at(prefix)` scopes it.
 */
import * as tf from '@tensorflow/tfjs';

/** A flat weight table `module/path -> tensor` and the prefix that scopes it. */
export interface Weights {
  readonly table: Readonly<Record<string, tf.Tensor>>;
  readonly prefix: string;
}

/** Scopes `w` under `name` (`encoder` then `blocks.0` gives `encoder/blocks.0.`). */
export const at = (w: Weights, name: string): Weights => ({
  table: w.table,
  prefix: w.prefix === '' ? `${name}/` : `${w.prefix}${name}.`,
});

/** The tensor at `path` under `w`; throws with the full name when missing. */
export const get = (w: Weights, path: string): tf.Tensor => {
  const t = w.table[`${w.prefix}${path}`];
  if (t === undefined) throw new Error(`naive: no weight ${w.prefix}${path}`);
  return t;
};

/** `x [..., in] . weight [in, out] + bias` as one 2-D `tf.matMul` on `[rows, in]`. */
export const linear = (w: Weights, x: tf.Tensor, bias = true): tf.Tensor => {
  const weight = get(w, 'weight') as tf.Tensor2D;
  const [inDim, out] = weight.shape;
  const y = tf.matMul(x.reshape([-1, inDim]) as tf.Tensor2D, weight);
  return (bias ? tf.add(y, get(w, 'bias')) : y).reshape([...x.shape.slice(0, -1), out]);
};

/** LayerNorm over the last axis, `eps`, with `gamma`/`beta` when `affine`. */
export const layerNorm = (w: Weights | undefined, x: tf.Tensor, eps: number): tf.Tensor => {
  const { mean, variance } = tf.moments(x, -1, true);
  const y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
  return w === undefined ? y : tf.add(tf.mul(y, get(w, 'gamma')), get(w, 'beta'));
};

/** Training-mode BatchNorm1d over the batch axis of `[B, D]` (biased variance, eps 1e-5, PyTorch). */
export const batchNorm = (w: Weights | undefined, x: tf.Tensor, eps = 1e-5): tf.Tensor => {
  const { mean, variance } = tf.moments(x, 0);
  const y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
  return w === undefined ? y : tf.add(tf.mul(y, get(w, 'gamma')), get(w, 'beta'));
};

/** Exact GELU `x/2 (1 + erf(x / sqrt 2))` (PyTorch `nn.GELU`). */
export const gelu = (x: tf.Tensor): tf.Tensor =>
  tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));

/**
 * Fixed 2-D sin-cos positions `[g*g, dim]`, temperature 1e4, `dim/4` frequencies
 * `omega_i = 1e4^(-i/(dim/4))`. `rowFirst` (MoCo v3): `[sin r, cos r, sin c, cos c]`; else
 * (I-JEPA): `[sin c, cos c, sin r, cos r]`.
 */
export const sincos = (g: number, dim: number, rowFirst: boolean): tf.Tensor2D => {
  const q = dim / 4;
  const f = Array.from({ length: q }, (_, i) => 1 / 10000 ** (i / q));
  const rows: number[][] = [];
  for (let r = 0; r < g; r++) {
    for (let c = 0; c < g; c++) {
      const [a, b] = rowFirst ? [r, c] : [c, r];
      rows.push([
        ...f.map((o) => Math.sin(a * o)),
        ...f.map((o) => Math.cos(a * o)),
        ...f.map((o) => Math.sin(b * o)),
        ...f.map((o) => Math.cos(b * o)),
      ]);
    }
  }
  return tf.tensor2d(rows);
};

/** Multi-head self-attention `[B, N, D] -> [B, N, D]`: timm-style rank-5 qkv split, `Q K^T` by transposeB. */
export const attention = (w: Weights, x: tf.Tensor, heads: number): tf.Tensor => {
  const [b, n, d] = x.shape as [number, number, number];
  const dh = d / heads;
  const qkv = linear(at(w, 'qkv'), x).reshape([b, n, 3, heads, dh]).transpose([2, 0, 3, 1, 4]); // [3, B, H, N, dh]
  const part = (i: number): tf.Tensor3D =>
    qkv.slice([i, 0, 0, 0, 0], [1, b, heads, n, dh]).reshape([b * heads, n, dh]);
  const scores = tf.mul(tf.matMul(part(0), part(1), false, true), 1 / Math.sqrt(dh));
  const out = tf.matMul(tf.softmax(scores), part(2)); // [B*H, N, dh]
  return linear(
    at(w, 'proj'),
    out.reshape([b, heads, n, dh]).transpose([0, 2, 1, 3]).reshape([b, n, d]),
  );
};

/** Pre-norm transformer block: `x + attn(LN(x))`, then `x + fc2(GELU(fc1(LN(x))))`. */
export const block = (w: Weights, x: tf.Tensor, heads: number, eps: number): tf.Tensor => {
  const a = tf.add(x, attention(at(w, 'attn'), layerNorm(at(w, 'norm1'), x, eps), heads));
  const h = gelu(linear(at(w, 'mlp.fc1'), layerNorm(at(w, 'norm2'), a, eps)));
  return tf.add(a, linear(at(w, 'mlp.fc2'), h));
};

/** Patch embedding: `tf.conv2d` stride `p`, `[B, H, W, C] -> [B, (H/p)^2, dim]` (row-major patches). */
export const patchEmbed = (w: Weights, images: tf.Tensor4D, patch: number): tf.Tensor3D => {
  const y = tf.add(
    tf.conv2d(images, get(w, 'weight') as tf.Tensor4D, patch, 'valid'),
    get(w, 'bias'),
  );
  const [b, h, ww, d] = y.shape as [number, number, number, number];
  return y.reshape([b, h * ww, d]);
};

/** `x [B, N, D]` rows `index [B, K]` (int32) -> `[B, K, D]`, by `tf.gather` on the flattened batch. */
export const gatherRows = (x: tf.Tensor, index: tf.Tensor): tf.Tensor => {
  const [b, n, d] = x.shape as [number, number, number];
  const k = index.shape[1]!;
  const flat = tf
    .add(tf.cast(index, 'int32'), tf.range(0, b * n, n, 'int32').reshape([b, 1]))
    .reshape([-1]);
  return tf.gather(x.reshape([b * n, d]), flat).reshape([b, k, d]);
};

/** The ViT hyperparameters a baseline reads from the compiled graph (`compiler/ir/net.ts` `Vit`). */
export interface VitConfig {
  readonly imageSize: number;
  readonly patch: number;
  readonly depth: number;
  readonly heads: number;
  readonly eps: number;
  readonly cls: boolean;
}

/**
 * ViT forward: patchify (`tf.conv2d`), add sin-cos positions (MoCo v3 order with [CLS], I-JEPA's
 * without), optionally keep the tokens `keep [B, K]` (`tf.gather`), prepend [CLS], blocks, final
 * LayerNorm. Returns all tokens `[B, N(+1), dim]`.
 */
export const vit = (
  w: Weights,
  c: VitConfig,
  images: tf.Tensor4D,
  keep?: tf.Tensor,
): tf.Tensor3D => {
  const tokens = patchEmbed(at(w, 'patchEmbed'), images, c.patch);
  const [b, n, d] = tokens.shape;
  let x: tf.Tensor = tf.add(tokens, sincos(Math.sqrt(n), d, c.cls));
  if (keep !== undefined) x = gatherRows(x, keep);
  if (c.cls) x = tf.concat([tf.tile(get(w, 'cls'), [b, 1, 1]), x], 1);
  for (let l = 0; l < c.depth; l++) x = block(at(w, `blocks.${l}`), x, c.heads, c.eps);
  return layerNorm(at(w, 'norm'), x, c.eps) as tf.Tensor3D;
};
