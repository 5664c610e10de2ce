/**
 * Contrastive loss kernels: InfoNCE (MoCo v3), InfoNCEQueue (MoCo v2, ST-STORM's semantic branch)
 * and PatchNCE (CUT, ST-STORM's content preservation). Cross-entropy is `logSumExp - positive`
 * on plain 2-D matmuls in both directions (`kernels/matmul.ts`: never `transposeA`/`transposeB`,
 * 10-30x slower on wasm); positions are selected by one-hot matmuls (gather has no gradient on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import type { InfoNCE, InfoNCEQueue, PatchNce } from '../../ir/loss.js';
import { evaluateSchedule } from '../../ir/schedule.js';
import { matMul2d, matMulConstLeft, matMulT } from '../kernels/matmul.js';
import { inputTensor, l2Normalize, type LossKernel, type Lowered } from './context.js';

/** `mean_r (logSumExp(logits[r, :]) - positive[r])`: cross-entropy with the given positive logits. */
const crossEntropy = (logits: tf.Tensor2D, positive: tf.Tensor1D): tf.Scalar =>
  tf.mean(tf.sub(tf.logSumExp(logits, 1), positive));

/**
 * MoCo v3's contrastive loss `CE(norm(q) norm(k)^T / tau, labels = diag)`, times `2 tau` when
 * `scale = 'twoTau'`. The temperature is a schedule evaluated at `ctx.progress`.
 *
 * @param query `[B, D]` (predictor output of one view)
 * @param key `[B, D]` (momentum encoder output of the other view; a constant for the gradient)
 * @see [0] Chen, Xie, He. An Empirical Study of Training Self-Supervised ViTs. ICCV 2021.
 * @see [1] facebookresearch/moco-v3 `moco/builder.py` `contrastive_loss`.
 */
export const infoNceKernel: LossKernel<InfoNCE> = (loss, inputs, ctx) =>
  tf.tidy(() => {
    const tau = evaluateSchedule(loss.temperature, ctx.progress);
    const q = l2Normalize(inputTensor(inputs, 'query', 'InfoNCE') as tf.Tensor2D);
    const k = l2Normalize(inputTensor(inputs, 'key', 'InfoNCE') as tf.Tensor2D);
    const logits = tf.div(matMulT(q, k), tau) as tf.Tensor2D; // [B, B]
    const positive = tf.div(tf.sum(tf.mul(q, k), 1), tau) as tf.Tensor1D; // the diagonal
    const ce = crossEntropy(logits, positive);
    return loss.scale === 'twoTau' ? tf.mul(ce, 2 * tau) : ce;
  });

/** A stable key per loss node object, for queues when the context names no term. */
const nodeKeys = new WeakMap<object, string>();
let nodeKeyCounter = 0;
const queueKey = (loss: InfoNCEQueue, term: string | undefined): string => {
  if (term !== undefined) return term;
  const hit = nodeKeys.get(loss);
  if (hit) return hit;
  const made = `InfoNCEQueue#${nodeKeyCounter++}`;
  nodeKeys.set(loss, made);
  return made;
};

/**
 * MoCo v2-style InfoNCE with a FIFO queue of past keys: `CE([q k+, q Q] / tau, 0)` on
 * L2-normalised vectors, where `Q` is the queue `[D, K]` in `ctx.state` (created on first use as
 * `queueSize` random unit vectors). The step's keys are recorded with `state.defer` and enqueued
 * when the runtime calls `state.afterStep()` after the optimizer step (RT-STORM order: optimizer
 * step, enqueue, EMA update).
 *
 * @param query `[B, D]`
 * @param key `[B, D]` (the positive; a constant for the gradient)
 * @see [0] He et al. Momentum Contrast for Unsupervised Visual Representation Learning. CVPR 2020.
 * @see [1] Hamedkiri/RT-STORM-V2 `models/semantic_moco_jepa.py`; facebookresearch/moco `builder.py`.
 */
export const infoNceQueueKernel: LossKernel<InfoNCEQueue> = (loss, inputs, ctx) => {
  const qIn = inputTensor(inputs, 'query', 'InfoNCEQueue') as tf.Tensor2D;
  const kIn = inputTensor(inputs, 'key', 'InfoNCEQueue') as tf.Tensor2D;
  const key = queueKey(loss, ctx.term);
  const queue = ctx.state.queue(key, qIn.shape[1], loss.queueSize, ctx.rng.fork('queue'));
  if (queue.shape[0] !== qIn.shape[1] || kIn.shape[1] !== qIn.shape[1]) {
    throw new Error(
      `InfoNCEQueue: query [${qIn.shape.join(', ')}], key [${kIn.shape.join(', ')}] and queue "${key}" [${queue.shape.join(', ')}] disagree on the feature size`,
    );
  }
  ctx.state.defer(key, kIn);
  return tf.tidy(() => {
    const tau = evaluateSchedule(loss.temperature, ctx.progress);
    const q = l2Normalize(qIn);
    const k = l2Normalize(kIn);
    const positive = tf.div(tf.sum(tf.mul(q, k), 1, true), tau) as tf.Tensor2D; // [B, 1]
    const negatives = tf.div(matMul2d(q, queue as tf.Tensor2D), tau) as tf.Tensor2D; // [B, K]
    return crossEntropy(
      tf.concat([positive, negatives], 1),
      tf.reshape(positive, [-1]) as tf.Tensor1D,
    );
  });
};

