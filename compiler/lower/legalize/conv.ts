/**
 * conv2d that trains on wasm, fast. TF.js's wasm backend has no `Conv2DBackpropFilter` kernel (a
 * naive convnet cannot train there) and its `Conv2DBackpropInput` is slow (~1.4 GFLOP/s), while its
 * forward conv2d (XNNPACK) is fast (~15-20 GFLOP/s). So both gradients are forward convolutions:
 *
 * - filter gradient: swap the batch and channel axes of the input and of the output gradient,
 *   convolve with the forward padding, stride = the forward dilation, dilation = the forward stride;
 * - input gradient: spread the output gradient by the stride (zero insertion) and correlate it
 *   with the spatially flipped, in/out-swapped filter, the padding chosen so that the result is
 *   exactly the input's extent (no pad or crop kernels when the forward padding is at most the
 *   kernel's extent, as for `same` and `valid`).
 *
 * The conv is a registered kernel (`TesseraConv2D`, delegating to the backend's `Conv2D`) whose
 * gradient is one lazy function per input, so TF.js computes only the gradients it needs: no
 * input gradient for an image, which is most of the cost of a stem's backward pass. The gradient
 * functions call this same conv, so second-order gradients (R1 penalties) stay on fast,
 * available kernels too. The filter flip is a product with an anti-diagonal permutation (TF.js
 * wasm's `Reverse` takes ~10 ms on a 3x3x128x128 filter; its gradient is a product too).
 */
import * as tf from '@tensorflow/tfjs';

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

type ExplicitPads = [[number, number], [number, number], [number, number], [number, number]];

const explicit = (p: Pads): ExplicitPads => [
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

/** The registered conv kernel: the backend's `Conv2D`, with tessera's gradients. */
export const CONV_KERNEL = 'TesseraConv2D';

/** The attributes `TesseraConv2D` carries (those of TF.js's `Conv2D`). */
interface ConvAttrs {
  readonly strides: [number, number];
  readonly pad: ExplicitPads;
  readonly dilations: [number, number];
  readonly dataFormat: 'NHWC';
}

/** `x [B, H, W, in] * w [k, k, in, out]` with explicit padding, stride `s`, dilation `d`, differentiable on wasm. */
const convExplicit = (
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  s: number,
  d: number,
  pads: Pads,
): tf.Tensor4D => {
  const attrs: ConvAttrs = {
    strides: [s, s],
    pad: explicit(pads),
    dilations: [d, d],
    dataFormat: 'NHWC',
  };
  return tf
    .engine()
    .runKernel(CONV_KERNEL, { x, filter: w }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
};

/**
 * Inserts `s - 1` zeros after every element on both spatial axes: `[B, h, w, C] -> [B, h s, w s, C]`
 * (two pads, no crop: the input gradient pads its conv so that the trailing zeros fit).
 */
const zeroInsert = (x: tf.Tensor4D, s: number): tf.Tensor4D => {
  if (s === 1) return x;
  const [b, h, w, c] = x.shape;
  const alongW = x.reshape([b * h, w, 1, c]).pad([
    [0, 0],
    [0, 0],
    [0, s - 1],
    [0, 0],
  ]);
  return alongW
    .reshape([b, h, 1, w * s * c])
    .pad([
      [0, 0],
      [0, 0],
      [0, s - 1],
      [0, 0],
    ])
    .reshape([b, h * s, w * s, c]);
};

/** Inserts `s - 1` zeros between neighbours on both spatial axes: `[B, h, w, C] -> [B, (h-1)s+1, (w-1)s+1, C]`. */
export const dilateSpatial = (x: tf.Tensor4D, s: number): tf.Tensor4D => {
  if (s === 1) return x;
  const [b, h, w, c] = x.shape;
  return zeroInsert(x, s).slice([0, 0, 0, 0], [b, (h - 1) * s + 1, (w - 1) * s + 1, c]);
};

/** `[n, n]` with ones on the anti-diagonal: left-multiplying reverses the rows. */
const antiDiagonal = (n: number): tf.Tensor2D => {
  const values = new Float32Array(n * n);
  for (let i = 0; i < n; i++) values[i * n + (n - 1 - i)] = 1;
  return tf.tensor2d(values, [n, n]);
};

/** `w [kh, kw, in, out]` flipped on both spatial axes with in/out swapped: `[kh, kw, out, in]`. */
export const flipSwap = (w: tf.Tensor4D): tf.Tensor4D => {
  const [kh, kw, ci, co] = w.shape;
  const rows = w.reshape([kh * kw, ci * co]) as tf.Tensor2D;
  const flipped = kh * kw === 1 ? rows : tf.matMul(antiDiagonal(kh * kw), rows);
  return flipped.reshape([kh, kw, ci, co]).transpose([0, 1, 3, 2]) as tf.Tensor4D;
};

/** Crops `x` by `[top, bottom]`, `[left, right]` (non-negative amounts); no kernel when all are 0. */
const crop = (x: tf.Tensor4D, c: Pads): tf.Tensor4D => {
  if (c[0][0] === 0 && c[0][1] === 0 && c[1][0] === 0 && c[1][1] === 0) return x;
  const [b, h, w, ch] = x.shape;
  return x.slice(
    [0, c[0][0], c[1][0], 0],
    [b, h - c[0][0] - c[0][1], w - c[1][0] - c[1][1], ch],
  ) as tf.Tensor4D;
};

/** Splits wanted paddings into what the conv pads (>= 0) and what is cropped after (< 0 wanted). */
const padOrCrop = (want: Pads): { pads: Pads; cropAfter: Pads } => {
  const pos = (v: number): number => Math.max(v, 0);
  const neg = (v: number): number => Math.max(-v, 0);
  return {
    pads: [
      [pos(want[0][0]), pos(want[0][1])],
      [pos(want[1][0]), pos(want[1][1])],
    ],
    cropAfter: [
      [neg(want[0][0]), neg(want[0][1])],
      [neg(want[1][0]), neg(want[1][1])],
    ],
  };
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
  const xt = x.transpose([3, 1, 2, 0]) as tf.Tensor4D; // [C, H, W, B]
  const f = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, B, O]
  const g = convExplicit(xt, f, d, s, pads); // [C, >=k, >=k, O]
  const [c, gh, gw, o] = g.shape;
  const exact = gh === k[0] && gw === k[1] ? g : g.slice([0, 0, 0, 0], [c, k[0], k[1], o]);
  return exact.transpose([1, 2, 0, 3]) as tf.Tensor4D;
};

/** Gradient of the input: one forward convolution of the dilated output gradient, padded so that it covers the input exactly. */
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
  const dyd = zeroInsert(dy, s);
  const [eh, ew] = [(kh - 1) * d, (kw - 1) * d];
  const [top, left] = [eh - pads[0][0], ew - pads[1][0]];
  const want: Pads = [
    [top, h + eh - dyd.shape[1] - top],
    [left, wd + ew - dyd.shape[2] - left],
  ];
  const { pads: p, cropAfter } = padOrCrop(want);
  return crop(convExplicit(dyd, flipSwap(w), 1, d, p), cropAfter);
};

