/**
 * The optimizer runtime: one object per objective that updates its parameters in place from
 * their gradients, with learning rate and weight decay evaluated from schedules at the step's
 * progress. The update rules live in `adam.ts`, `lars.ts`, `sgd.ts`; this file holds the shared
 * machinery (per-parameter slot variables, state for checkpoints, leak-free application).
 */
import * as tf from '@tensorflow/tfjs';

/** One optimized parameter: its path (as keyed in `apply`), shape and weight-decay flag (`ParamInfo.decay`). */
export interface ParamSpec {
  readonly path: string;
  readonly decay: boolean;
  readonly shape: readonly number[];
}

/** A live optimizer for a fixed list of parameters. */
export interface OptimizerRuntime {
  /** Applies one update in place: params[path].assign(...) for every path that has a gradient. */
  apply(
    params: Readonly<Record<string, tf.Variable>>,
    grads: Readonly<Record<string, tf.Tensor>>,
    progress: number,
  ): void;
  /**
   * Serialisable state (moments, step counts) as named tensors `<path>:<slot>`, for checkpoints.
   * These are the live state variables, not copies: read them, do not dispose them (unless the
   * optimizer itself is being discarded, which is how its memory is freed).
   */
  state(): Record<string, tf.Tensor>;
  /** Restores a `state()` (same keys and shapes; copies the values), so training resumes identically. */
  load(state: Readonly<Record<string, tf.Tensor>>): void;
}

/** The hyperparameters of one step, evaluated from the schedules. */
export interface StepHyper {
  readonly lr: number;
  readonly weightDecay: number;
}

/** What an update rule sees for one parameter. Runs inside `tf.tidy`. */
export interface UpdateArgs {
  readonly param: tf.Variable;
  readonly grad: tf.Tensor;
  /** The rule's slot variables for this parameter (zeros initially). */
  readonly slots: Readonly<Record<string, tf.Variable>>;
  readonly info: ParamSpec;
  readonly hyper: StepHyper;
  /** 1-based count of updates of this parameter, including this one. */
  readonly step: number;
}

/** An optimizer kind: its slot names, its schedules and its per-parameter update. */
export interface UpdateRule {
  readonly slots: ReadonlyArray<string>;
  readonly hyper: (progress: number) => StepHyper;
  readonly update: (args: UpdateArgs) => void;
}

const STEP = 'step';

const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Builds the runtime of `rule` for `params`: slot variables (and a step counter) per parameter. */
export const runtimeOf = (rule: UpdateRule, params: ReadonlyArray<ParamSpec>): OptimizerRuntime => {
  const zeros = (shape: readonly number[]): tf.Variable =>
    tf.tidy(() => tf.variable(tf.zeros(shape as number[]), false));
  const slots = new Map(
    params.map((p) => [p.path, Object.fromEntries(rule.slots.map((s) => [s, zeros(p.shape)]))]),
  );
  const stepVars = new Map(params.map((p) => [p.path, zeros([])]));
  const steps = new Map(params.map((p) => [p.path, 0]));
  const byKey = (): Map<string, tf.Variable> => {
    const out = new Map<string, tf.Variable>();
    for (const p of params) {
      for (const [s, v] of Object.entries(slots.get(p.path)!)) out.set(`${p.path}:${s}`, v);
      out.set(`${p.path}:${STEP}`, stepVars.get(p.path)!);
    }
    return out;
  };
  return {
    apply: (vars, grads, progress) => {
      const hyper = rule.hyper(progress);
      for (const info of params) {
        const grad = grads[info.path];
        if (grad === undefined) continue;
        const param = vars[info.path];
        if (param === undefined)
          throw new Error(
            `optimizer: gradient for "${info.path}" but no such parameter was given to apply()`,
          );
        if (!same(grad.shape, info.shape) || !same(param.shape, info.shape)) {
          throw new Error(
            `optimizer: "${info.path}" expects shape [${info.shape.join(', ')}], got parameter [${param.shape.join(', ')}] and gradient [${grad.shape.join(', ')}]`,
          );
        }
        const step = steps.get(info.path)! + 1;
        steps.set(info.path, step);
        tf.tidy(() => {
          rule.update({ param, grad, slots: slots.get(info.path)!, info, hyper, step });
          stepVars.get(info.path)!.assign(tf.scalar(step));
        });
      }
    },
    state: () => Object.fromEntries(byKey()),
    load: (state) => {
      const own = byKey();
      const missing = [...own.keys()].filter((k) => state[k] === undefined);
      const extra = Object.keys(state).filter((k) => !own.has(k));
      if (missing.length > 0 || extra.length > 0) {
        throw new Error(
          `optimizer state does not match the parameters: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]\nhint: the checkpoint was written for a different spec`,
        );
      }
      for (const [k, v] of own) {
        const t = state[k]!;
        if (!same(t.shape, v.shape))
          throw new Error(
            `optimizer state "${k}": expected [${v.shape.join(', ')}], got [${t.shape.join(', ')}]`,
          );
        const value = t.toFloat();
        v.assign(value);
        value.dispose();
      }
      for (const p of params) steps.set(p.path, Math.round(stepVars.get(p.path)!.dataSync()[0]!));
    },
  };
};
