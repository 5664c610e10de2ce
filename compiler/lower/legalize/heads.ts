/**
 * Attention's head layout: the fused projection `[B, N, parts*H*dh]` (qkv: 3 parts) to head-major
 * `[H*B, N, dh]` tensors and back. The reference is a rank-4 transpose and a split on the leading
 * axis (a concat and a transpose backward); the wasm rule is tessera's copy kernels
 * (`kernels/simdHeads.ts`, one pass each way) where they apply.
 */
import * as tf from '@tensorflow/tfjs';
import { headsSimdApplies, mergeHeadsSimd, splitHeadsSimd } from '../kernels/simdHeads.js';

/** Transpose to `[parts*H, B, N, dh]`, split the leading axis (contiguous pieces). */
export const splitHeadsPlain = (x: tf.Tensor3D, parts: number, heads: number): tf.Tensor3D[] => {
  const [b, n, width] = x.shape;
  const dh = width / (parts * heads);
  const headMajor = x.reshape([b, n, parts * heads, dh]).transpose([2, 0, 1, 3]);
  const pieces = parts === 1 ? [headMajor] : tf.split(headMajor, parts, 0);
  return pieces.map((t) => t.reshape([heads * b, n, dh]) as tf.Tensor3D);
};

/** Concatenate the head-major pieces and transpose back to `[B, N, parts*H*dh]`. */
export const mergeHeadsPlain = (parts: ReadonlyArray<tf.Tensor3D>, heads: number): tf.Tensor3D => {
  const [hb, n, dh] = parts[0]!.shape;
  const b = hb / heads;
  const pieces = parts.map((p) => p.reshape([heads, b, n, dh]));
  const all = pieces.length === 1 ? pieces[0]! : tf.concat(pieces, 0);
  return all.transpose([1, 2, 0, 3]).reshape([b, n, parts.length * heads * dh]);
};

/** wasm rule: the copy kernels when `dh` is a multiple of 4, else the reference. */
export const splitHeadsLegal = (x: tf.Tensor3D, parts: number, heads: number): tf.Tensor3D[] =>
  headsSimdApplies(x.shape[2] / (parts * heads))
    ? splitHeadsSimd(x, parts, heads)
    : splitHeadsPlain(x, parts, heads);

/** wasm rule: the copy kernels when `dh` is a multiple of 4, else the reference. */
export const mergeHeadsLegal = (parts: ReadonlyArray<tf.Tensor3D>, heads: number): tf.Tensor3D =>
  headsSimdApplies(parts[0]!.shape[2])
    ? mergeHeadsSimd(parts, heads)
    : mergeHeadsPlain(parts, heads);
