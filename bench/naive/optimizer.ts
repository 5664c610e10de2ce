/**
 * The hand-written baselines' optimizer and EMA, written as a TF.js user would: a plain AdamW
 * loop over `tf.variableGrads` results (TF.js's `tf.train.adam` has no decoupled weight decay),
 * and the momentum-encoder update `target <- m target + (1 - m) source`.
 */
import * as tf from '@tensorflow/tfjs';
import type { AdamW as AdamWSpec } from '../../compiler/ir/optim.js';
import { evaluateSchedule } from '../../compiler/ir/schedule.js';

/** Hyperparameters of one AdamW step (already evaluated from their schedules). */
export interface AdamWStep {
  readonly lr: number;
  readonly weightDecay: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
}

/** AdamW state: first and second moments per parameter name, and the step count. */
export interface AdamW {
  /** Updates `params[name]` in place from `grads[name]` (names without a gradient are skipped). */
  apply(
    params: Readonly<Record<string, tf.Variable>>,
    grads: Readonly<Record<string, tf.Tensor>>,
    h: AdamWStep,
  ): void;
  dispose(): void;
}

/**
 * AdamW (Loshchilov & Hutter 2019; `torch.optim.AdamW`): `p <- p (1 - lr wd)` where `decays(name)`,
 * then `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`, `p -= lr m^ / (sqrt(v^) + eps)` with
 * bias corrections `1 - b^t`.
 */
export const adamw = (decays: (name: string) => boolean): AdamW => {
  const m = new Map<string, tf.Variable>();
  const v = new Map<string, tf.Variable>();
  let t = 0;
  const slot = (store: Map<string, tf.Variable>, name: string, like: tf.Tensor): tf.Variable => {
    let s = store.get(name);
    if (s === undefined) {
      s = tf.variable(tf.zerosLike(like), false);
      store.set(name, s);
    }
    return s;
  };
  return {
    apply: (params, grads, h) => {
      t += 1;
      const [b1, b2] = h.betas;
      tf.tidy(() => {
        for (const [name, g] of Object.entries(grads)) {
          const p = params[name]!;
          const mi = slot(m, name, p);
          const vi = slot(v, name, p);
          mi.assign(tf.add(tf.mul(mi, b1), tf.mul(g, 1 - b1)));
          vi.assign(tf.add(tf.mul(vi, b2), tf.mul(tf.square(g), 1 - b2)));
          const from = decays(name) ? tf.mul(p, 1 - h.lr * h.weightDecay) : p;
          const update = tf.div(
            tf.div(mi, 1 - b1 ** t),
            tf.add(tf.sqrt(tf.div(vi, 1 - b2 ** t)), h.eps),
          );
          p.assign(tf.sub(from, tf.mul(update, h.lr)));
        }
      });
    },
    dispose: () => {
      for (const s of [...m.values(), ...v.values()]) s.dispose();
    },
  };
};

/** `vars[target/path] <- m vars[target/path] + (1 - m) vars[source/path]` for every `source/...` weight. */
export const emaUpdate = (
  vars: Readonly<Record<string, tf.Variable>>,
  target: string,
  source: string,
  momentum: number,
): void =>
  tf.tidy(() => {
    for (const [name, src] of Object.entries(vars)) {
      if (!name.startsWith(`${source}/`)) continue;
      const dst = vars[`${target}/${name.slice(source.length + 1)}`];
      if (dst !== undefined) dst.assign(tf.add(tf.mul(dst, momentum), tf.mul(src, 1 - momentum)));
    }
  });

/** Minimises a loss over the trained variables of a baseline with AdamW. */
export interface Minimizer {
  /**
   * `tf.variableGrads` of `loss` over the trained variables, then one AdamW step with the spec's
   * lr and weight decay evaluated at `progress` (in [0, 1]). Returns the loss, computed before the update.
   */
  minimize(loss: () => tf.Scalar, progress: number): tf.Scalar;
  dispose(): void;
}

/**
 * The AdamW minimiser of a baseline: `vars` are its weights (`module/path`), `trained(name)` the
 * ones it optimises, `spec` the compiled method's AdamW (schedules, betas, eps), `decays(name)` the
 * weights it decays.
 */
export const adamwMinimizer = (
  vars: Readonly<Record<string, tf.Variable>>,
  trained: (name: string) => boolean,
  spec: AdamWSpec,
  decays: (name: string) => boolean,
): Minimizer => {
  const list = Object.entries(vars)
    .filter(([n]) => trained(n))
    .map(([, v]) => v);
  const names = new Map(Object.entries(vars).map(([n, v]) => [v.name, n]));
  const opt = adamw(decays);
  return {
    minimize: (loss, progress) => {
      const { value, grads } = tf.variableGrads(loss, list);
      opt.apply(
        vars,
        Object.fromEntries(Object.entries(grads).map(([n, g]) => [names.get(n)!, g])),
        {
          lr: evaluateSchedule(spec.lr, progress),
          weightDecay: evaluateSchedule(spec.weightDecay, progress),
          betas: spec.betas,
          eps: spec.eps,
        },
      );
      return value;
    },
    dispose: () => opt.dispose(),
  };
};
