/**
 * The linear probe: multinomial logistic (softmax) regression on standardised frozen features,
 * the standard SSL evaluation (MoCo v3 `main_lincls.py`, DINO `eval_linear.py`), here trained with
 * Adam and a cosine learning-rate decay to zero. The objective is convex:
 *
 *   L(W, b) = mean_i CE(softmax(z_i W + b), y_i) + weightDecay / 2 * ||W||^2,
 *   z = (x - mean) / std   (train-split statistics, population std; constant features give 0)
 *
 * Parameters start at zero; full-batch training is deterministic, mini-batches are shuffled by
 * the seeded RNG.
 */
import { tf } from '../runtime/backend.js';
import { Rng } from '../compiler/ir/rng.js';
import { predictedClass } from './metrics.js';

/** Options of `trainLinearProbe`. */
export interface LinearProbeOptions {
  /** Passes over the training set. Default 300. */
  readonly epochs?: number;
  /** Peak Adam learning rate (cosine-decayed to 0). Default 0.05. */
  readonly learningRate?: number;
  /** L2 penalty on the weights (not the bias). Default 1e-4. */
  readonly weightDecay?: number;
  /** Samples per step; default: the whole training set (full batch). */
  readonly batchSize?: number;
  /** Seed of the mini-batch order. Default 0. */
  readonly seed?: number;
}

/** A trained probe: its parameters, standardisation and final training objective. */
export interface LinearProbe {
  /** Weights `[dim, nClasses]`, row-major, acting on standardised features. */
  readonly weights: Float32Array;
  /** Bias `[nClasses]`. */
  readonly bias: Float32Array;
  /** Train-split mean and std `[dim]` used to standardise inputs. */
  readonly mean: Float32Array;
  readonly std: Float32Array;
  /** The objective `L(W, b)` on the full training set after training. */
  readonly loss: number;
  /** Class indices `[n]` for raw features `[n, dim]`. */
  readonly predict: (features: Float32Array) => Int32Array;
}

/** Mean and population std of each column of `[n, dim]`; a std below 1e-8 becomes Infinity (the feature is dropped). */
export const columnStats = (
  x: Float32Array,
  dim: number,
): { mean: Float32Array; std: Float32Array } => {
  const n = x.length / dim;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += x[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) sq[j]! += (x[i * dim + j]! - mean[j]!) ** 2;
  const std = Float32Array.from(sq, (s) => {
    const v = Math.sqrt(s / n);
    return v < 1e-8 ? Infinity : v;
  });
  return { mean: Float32Array.from(mean), std };
};

const standardise = (
  x: Float32Array,
  dim: number,
  mean: Float32Array,
  std: Float32Array,
): Float32Array => x.map((v, i) => (v - mean[i % dim]!) / std[i % dim]!);

const objective = (
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  w: tf.Tensor,
  b: tf.Tensor,
  wd: number,
): tf.Scalar =>
  tf.losses
    .softmaxCrossEntropy(y, tf.add(tf.matMul(x, w), b))
    .add(tf.mul(tf.sum(tf.square(w)), wd / 2)) as tf.Scalar;

interface AdamState {
  readonly params: tf.Tensor[];
  readonly m: tf.Tensor[];
  readonly v: tf.Tensor[];
}

/** One Adam step (beta1 0.9, beta2 0.999, eps 1e-8) at learning rate `lr`, step number `t` (1-based). */
const adamStep = (s: AdamState, grads: tf.Tensor[], lr: number, t: number): AdamState => {
  const c1 = 1 - 0.9 ** t;
  const c2 = 1 - 0.999 ** t;
  const m = s.m.map((mi, i) => tf.add(tf.mul(mi, 0.9), tf.mul(grads[i]!, 0.1)));
  const v = s.v.map((vi, i) => tf.add(tf.mul(vi, 0.999), tf.mul(tf.square(grads[i]!), 0.001)));
  const params = s.params.map((p, i) =>
    tf.sub(p, tf.mul(tf.div(tf.div(m[i]!, c1), tf.add(tf.sqrt(tf.div(v[i]!, c2)), 1e-8)), lr)),
  );
  return { params, m, v };
};

