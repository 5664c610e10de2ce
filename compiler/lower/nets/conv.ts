/**
 * Convolutions: `Conv2d` (NHWC, HWIO weights, optional spectral norm) and `PatchEmbed` (a strided
 * conv turned into tokens). Every conv goes through `kernels.conv2d`, which trains on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import type { Conv2d, PatchEmbed } from '../../ir/net.js';
import type { ConvPadding } from '../legalize/index.js';
import { port, stopGradient, type NetRule, type Scope } from './rule.js';

/** Geometry of a convolution. */
export interface ConvGeometry {
  readonly stride: number;
  readonly padding: ConvPadding;
  readonly dilation: number;
}

const unit = (v: tf.Tensor): tf.Tensor => tf.div(v, tf.add(tf.norm(v), 1e-12));

/**
 * Spectral normalisation (Miyato et al. 2018, PyTorch `spectral_norm`, one power iteration per
 * call): `W / sigma` with `sigma = v . (M u')`, `M = W as [k*k*in, out]`, `v = unit(M u)`,
 * `u' = unit(M^T v)`; `u'` and `v` carry no gradient. In training the new `u'` is recorded.
 */
const spectralNormalised = (s: Scope, w: tf.Tensor4D): tf.Tensor4D => {
  const [kh, kw, ci, co] = w.shape;
  const m = w.reshape([kh * kw * ci, co]) as tf.Tensor2D;
  const u = s.param('u').reshape([co, 1]) as tf.Tensor2D;
  const md = stopGradient(m) as tf.Tensor2D;
  const v = unit(tf.matMul(md, u)) as tf.Tensor2D;
  const u2 = unit(tf.matMul(v, md, true, false).reshape([co, 1])) as tf.Tensor2D;
  if (s.training)
    s.setBuffer(
      'u',
      tf.tidy(() => u2.reshape([co])),
    );
  const sigma = tf.sum(tf.mul(v, s.kernels.matMul(m, u2)));
  return tf.div(w, sigma) as tf.Tensor4D;
};

/** Applies a conv in `scope`: `x [B, H, W, in] -> [B, Ho, Wo, out]`. */
export const applyConv = (
  s: Scope,
  x: tf.Tensor,
  g: ConvGeometry,
  opts: { readonly bias: boolean; readonly spectralNorm?: boolean },
): tf.Tensor4D => {
  const raw = s.param('weight') as tf.Tensor4D;
  const w = opts.spectralNorm ? spectralNormalised(s, raw) : raw;
  const y = s.kernels.conv2d(x as tf.Tensor4D, w, g);
  return opts.bias ? (s.kernels.affine(y, undefined, s.param('bias')) as tf.Tensor4D) : y;
};

/** `Conv2d`: NHWC convolution (He-normal init), padding symmetric / `same` / `valid`, dilation, optional spectral norm. */
export const conv2dRule: NetRule<Conv2d> = {
  apply: (n, s, i) => applyConv(s, port(i, 'x'), n, n),
};

/** Patches as tokens: `image [B, H, W, C] -> tokens [B, (H/p)*(W/p), dim]`. */
export const applyPatchEmbed = (s: Scope, n: PatchEmbed, x: tf.Tensor): tf.Tensor3D => {
  const y = applyConv(s, x, { stride: n.patch, padding: 'valid', dilation: 1 }, { bias: true });
  const [b, h, w, d] = y.shape;
  return y.reshape([b, h * w, d]);
};

/** `PatchEmbed`: non-overlapping `p x p` patches, row-major token order. */
export const patchEmbedRule: NetRule<PatchEmbed> = {
  apply: (n, s, i) => applyPatchEmbed(s, n, port(i, 'x')),
};