const convKernelFunc: tf.KernelFunc = (args) => {
  const conv = tf.getKernel('Conv2D', tf.getBackend());
  if (conv === undefined)
    throw new Error(`${CONV_KERNEL}: backend ${tf.getBackend()} has no Conv2D`);
  return conv.kernelFunc(args);
};

const convGradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
  const [x, w] = saved as [tf.Tensor4D, tf.Tensor4D];
  const a = attrs as unknown as ConvAttrs;
  const pads: Pads = [a.pad[1], a.pad[2]];
  const [s, d] = [a.strides[0], a.dilations[0]];
  const g = dy as tf.Tensor4D;
  return {
    x: () => inputGrad(g, w, x.shape, pads, s, d),
    filter: () => filterGrad(x, g, [w.shape[0], w.shape[1]], pads, s, d),
  };
};

for (const backendName of ['wasm', 'cpu']) {
  tf.registerKernel({ kernelName: CONV_KERNEL, backendName, kernelFunc: convKernelFunc });
}
tf.registerGradient({
  kernelName: CONV_KERNEL,
  inputsToSave: ['x', 'filter'],
  gradFunc: convGradFunc,
});

/**
 * `conv2d(x [B, H, W, in], w [k, k, in, out]) -> [B, Ho, Wo, out]` (NHWC, HWIO) with gradients
 * made only of forward convolutions, products, reshapes and transposes (all fast on wasm).
 * Stride and dilation cannot both exceed 1 (a TF.js restriction).
 */
export const conv2dLegal = (
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  opts: ConvOptions = {},
): tf.Tensor4D => {
  const { s, d, pads } = convGeometry(x, w, opts);
  if (s > 1 && d > 1) throw new Error('conv2d: stride and dilation cannot both exceed 1');
  return convExplicit(x, w, s, d, pads);
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
