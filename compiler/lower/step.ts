/**
 * The pure compiled step of one objective: parameters (read through `ctx.store`), the batch, the
 * step's rng and progress in; the loss terms, the gradients of their weighted sum with respect to
 * the trainable parameters, and the new buffer values (BatchNorm statistics...) out. It assigns
 * nothing: the runtime (`runtime/compiled.ts`) owns the variables, applies the optimizer, writes
 * the buffers back and runs the EMA updates (the split of JAX/optax: a pure step, state outside).
 */
import * as tf from '@tensorflow/tfjs';
import type { NodeId } from '../ir/graph.js';
import { evaluateSchedule } from '../ir/schedule.js';
import { ancestors, type ObjectivePlan } from '../passes/plan.js';
import { evaluateNodes, type EvalContext } from './evaluate.js';
import type { Lowered } from './nets/index.js';

/** What evaluating an objective needs: everything but the buffer updates, which it returns. */
export type StepContext = Omit<EvalContext, 'buffers'>;

/** The outputs of one objective's step. The caller disposes every tensor. */
export interface ObjectiveStep {
  /** Each loss term's (unweighted) value, in the objective's term order. */
  readonly terms: ReadonlyArray<{ readonly name: string; readonly value: tf.Scalar }>;
  /** The gradient of the weighted loss sum per trainable path (absent where none flows). */
  readonly grads: Readonly<Record<string, tf.Tensor>>;
  /** New buffer values by `module/path`. */
  readonly buffers: ReadonlyMap<string, tf.Tensor>;
  /** The weighted loss sum the gradients are of (what the optimizer minimises). */
  readonly weighted: tf.Scalar;
}

const scalarOf = (v: Lowered | undefined): tf.Scalar => {
  if (v instanceof tf.Tensor) return v as tf.Scalar;
  throw new Error('internal: loss node did not produce a scalar');
};

/**
 * Runs `plan`: the nodes no gradient flows through first (stop-gradient targets, as constants),
 * then the taped nodes and the weighted loss sum under one gradient computation with respect to
 * `trainable` (`module/path` -> tensor; parameters read by the nodes, e.g. the runtime's variables).
 * `weights`: the current values of adaptive term weights, by term name (the other terms evaluate
 * their schedule at `base.progress`).
 */
export const objectiveStep = (
  plan: ObjectivePlan,
  trainable: Readonly<Record<string, tf.Tensor>>,
  base: StepContext,
  weights: ReadonlyMap<string, tf.Scalar> = new Map(),
): ObjectiveStep => {
  const values = new Map<NodeId, Lowered>();
  const buffers = new Map<string, tf.Tensor>();
  const ctx: EvalContext = { ...base, buffers };
  evaluateNodes(plan.constant, values, ctx);
  const terms: Array<{ name: string; value: tf.Scalar }> = [];
  const paths = Object.keys(trainable);
  const { value, grads } = tf.engine().gradients(
    () => {
      evaluateNodes(plan.taped, values, ctx);
      const weighted = plan.terms.map((t) => {
        const loss = scalarOf(values.get(t.node));
        terms.push({ name: t.name, value: tf.keep(loss.clone()) });
        return tf.mul(loss, weights.get(t.name) ?? evaluateSchedule(t.weight, base.progress));
      });
      const total = (weighted.length === 0 ? tf.scalar(0) : tf.addN(weighted)) as tf.Scalar;
      base.trace?.(`backward:${plan.objective.name}`);
      return total;
    },
    paths.map((p) => trainable[p]!),
    undefined,
    true,
  );
  const byPath: Record<string, tf.Tensor> = {};
  paths.forEach((p, i) => {
    if (grads[i] != null) byPath[p] = grads[i]!;
  });
  return { terms, grads: byPath, buffers, weighted: value as tf.Scalar };
};

/**
 * The features `[n, d]` of the representation `name` at `node`, in inference mode (`ctx.training`
 * false): its ancestors evaluated, buffer updates discarded, a non-vector output flattened.
 */
export const embedStep = (name: string, node: NodeId, base: StepContext): tf.Tensor2D =>
  tf.tidy(() => {
    const values = new Map<NodeId, Lowered>();
    const ctx: EvalContext = { ...base, buffers: new Map() };
    evaluateNodes(
      ancestors(base.graph, [node]).map((n) => n.id),
      values,
      ctx,
    );
    ctx.buffers.forEach((t) => t.dispose());
    const out = values.get(node);
    if (!(out instanceof tf.Tensor)) throw new Error(`representation "${name}" is not a tensor`);
    return (out.rank === 2 ? out : out.reshape([out.shape[0]!, -1])) as tf.Tensor2D;
  });
