/**
 * conv2d that trains on wasm. TF.js's wasm backend has no `Conv2DBackpropFilter` kernel (a naive
 * convnet cannot train there) and its `Conv2DBackpropInput` is slow (~1.4 GFLOP/s), while its
 * forward conv2d is fast (~15 GFLOP/s). So both gradients are expressed as forward convolutions:
 *
 * - filter gradient: swap the batch and channel axes of the (padded) input and of the output
 *   gradient, convolve with stride = the forward dilation and dilation = the forward stride;
 * - input gradient: dilate the output gradient by the stride (zero insertion), pad it by the
 *   effective kernel extent and correlate with the spatially flipped, in/out-swapped filter
 *   (dilation = the forward dilation).
 *
 * The gradient functions call this same conv, so second-order gradients (R1 penalties) stay on
 * fast, available kernels too.
 */
import * as tf from '@tensorflow/tfjs';
import { withGrad } from './custom.js';

/** Padding of a convolution: symmetric explicit amount, or TF's `same` / `valid`. */
export type ConvPadding = number | 'same' | 'valid';

/** Options of a 2-D convolution. Defaults: stride 1, padding `valid`, dilation 1. */
export interface ConvOptions {
  readonly stride?: number;
  readonly padding?: ConvPadding;
  readonly dilation?: number;
}

/** Leading and trailing padding of one spatial axis, as TF computes it. */
export const padAmounts = (
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: ConvPadding,
): readonly [number, number] => {
  if (padding === 'valid') return [0, 0];
  if (typeof padding === 'number') return [padding, padding];
  const extent = (kernel - 1) * dilation + 1;
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + extent - size, 0);
  const lead = Math.floor(total / 2);
  return [lead, total - lead];
};

/** Leading/trailing padding of the two spatial axes. */
export type Pads = readonly [readonly [number, number], readonly [number, number]];

const explicit = (
  p: Pads,
): [[number, number], [number, number], [number, number], [number, number]] => [
  [0, 0],
  [p[0][0], p[0][1]],
  [p[1][0], p[1][1]],
  [0, 0],
];

/** Stride `s`, dilation `d` (defaults 1) and the explicit spatial padding of `x [B, H, W, in]` convolved with `w [k, k, in, out]`. */
const convGeometry = (
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  opts: ConvOptions,
): { s: number; d: number; pads: Pads } => {
  const s = opts.stride ?? 1;
  const d = opts.dilation ?? 1;
  const padding = opts.padding ?? 'valid';
  const [kh, kw] = w.shape;
  const pads: Pads = [
    padAmounts(x.shape[1], kh, s, d, padding),
    padAmounts(x.shape[2], kw, s, d, padding),
  ];
  return { s, d, pads };
};

/** Inserts `s - 1` zeros between neighbours on both spatial axes: `[B, h, w, C] -> [B, (h-1)s+1, (w-1)s+1, C]`. */
export const dilateSpatial = (x: tf.Tensor4D, s: number): tf.Tensor4D => {
  if (s === 1) return x;
  const [b, h, w, c] = x.shape;
  const alongW = x
    .reshape([b * h, w, 1, c])
    .pad([
      [0, 0],
      [0, 0],
      [0, s - 1],
      [0, 0],
    ])
    .reshape([b, h, w * s, c])
    .slice([0, 0, 0, 0], [b, h, (w - 1) * s + 1, c]);
  const w2 = (w - 1) * s + 1;
  return alongW
    .reshape([b, h, 1, w2 * c])
    .pad([
      [0, 0],
      [0, 0],
      [0, s - 1],
      [0, 0],
    ])
    .reshape([b, h * s, w2, c])
    .slice([0, 0, 0, 0], [b, (h - 1) * s + 1, w2, c]) as tf.Tensor4D;
};

/** Gradient of the filter `[k, k, in, out]` as one forward convolution (batch <-> channel swap). */
export const filterGrad = (
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  k: readonly [number, number],
  pads: Pads,
  s: number,
  d: number,
): tf.Tensor4D => {
  const xp = tf.pad(x, explicit(pads)).transpose([3, 1, 2, 0]) as tf.Tensor4D; // [C, Hp, Wp, B]
  const f = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, B, O]
  const g = conv2dLegal(xp, f, { stride: d, padding: 'valid', dilation: s }); // [C, >=k, >=k, O]
  const [c, , , o] = g.shape;
  return g.slice([0, 0, 0, 0], [c, k[0], k[1], o]).transpose([1, 2, 0, 3]) as tf.Tensor4D;
};

/** Gradient of the input as one forward convolution of the dilated, padded output gradient. */
export const inputGrad = (
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: readonly [number, number, number, number],
  pads: Pads,
  s: number,
  d: number,
): tf.Tensor4D => {
  const [kh, kw] = w.shape;
  const [, h, wd] = xShape;
  const hp = h + pads[0][0] + pads[0][1];
  const wp = wd + pads[1][0] + pads[1][1];
  const dyd = dilateSpatial(dy, s);
  const eh = (kh - 1) * d;
  const ew = (kw - 1) * d;
  const padded = tf.pad(dyd, [
    [0, 0],
    [eh, hp - dyd.shape[1]],
    [ew, wp - dyd.shape[2]],
    [0, 0],
  ]);
  const wt = tf.reverse(w, [0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D; // [k, k, O, C]
  const dxp = conv2dLegal(padded, wt, { stride: 1, padding: 'valid', dilation: d });
  return dxp.slice([0, pads[0][0], pads[1][0], 0], [xShape[0], h, wd, xShape[3]]);
};

/**
 * `conv2d(x [B, H, W, in], w [k, k, in, out]) -> [B, Ho, Wo, out]` (NHWC, HWIO) with gradients
 * made only of forward convolutions, pads, reshapes and transposes (all fast on wasm).
 * Stride and dilation cannot both exceed 1 (a TF.js restriction).
 */
export const conv2dLegal = (
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  opts: ConvOptions = {},
): tf.Tensor4D => {
  const { s, d, pads } = convGeometry(x, w, opts);
  const [kh, kw] = w.shape;
  const xShape = x.shape;
  const f = withGrad<tf.Tensor4D>(([xi, wi], save) => {
    save([xi!, wi!]);
    const value = tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, s, explicit(pads), 'NHWC', d);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      return [
        inputGrad(dy as tf.Tensor4D, ws, xShape, pads, s, d),
        filterGrad(xs, dy as tf.Tensor4D, [kh, kw], pads, s, d),
      ];
    };
    return { value, gradFunc };
  });
  return f(x, w);
};

/** A dilated filter as a dense one with zeros inserted: `[k, k, in, out] -> [(k-1)d+1, (k-1)d+1, in, out]`. */
export const dilateFilter = (w: tf.Tensor4D, d: number): tf.Tensor4D => {
  const [kh, kw, ci, co] = w.shape;
  const spread = dilateSpatial(w.reshape([1, kh, kw, ci * co]), d);
  return spread.reshape([spread.shape[1], spread.shape[2], ci, co]);
};

/**
 * The reference: TF.js's own `conv2d` (its filter gradient needs a kernel wasm lacks). TF.js
 * cannot differentiate dilated convolutions on any backend, so a dilation > 1 becomes a dense
 * filter with inserted zeros (same numbers, differentiable, and independent of the wasm rule).
 */
export const conv2dPlain = (
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  opts: ConvOptions = {},
): tf.Tensor4D => {
  const { s, d, pads } = convGeometry(x, w, opts);
  return tf.conv2d(x, dilateFilter(w, d), s, explicit(pads), 'NHWC', 1);
};
