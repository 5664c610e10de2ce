/**
 * Lowering of `Memory` nodes (ST-STORM's style bank and replay of past generated images,
 * methods.md 3.4): state of the compiled step that lives across steps. Each memory is a deque of
 * its last `size` samples, oldest first. Evaluating the node replaces `round(ratio * batch)` random
 * positions of the batch with samples drawn uniformly from what the memory held BEFORE this step
 * (an empty memory returns the batch unchanged), then records the batch (detached) to be pushed at
 * `afterStep()`, so a node evaluated twice in a step pushes once. Draws come from the step's
 * stream forked by the node's name, and `snapshot()` / `restore()` carry the exact contents through
 * a checkpoint: a resumed run makes the same draws.
 */
import * as tf from '@tensorflow/tfjs';
import { gatherBatch } from './kernels/simdLayout.js';
import type { ValueExpr } from '../ir/node.js';
import type { Rng } from '../ir/rng.js';

type MemoryNode = Extract<ValueExpr, { _tag: 'Memory' }>;

/** The memories of a compiled step, by node name. */
export interface MemoryState {
  /** The batch `source` with stored samples mixed in (see the module comment). */
  sample(node: MemoryNode, source: tf.Tensor, rng: Rng): tf.Tensor;
  /** Pushes the batches recorded during the step, dropping the oldest beyond `size`. */
  afterStep(): void;
  /** The stored samples `[n, ...]` of every non-empty memory, oldest first (shared, do not dispose). */
  snapshot(): Readonly<Record<string, tf.Tensor>>;
  /** Replaces the contents of the memories named in `contents` (copies the tensors). */
  restore(contents: Readonly<Record<string, tf.Tensor>>): void;
  /** Frees the stored and pending tensors. */
  dispose(): void;
}

/** `k` distinct batch positions out of `batch`, and `k` stored indices out of `stored`. */
const draws = (
  rng: Rng,
  batch: number,
  stored: number,
  k: number,
): { positions: number[]; picks: number[] } => {
  const positions = rng.permutation(batch).slice(0, k);
  const picks = positions.map(() => rng.int(0, stored));
  return { positions, picks };
};

/** Number of positions a memory of this ratio replaces in a batch. */
export const replacedCount = (ratio: number, batch: number): number =>
  Math.min(batch, Math.max(0, Math.round(ratio * batch)));

/** A fresh, empty `MemoryState`. */
export const createMemoryState = (): MemoryState => {
  const stored = new Map<string, tf.Tensor>();
  const pending = new Map<string, { readonly batch: tf.Tensor; readonly size: number }>();
  const sample = (node: MemoryNode, source: tf.Tensor, rng: Rng): tf.Tensor => {
    const prev = pending.get(node.name);
    if (prev === undefined)
      pending.set(node.name, { batch: tf.keep(source.clone()), size: node.size });
    const bank = stored.get(node.name);
    const batch = source.shape[0]!;
    const k = replacedCount(node.ratio, batch);
    if (bank === undefined || k === 0) return source.clone();
    const { positions, picks } = draws(rng.fork(`memory:${node.name}`), batch, bank.shape[0]!, k);
    const rows = Array.from({ length: batch }, (_, i) => i);
    // index into [source; picked]: replaced positions point past the batch
    positions.forEach((p, j) => (rows[p] = batch + j));
    return tf.tidy(() =>
      gatherBatch(
        tf.concat([source, gatherBatch(bank, tf.tensor1d(picks, 'int32'))], 0),
        tf.tensor1d(rows, 'int32'),
      ),
    );
  };
  const afterStep = (): void => {
    for (const [name, { batch, size }] of pending) {
      const old = stored.get(name);
      const joined = old === undefined ? batch : tf.concat([old, batch], 0);
      const n = joined.shape[0]!;
      const kept = n > size ? joined.slice(n - size) : joined;
      if (kept !== joined) joined.dispose();
      if (kept !== batch) batch.dispose();
      old?.dispose();
      stored.set(name, kept);
    }
    pending.clear();
  };
  const restore = (contents: Readonly<Record<string, tf.Tensor>>): void => {
    for (const [name, t] of Object.entries(contents)) {
      stored.get(name)?.dispose();
      stored.set(name, t.clone());
    }
  };
  const dispose = (): void => {
    stored.forEach((t) => t.dispose());
    pending.forEach((p) => p.batch.dispose());
    stored.clear();
    pending.clear();
  };
  return { sample, afterStep, snapshot: () => Object.fromEntries(stored), restore, dispose };
};