const batches = (n: number, size: number, rng: Rng): number[][] => {
  if (size >= n) return [Array.from({ length: n }, (_, i) => i)];
  const order = rng.permutation(n);
  return Array.from({ length: Math.ceil(n / size) }, (_, k) =>
    order.slice(k * size, (k + 1) * size),
  );
};

const predictWith =
  (
    w: Float32Array,
    b: Float32Array,
    mean: Float32Array,
    std: Float32Array,
    dim: number,
    k: number,
  ) =>
  (features: Float32Array): Int32Array => {
    const n = features.length / dim;
    const out = new Int32Array(n);
    const z = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      z.set(b);
      for (let j = 0; j < dim; j++) {
        const x = (features[i * dim + j]! - mean[j]!) / std[j]!;
        for (let c = 0; c < k; c++) z[c]! += x * w[j * k + c]!;
      }
      out[i] = predictedClass(z);
    }
    return out;
  };

/**
 * Trains a softmax-regression probe on features `[n, dim]` with labels `[n]` in `[0, nClasses)`,
 * on the active TF.js backend. Leaks no tensors.
 */
export const trainLinearProbe = (
  features: Float32Array,
  labels: ArrayLike<number>,
  dim: number,
  nClasses: number,
  options: LinearProbeOptions = {},
): LinearProbe => {
  const n = features.length / dim;
  if (n !== labels.length || n === 0)
    throw new Error(`trainLinearProbe: ${n} feature rows but ${labels.length} labels`);
  const {
    epochs = 300,
    learningRate = 0.05,
    weightDecay = 1e-4,
    batchSize = n,
    seed = 0,
  } = options;
  const { mean, std } = columnStats(features, dim);
  const z = standardise(features, dim, mean, std);
  const rng = Rng.seeded(seed);
  const x = tf.tensor2d(z, [n, dim]);
  const y = tf.tidy(
    () =>
      tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), nClasses).toFloat() as tf.Tensor2D,
  );
  const zeros = (): tf.Tensor[] => [tf.zeros([dim, nClasses]), tf.zeros([nClasses])];
  let state: AdamState = { params: zeros(), m: zeros(), v: zeros() };
  const total = epochs * Math.ceil(n / Math.min(batchSize, n));
  let t = 0;
  for (let e = 0; e < epochs; e++) {
    for (const batch of batches(n, batchSize, rng)) {
      const lr = 0.5 * learningRate * (1 + Math.cos((Math.PI * t) / total));
      t += 1;
      const next = tf.tidy(() => {
        const idx = batch.length === n ? undefined : tf.tensor1d(batch, 'int32');
        const xb = idx ? (tf.gather(x, idx) as tf.Tensor2D) : x;
        const yb = idx ? (tf.gather(y, idx) as tf.Tensor2D) : y;
        // gradients for W and b only: the features are constants (no dX, no transposeB matmul)
        const g = tf.grads((w: tf.Tensor, b: tf.Tensor) => objective(xb, yb, w, b, weightDecay))([
          state.params[0]!,
          state.params[1]!,
        ]);
        const s = adamStep(state, g, lr, t);
        return [...s.params, ...s.m, ...s.v];
      });
      tf.dispose([...state.params, ...state.m, ...state.v]);
      state = { params: next.slice(0, 2), m: next.slice(2, 4), v: next.slice(4, 6) };
    }
  }
  const loss = tf.tidy(
    () => objective(x, y, state.params[0]!, state.params[1]!, weightDecay).dataSync()[0]!,
  );
  const weights = Float32Array.from(state.params[0]!.dataSync());
  const bias = Float32Array.from(state.params[1]!.dataSync());
  tf.dispose([x, y, ...state.params, ...state.m, ...state.v]);
  return {
    weights,
    bias,
    mean,
    std,
    loss,
    predict: predictWith(weights, bias, mean, std, dim, nClasses),
  };
};
