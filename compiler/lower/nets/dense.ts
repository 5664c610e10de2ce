/**
 * Dense layers: Linear, MoCo v3's Mlp, normalisations (batch / layer / instance) and activations.
 * Linear layers accept vectors `[B, in]` and tokens `[B, N, in]` (applied on the last axis, as one
 * 2-D product on `[B*N, in]`, the fast path on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation, ActivationFn, Linear, Mlp, Norm } from '../../ir/net.js';
import { mlpNorm } from '../../ir/params/layers.js';
import { withGrad } from '../legalize/custom.js';
import { geluSimd, geluSimdApplies } from '../kernels/simdGelu.js';
import {
  layerNormForwardSimd,
  layerNormGradSimd,
  layerNormSimdApplies,
} from '../kernels/simdLayerNorm.js';
import { batchNormTrain, type Affine } from './batchNorm.js';
import { port, type NetRule, type Scope } from './rule.js';

/** `x [..., in] . weight [in, out] (+ bias) -> [..., out]` in `scope`. */
export const applyLinear = (scope: Scope, x: tf.Tensor, bias: boolean): tf.Tensor => {
  const w = scope.param('weight') as tf.Tensor2D;
  const [inDim, out] = w.shape;
  const y = scope.kernels.dense(
    x.reshape([-1, inDim]) as tf.Tensor2D,
    w,
    bias ? scope.param('bias') : undefined,
  );
  return y.reshape([...x.shape.slice(0, -1), out]);
};

/** `Linear`: `[B, in] -> [B, out]` (or tokens). Weight init by `init` scheme, bias zero. */
export const linearRule: NetRule<Linear> = {
  apply: (n, s, i) => applyLinear(s, port(i, 'x'), n.bias),
};

/** PyTorch's BatchNorm momentum: `running = 0.9 running + 0.1 batch` (variance unbiased). */
const BN_MOMENTUM = 0.1;

/** BatchNorm in evaluation: the running statistics. */
const batchNormEval = (s: Scope, x: tf.Tensor, eps: number): tf.Tensor =>
  tf.div(tf.sub(x, s.param('movingMean')), tf.sqrt(tf.add(s.param('movingVar'), eps)));

/**
 * BatchNorm in training (`batchNorm.ts`: statistics per view group, one taped op), and the
 * running statistics updated once per group, in order, as separate calls would.
 */
const batchNormTraining = (s: Scope, x: tf.Tensor, eps: number, affine?: Affine): tf.Tensor => {
  const g = s.groups;
  const { y, mean, variance } = batchNormTrain(s.kernels, x, g, eps, affine);
  const n = x.size / x.shape[x.rank - 1]! / g;
  const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
  let movingMean = s.param('movingMean');
  let movingVar = s.param('movingVar');
  for (let k = 0; k < g; k++) {
    const [m, v] = [
      mean.slice([k, 0], [1, -1]).reshape([-1]),
      unbiased.slice([k, 0], [1, -1]).reshape([-1]),
    ];
    movingMean = tf.add(tf.mul(movingMean, 1 - BN_MOMENTUM), tf.mul(m, BN_MOMENTUM));
    movingVar = tf.add(tf.mul(movingVar, 1 - BN_MOMENTUM), tf.mul(v, BN_MOMENTUM));
  }
  tf.dispose([mean, variance]);
  s.setBuffer('movingMean', movingMean);
  s.setBuffer('movingVar', movingVar);
  return y;
};

