/**
 * The adaptive term weights of a compiled method (`AdaptiveWeight` in `compiler/ir/node.ts`,
 * ST-STORM's lambda_styB): one scalar variable per adaptive term, keyed `<objective>.<term>`,
 * created at its `Constant` start, read by the objective's step and updated after it from the
 * term's value. State of the run: `compiled.ts` saves them with the optimizer state.
 */
import * as tf from '@tensorflow/tfjs';
import type { AdaptiveWeight } from '../compiler/ir/node.js';
import type { ObjectivePlan } from '../compiler/passes/plan.js';

/** The adaptive weights of a method. */
export interface AdaptiveWeights {
  /** Weight tensors of `plan`'s adaptive terms, by term name (shared, do not dispose). */
  of(plan: ObjectivePlan): ReadonlyMap<string, tf.Scalar>;
  /**
   * After `plan` ran at `step` with unweighted term values `values` (by term name): each adaptive
   * term with `step % every === 0` becomes `clip(w (1 + rate (d - target) / target), min, max)`.
   */
  update(plan: ObjectivePlan, step: number, values: ReadonlyMap<string, tf.Scalar>): void;
  /** Every weight variable, by `<objective>.<term>`. */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  /** Sets the weights named in `values` (a resumed run). */
  load(values: Readonly<Record<string, tf.Tensor>>): void;
  dispose(): void;
}

/** The next weight: `clip(w (1 + rate (d - target) / target), min, max)` (plain numbers, for checks). */
export const nextAdaptiveWeight = (a: AdaptiveWeight, w: number, d: number): number =>
  Math.min(a.max, Math.max(a.min, w * (1 + (a.rate * (d - a.target)) / a.target)));

const keyOf = (plan: ObjectivePlan, term: string): string => `${plan.objective.name}.${term}`;

/** The adaptive weights of `plans`, each at its term's `Constant` start. */
export const createAdaptiveWeights = (plans: ReadonlyArray<ObjectivePlan>): AdaptiveWeights => {
  const variables = new Map<string, tf.Variable>();
  for (const plan of plans)
    for (const t of plan.terms) {
      if (t.adaptive === undefined) continue;
      if (t.weight._tag !== 'Constant')
        throw new Error(
          `adaptive term ${keyOf(plan, t.name)}: its start weight must be a Constant`,
        );
      variables.set(keyOf(plan, t.name), tf.variable(tf.scalar(t.weight.value), false));
    }
  return {
    variables,
    of: (plan) =>
      new Map(
        plan.terms.flatMap((t) => {
          const v = variables.get(keyOf(plan, t.name));
          return v === undefined ? [] : [[t.name, v as tf.Scalar] as const];
        }),
      ),
    update: (plan, step, values) => {
      for (const t of plan.terms) {
        const a = t.adaptive;
        const v = variables.get(keyOf(plan, t.name));
        const d = values.get(t.name);
        if (a === undefined || v === undefined || d === undefined || step % a.every !== 0) continue;
        tf.tidy(() => {
          const scale = tf.add(1, tf.mul(a.rate / a.target, tf.sub(d, a.target)));
          v.assign(tf.clipByValue(tf.mul(v, scale), a.min, a.max) as tf.Scalar);
        });
      }
    },
    load: (values) => {
      for (const [key, t] of Object.entries(values)) variables.get(key)?.assign(t as tf.Scalar);
    },
    dispose: () => {
      variables.forEach((v) => v.dispose());
      variables.clear();
    },
  };
};