/** One-hot rows `[N, HW]` selecting the flat spatial positions `positions`. */
const selector = (positions: ReadonlyArray<number>, hw: number): tf.Tensor2D =>
  tf.oneHot(tf.tensor1d(positions as number[], 'int32'), hw).toFloat() as tf.Tensor2D;

/** Features `[B, H, W, C]` at flat positions, as `[B, N, C]`, L2-normalised over C. */
const featuresAt = (x: tf.Tensor4D, pick: tf.Tensor2D, pickT: tf.Tensor2D): tf.Tensor3D => {
  const [b, h, w, c] = x.shape;
  const n = pick.shape[0];
  const byPosition = tf.reshape(tf.transpose(tf.reshape(x, [b, h * w, c]), [1, 0, 2]), [
    h * w,
    b * c,
  ]);
  const picked = tf.reshape(matMulConstLeft(pick, pickT, byPosition as tf.Tensor2D), [
    n * b,
    c,
  ]) as tf.Tensor2D;
  return tf.transpose(tf.reshape(l2Normalize(picked), [n, b, c]), [1, 0, 2]);
};

/**
 * The deterministic core of PatchNCE on one feature map pair, for given flat positions
 * (`h * W + w`): for every image `b` and sampled position `i`, the key at the same position is
 * the positive and the keys at the other sampled positions of the same image the negatives;
 * features are L2-normalised per position (RT-STORM calls the loss on normalised features).
 * Mean over `B * N` rows. `query`, `key`: `[B, H, W, C]`.
 */
export const patchNceAt = (
  query: tf.Tensor4D,
  key: tf.Tensor4D,
  positions: ReadonlyArray<number>,
  temperature: number,
): tf.Scalar =>
  tf.tidy(() => {
    const pick = selector(positions, query.shape[1] * query.shape[2]);
    const pickT = tf.transpose(pick);
    const q = featuresAt(query, pick, pickT);
    const k = featuresAt(key, pick, pickT);
    const [b, n, c] = q.shape;
    const rows: tf.Scalar[] = [];
    for (let i = 0; i < b; i++) {
      const qi = tf.reshape(tf.slice(q, [i, 0, 0], [1, n, c]), [n, c]) as tf.Tensor2D;
      const ki = tf.reshape(tf.slice(k, [i, 0, 0], [1, n, c]), [n, c]) as tf.Tensor2D;
      const logits = tf.div(matMulT(qi, ki), temperature) as tf.Tensor2D;
      rows.push(
        crossEntropy(logits, tf.div(tf.sum(tf.mul(qi, ki), 1), temperature) as tf.Tensor1D),
      );
    }
    return tf.div(tf.addN(rows), b) as tf.Scalar;
  });

/** `min(patches, H W)` distinct flat positions drawn from `rng` (shared by query and key). */
const samplePositions = (
  hw: number,
  patches: number,
  rng: { permutation(n: number): number[] },
): number[] => rng.permutation(hw).slice(0, Math.min(patches, hw));

/** The feature maps of a PatchNCE input: one tensor, or every field of a struct (layers). */
const layersOf = (v: Lowered | undefined, field: string): Array<[string, tf.Tensor4D]> => {
  if (v === undefined) throw new Error(`PatchNce: input "${field}" is missing`);
  if (v instanceof tf.Tensor) return [['', v as tf.Tensor4D]];
  return Object.keys(v)
    .sort()
    .flatMap((name) =>
      layersOf(v[name], `${field}.${name}`).map(
        ([sub, t]) => [`${name}${sub ? '.' + sub : ''}`, t] as [string, tf.Tensor4D],
      ),
    );
};

/**
 * PatchNCE (CUT): `patches` random positions (without replacement, the same for query and key,
 * fresh per layer from `ctx.rng`), InfoNCE at temperature `loss.temperature` (0.07) with the other
 * sampled positions of the same image as negatives. A struct input (several layers) averages the
 * layers with equal weights. Differs from RT-STORM's `PatchNCELoss`, which also appends a
 * spatially permuted copy of the keys (duplicate negatives): this is the CUT form the IR names.
 *
 * @param query feature map `[B, h, w, C]` or a struct of them
 * @param key feature map `[B, h, w, C]` or a struct with the same fields
 * @see [0] Park et al. Contrastive Learning for Unpaired Image-to-Image Translation. ECCV 2020.
 * @see [1] Hamedkiri/RT-STORM-V2 `models/losses_nce.py` `PatchNCELoss`.
 */
export const patchNceKernel: LossKernel<PatchNce> = (loss, inputs, ctx) =>
  tf.tidy(() => {
    const qs = layersOf(inputs['query'], 'query');
    const ks = new Map(layersOf(inputs['key'], 'key'));
    const terms = qs.map(([name, q]) => {
      const k = ks.get(name);
      if (!k) throw new Error(`PatchNce: key has no layer "${name}" to match the query`);
      const positions = samplePositions(q.shape[1] * q.shape[2], loss.patches, ctx.rng);
      return patchNceAt(q, k, positions, loss.temperature);
    });
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