/** Normalises `x` (no affine part) over the axes `kind` says. */
const normalise = (s: Scope, kind: Norm['kind'], x: tf.Tensor, eps: number): tf.Tensor => {
  if (kind === 'batch') return batchNormEval(s, x, eps);
  if (kind === 'layer') return layerNormalise(x, eps);
  const axes = x.shape.slice(1, -1).map((_, i) => i + 1);
  const { mean, variance } = tf.moments(x, axes, true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
};

/**
 * `(x - mean) / sqrt(var + eps)` over the last axis (the values `tf.moments` gives), one taped op
 * with the closed-form gradient `dx = (dy - mean(dy) - y * mean(dy * y)) / sqrt(var + eps)`: on
 * wasm one SIMD pass each way (`kernels/simdLayerNorm.ts`), elsewhere 7 backward kernels instead
 * of the ~20 TF.js derives through `moments` (kernel dispatch dominates small ViT steps on wasm).
 */
export const layerNormalise = (x: tf.Tensor, eps: number): tf.Tensor =>
  layerNormSimdApplies(x) ? layerNormaliseSimd(x, eps) : layerNormaliseOps(x, eps);

/** `layerNormalise` on tessera's wasm SIMD kernels (`kernels/simdLayerNorm.ts`). */
const layerNormaliseSimd = (x: tf.Tensor, eps: number): tf.Tensor =>
  withGrad<tf.Tensor>(([xi], save) => {
    const [y, rstd] = layerNormForwardSimd(xi!, eps);
    save([y, rstd]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor =>
      layerNormGradSimd(saved[0]!, saved[1]!, dy);
    return { value: y, gradFunc };
  })(x);

/** `layerNormalise` as TF.js ops (every backend; the reference of the SIMD kernels). */
export const layerNormaliseOps = (x: tf.Tensor, eps: number): tf.Tensor =>
  withGrad<tf.Tensor>(([xi], save) => {
    const axis = xi!.rank - 1;
    const centred = tf.sub(xi!, tf.mean(xi!, axis, true));
    const std = tf.sqrt(tf.add(tf.mean(tf.square(centred), axis, true), eps));
    const y = tf.div(centred, std);
    save([y, std]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
      const [ys, stds] = saved as [tf.Tensor, tf.Tensor];
      const dyy = tf.mean(tf.mul(dy, ys), axis, true);
      return tf.div(tf.sub(tf.sub(dy, tf.mean(dy, axis, true)), tf.mul(ys, dyy)), stds);
    };
    return { value: y, gradFunc };
  })(x);

/** Applies a norm in `scope` (affine with `gamma`, `beta` when `affine`). */
export const applyNorm = (
  s: Scope,
  kind: Norm['kind'],
  x: tf.Tensor,
  affine: boolean,
  eps: number,
): tf.Tensor => {
  if (kind === 'batch' && s.training)
    return batchNormTraining(
      s,
      x,
      eps,
      affine ? { gamma: s.param('gamma'), beta: s.param('beta') } : undefined,
    );
  const y = normalise(s, kind, x, eps);
  return affine ? s.kernels.affine(y, s.param('gamma'), s.param('beta')) : y;
};

/**
 * `Norm`: batch (statistics over every axis but the last; running stats in eval), layer (last
 * axis) or instance (spatial axes of an image, per sample and channel). Shape unchanged.
 */
export const normRule: NetRule<Norm> = {
  apply: (n, s, i) => applyNorm(s, n.kind, port(i, 'x'), n.affine, n.eps),
};

/** `1 / sqrt(2 pi)`: the standard normal density at 0. */
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact (erf) GELU, as PyTorch's default `nn.GELU`: `x/2 (1 + erf(x / sqrt 2))`. On wasm, tessera's
 * SIMD kernel (`kernels/simdGelu.ts`: one pass forward, one backward); elsewhere `geluOps`, one
 * taped op whose gradient `Phi(x) + x phi(x)` reuses the forward's `1 + erf` (no second erf, 8
 * backward kernels instead of ~11).
 */
export const gelu = (x: tf.Tensor): tf.Tensor => (geluSimdApplies(x) ? geluSimd(x) : geluOps(x));

/** GELU as TF.js element-wise ops (every backend; the reference of the SIMD kernel). */
export const geluOps = (x: tf.Tensor): tf.Tensor =>
  withGrad<tf.Tensor>(([xi], save) => {
    const onePlusErf = tf.add(1, tf.erf(tf.mul(xi!, Math.SQRT1_2)));
    save([xi!, onePlusErf]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
      const [xs, t] = saved as [tf.Tensor, tf.Tensor];
      const density = tf.mul(tf.exp(tf.mul(tf.square(xs), -0.5)), INV_SQRT_2PI);
      return tf.mul(dy, tf.add(tf.mul(t, 0.5), tf.mul(xs, density)));
    };
    return { value: tf.mul(tf.mul(xi!, 0.5), onePlusErf), gradFunc };
  })(x);

/** An element-wise activation; `alpha` is the leaky-ReLU slope. */
export const activate = (fn: ActivationFn, x: tf.Tensor, alpha = 0.2): tf.Tensor => {
  switch (fn) {
    case 'relu':
      return tf.relu(x);
    case 'gelu':
      return gelu(x);
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
    case 'leakyRelu':
      return tf.leakyRelu(x, alpha);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softplus':
      return tf.softplus(x);
    case 'identity':
      return x;
  }
};

/** `Activation`: element-wise, shape unchanged. */
export const activationRule: NetRule<Activation> = {
  apply: (n, _s, i) => activate(n.fn, port(i, 'x'), n.alpha),
};

/** PyTorch's BatchNorm eps. */
const BN_EPS = 1e-5;

/**
 * `Mlp` (MoCo v3 `_build_mlp`): `(layers - 1) x [Linear -> norm -> activation]`, final Linear,
 * optional last batch norm (with or without affine). `[B, in] -> [B, out]`. Linears use PyTorch's
 * default init (U(+-1/sqrt(in)), as MoCo v3's nn.Linear); norm eps 1e-5 (PyTorch's default).
 */
export const mlpRule: NetRule<Mlp> = {
  apply: (n, s, i) => {
    let x = port(i, 'x');
    for (let l = 0; l < n.layers; l++) {
      const layer = s.at(`layers.${l}`);
      x = applyLinear(layer.at('linear'), x, n.bias);
      const norm = mlpNorm(n, l);
      if (norm) x = applyNorm(layer.at('norm'), norm.kind, x, norm.affine, BN_EPS);
      if (l < n.layers - 1) x = activate(n.activation, x);
    }
    return x;
  },
};
