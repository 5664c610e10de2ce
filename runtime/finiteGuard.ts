/**
 * The non-finite guard of the training loop. Before a step it takes a zero-copy snapshot of the
 * whole training state (weights, EMA targets, buffers, optimizer moments and step counts, loss
 * queues): each tensor is re-referenced with a same-shape reshape, which on `wasm`, `cpu` and
 * `tensorflow` shares the buffer and only adds a reference count. After the step one fused
 * reduction (`sum(x * 0)` over every float tensor, zero iff all are finite) and the weighted loss
 * decide whether the step is kept; a non-finite step is rolled back to the snapshot, so nothing
 * it computed survives.
 */
import * as tf from '@tensorflow/tfjs';
import type { CompiledMethod, StepMetrics, StepOptions } from './compiled.js';

/** The training state before a step, by reference (no copy). */
export interface StateSnapshot {
  readonly variables: ReadonlyArray<readonly [tf.Variable, tf.Tensor]>;
  readonly optimizer: Readonly<Record<string, tf.Tensor>>;
}

const alias = (t: tf.Tensor): tf.Tensor => tf.keep(tf.reshape(t, t.shape));

/** Takes a snapshot of `compiled`'s state before a step; release it with `releaseSnapshot`. */
export const takeSnapshot = (compiled: CompiledMethod): StateSnapshot => ({
  variables: Object.values(compiled.variables()).map((v) => [v, alias(v)] as const),
  optimizer: Object.fromEntries(
    Object.entries(compiled.optimizerState()).map(([k, t]) => [k, alias(t)]),
  ),
});

/** Frees a snapshot (the live state is untouched). */
export const releaseSnapshot = (s: StateSnapshot): void => {
  s.variables.forEach(([, t]) => t.dispose());
  Object.values(s.optimizer).forEach((t) => t.dispose());
};

/** Puts the state of `s` back into `compiled` (weights, optimizer state and step counts, loss queues), then frees `s`. */
export const restoreSnapshot = (compiled: CompiledMethod, s: StateSnapshot): void => {
  for (const [v, t] of s.variables) v.assign(t);
  compiled.loadOptimizerState(s.optimizer);
  releaseSnapshot(s);
};

const floatTensors = (compiled: CompiledMethod): Array<readonly [string, tf.Tensor]> =>
  [
    ...Object.entries(compiled.variables()),
    ...Object.entries(compiled.optimizerState()).map(([k, t]) => [`optimizer/${k}`, t] as const),
  ].filter(([, t]) => t.dtype === 'float32');

/** True when every float tensor of the training state is finite: one fused reduction and one read. */
export const stateIsFinite = (compiled: CompiledMethod): boolean => {
  const tensors = floatTensors(compiled);
  if (tensors.length === 0) return true;
  const total = tf.tidy(() => tf.addN(tensors.map(([, t]) => tf.sum(tf.mul(t, 0)))));
  const value = total.dataSync()[0]!;
  total.dispose();
  return value === 0;
};

/** Names of the state tensors holding a NaN or an infinity (the slow path, after `stateIsFinite` failed). */
export const nonFiniteTensors = (compiled: CompiledMethod): string[] =>
  floatTensors(compiled).flatMap(([name, t]) => {
    const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(t))));
    const yes = bad.dataSync()[0] === 1;
    bad.dispose();
    return yes ? [name] : [];
  });

/** What went non-finite in a step: the weighted loss, the terms, the state tensors. */
export interface NonFinite {
  readonly step: number;
  /** `loss` (weighted total), `loss/<term>`, then state tensor names. */
  readonly what: ReadonlyArray<string>;
  readonly terms: Readonly<Record<string, number>>;
  readonly weighted: number;
}

/** Describes a non-finite step from its metrics and the state (call before rolling back). */
export const describeNonFinite = (compiled: CompiledMethod, m: StepMetrics): NonFinite => {
  const terms = Object.entries(m.terms)
    .filter(([, v]) => !Number.isFinite(v))
    .map(([k]) => `loss/${k}`);
  const weighted = Number.isFinite(m.weighted) ? [] : ['loss'];
  return {
    step: m.step,
    what: [...weighted, ...terms, ...nonFiniteTensors(compiled)],
    terms: m.terms,
    weighted: m.weighted,
  };
};

/**
 * Runs `compiled.step` guarded: the state after the step is kept only when the weighted loss and
 * every state tensor are finite; otherwise the state before it is restored and the reasons are
 * returned (`nonFinite`).
 */
export const guardedStep = (
  compiled: CompiledMethod,
  images: tf.Tensor4D,
  at: { readonly step: number; readonly totalSteps: number },
  options?: StepOptions,
): { readonly metrics: StepMetrics; readonly nonFinite?: NonFinite } => {
  const before = takeSnapshot(compiled);
  let metrics: StepMetrics;
  try {
    metrics = compiled.step(images, at, options);
  } catch (e) {
    releaseSnapshot(before);
    throw e;
  }
  if (
    Number.isFinite(metrics.weighted) &&
    Object.values(metrics.terms).every(Number.isFinite) &&
    stateIsFinite(compiled)
  ) {
    releaseSnapshot(before);
    return { metrics };
  }
  const nonFinite = describeNonFinite(compiled, metrics);
  restoreSnapshot(compiled, before);
  return { metrics, nonFinite };
};

/** The `metrics.jsonl` line of a skipped step: `{ step, skipped: "non-finite", nonFinite: [...], inARow, skippedTotal }`. */
export const skippedLine = (n: NonFinite, inARow: number, total: number): string =>
  `${JSON.stringify({ step: n.step, skipped: 'non-finite', nonFinite: n.what, inARow, skippedTotal: total })}\n`;
