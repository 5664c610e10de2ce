/**
 * The weighted k-nearest-neighbour probe of InstDisc (Wu et al., CVPR 2018 [0]) as used by DINO
 * (`eval_knn.py` [1]): features are L2-normalised, similarity is cosine, each of the k nearest
 * training samples votes for its class with weight `exp(sim / temperature)`, and the class with
 * the largest total wins (ties go to the lower class index).
 *
 * [0] https://arxiv.org/abs/1805.01978  [1] https://github.com/facebookresearch/dino/blob/main/eval_knn.py
 *
 * Similarities are computed in blocks of test rows (`[blockSize, nTrain]` at a time), so 10k x 10k
 * never holds the full matrix.
 */

import { predictedClass } from './metrics.js';

/** Options of `knnPredict`. */
export interface KnnOptions {
  /** Neighbours per query. Default 20 (DINO). Capped at the training-set size. */
  readonly k?: number;
  /** Vote weight temperature. Default 0.07 (DINO). */
  readonly temperature?: number;
  /** Test rows per similarity block. Default 256. */
  readonly blockSize?: number;
}

/** Row-wise L2-normalised copy of a `[n, dim]` matrix (zero rows stay zero). */
export const l2Normalize = (data: Float32Array, dim: number): Float32Array => {
  const out = new Float32Array(data.length);
  for (let r = 0; r < data.length / dim; r++) {
    let s = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) s += data[j]! * data[j]!;
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let j = r * dim; j < (r + 1) * dim; j++) out[j] = data[j]! * inv;
  }
  return out;
};

/** Similarities of test rows `[r0, r1)` to every training row: `[r1 - r0, nTrain]` (four test rows per pass over a training row). */
const similarityBlock = (
  test: Float32Array,
  train: Float32Array,
  dim: number,
  r0: number,
  r1: number,
  out: Float32Array,
): void => {
  const nTrain = train.length / dim;
  let r = r0;
  for (; r + 4 <= r1; r += 4) {
    const q = r * dim;
    const o = (r - r0) * nTrain;
    for (let t = 0; t < nTrain; t++) {
      const p = t * dim;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let j = 0; j < dim; j++) {
        const v = train[p + j]!;
        s0 += test[q + j]! * v;
        s1 += test[q + dim + j]! * v;
        s2 += test[q + 2 * dim + j]! * v;
        s3 += test[q + 3 * dim + j]! * v;
      }
      out[o + t] = s0;
      out[o + nTrain + t] = s1;
      out[o + 2 * nTrain + t] = s2;
      out[o + 3 * nTrain + t] = s3;
    }
  }
  for (; r < r1; r++) {
    const q = r * dim;
    const o = (r - r0) * nTrain;
    for (let t = 0; t < nTrain; t++) {
      const p = t * dim;
      let s = 0;
      for (let j = 0; j < dim; j++) s += test[q + j]! * train[p + j]!;
      out[o + t] = s;
    }
  }
};

/** Indices of the k largest entries of `row[from, from + n)`, in any order (deterministic on ties). */
const topK = (
  row: Float32Array,
  from: number,
  n: number,
  k: number,
  idx: Int32Array,
  val: Float32Array,
): void => {
  let size = 0;
  let minAt = 0;
  for (let t = 0; t < n; t++) {
    const v = row[from + t]!;
    if (size < k) {
      idx[size] = t;
      val[size] = v;
      size++;
      if (size === k) minAt = argmin(val, k);
    } else if (v > val[minAt]!) {
      idx[minAt] = t;
      val[minAt] = v;
      minAt = argmin(val, k);
    }
  }
};

const argmin = (val: Float32Array, k: number): number => {
  let m = 0;
  for (let i = 1; i < k; i++) if (val[i]! <= val[m]!) m = i;
  return m;
};

/**
 * Predicts a class for each test row `[nTest, dim]` from training rows `[nTrain, dim]` and their
 * labels (class indices in `[0, nClasses)`). Returns `[nTest]` class indices.
 */
export const knnPredict = (
  train: Float32Array,
  trainLabels: ArrayLike<number>,
  test: Float32Array,
  dim: number,
  nClasses: number,
  options: KnnOptions = {},
): Int32Array => {
  const nTrain = train.length / dim;
  if (nTrain !== trainLabels.length)
    throw new Error(`knnPredict: ${nTrain} training rows but ${trainLabels.length} labels`);
  if (nTrain === 0) throw new Error('knnPredict: empty training set');
  const k = Math.min(options.k ?? 20, nTrain);
  const temperature = options.temperature ?? 0.07;
  const blockSize = options.blockSize ?? 256;
  const a = l2Normalize(train, dim);
  const b = l2Normalize(test, dim);
  const nTest = test.length / dim;
  const sims = new Float32Array(Math.min(blockSize, nTest) * nTrain);
  const idx = new Int32Array(k);
  const val = new Float32Array(k);
  const votes = new Float64Array(nClasses);
  const out = new Int32Array(nTest);
  for (let r0 = 0; r0 < nTest; r0 += blockSize) {
    const r1 = Math.min(nTest, r0 + blockSize);
    similarityBlock(b, a, dim, r0, r1, sims);
    for (let r = r0; r < r1; r++) {
      topK(sims, (r - r0) * nTrain, nTrain, k, idx, val);
      votes.fill(0);
      for (let i = 0; i < k; i++) votes[trainLabels[idx[i]!]!]! += Math.exp(val[i]! / temperature);
      out[r] = predictedClass(votes);
    }
  }
  return out;
};
