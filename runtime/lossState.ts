/**
 * The loss state a compiled method owns (`LossState`, declared by the lowering's loss context):
 * InfoNCEQueue's key queues as variables `[D, K]`, created on first use, and the keys deferred to
 * after the optimizer step.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../compiler/ir/rng.js';
import { l2Norm, l2Normalize, type LossState } from '../compiler/lower/losses/index.js';

/** `[D, K]` columns of standard normals from `rng`, each scaled to unit norm. */
const randomUnitColumns = (dim: number, size: number, rng: Rng): tf.Tensor2D =>
  tf.tidy(() => {
    const values = Float32Array.from({ length: dim * size }, () => rng.normal());
    const m = tf.tensor2d(values, [dim, size]);
    return tf.div(m, l2Norm(m, 0, 1e-12));
  });

let queueCounter = 0;

/** A fresh, empty `LossState`. */
export const createLossState = (): LossState => {
  const queues = new Map<string, tf.Variable>();
  const pending = new Map<string, tf.Tensor2D>();
  const enqueue = (key: string, keys: tf.Tensor2D): void => {
    const q = queues.get(key);
    if (!q)
      throw new Error(
        `loss state: no queue "${key}" to enqueue into (it is created by the first forward pass)`,
      );
    const [dim, size] = q.shape as [number, number];
    if (keys.shape[1] !== dim)
      throw new Error(
        `loss state: queue "${key}" holds ${dim}-d keys, got [${keys.shape.join(', ')}]`,
      );
    tf.tidy(() => {
      const fresh = tf.transpose(l2Normalize(keys)); // [D, B]
      const b = Math.min(fresh.shape[1], size);
      const kept = tf.slice(q, [0, 0], [dim, size - b]);
      q.assign(tf.concat([tf.slice(fresh, [0, 0], [dim, b]), kept], 1));
    });
  };
  return {
    queues,
    queue: (key, dim, size, rng) => {
      const hit = queues.get(key);
      if (hit) return hit;
      const init = randomUnitColumns(dim, size, rng);
      const v = tf.variable(init, false, `lossQueue/${key}/${queueCounter++}`);
      init.dispose();
      queues.set(key, v);
      return v;
    },
    enqueue,
    defer: (key, keys) => {
      pending.get(key)?.dispose();
      pending.set(key, tf.keep(tf.clone(keys)));
    },
    afterStep: () => {
      for (const [key, keys] of pending) {
        enqueue(key, keys);
        keys.dispose();
      }
      pending.clear();
    },
    dispose: () => {
      for (const v of queues.values()) v.dispose();
      for (const t of pending.values()) t.dispose();
      queues.clear();
      pending.clear();
    },
  };
};
