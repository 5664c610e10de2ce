/**
 * `Method.make`: assembles modules, objectives, phases and representations into the IR `Method`
 * (plain JSON data). Modules and value bindings are collected from the terms, params and
 * representations it sees (or listed explicitly). Ablations (`swapLoss`, `removeLoss`, `override`)
 * are in `ablate.ts` and re-exported on the `Method` namespace.
 */
import type * as IR from '../compiler/ir/node.js';
import type { Optimizer } from '../compiler/ir/optim.js';
import { override, removeLoss, swapLoss, tryOverride } from './ablate.js';
import type { Module } from './branch.js';
import type { Term } from './loss.js';
import { mergeDeps, type Deps, type Value } from './types.js';

/** One objective: terms (symmetric pairs may be nested), an optimizer, and what it updates and when. */
export interface ObjectiveOptions {
  readonly name: string;
  readonly terms: ReadonlyArray<Term | ReadonlyArray<Term>>;
  readonly optimizer: Optimizer;
  /** Modules (or names) it optimizes. Default: every non-EMA module its terms apply. */
  readonly params?: ReadonlyArray<Module | string>;
  /** Runs on steps where `(step - offset) % every === 0`. Defaults 1 and 0. */
  readonly every?: number;
  readonly offset?: number;
  /** Phases it runs in; default all. */
  readonly phases?: ReadonlyArray<string>;
}

/** Everything `Method.make` needs. */
export interface MethodOptions {
  readonly name: string;
  /** Input image size and channels (default 3). */
  readonly input: { readonly size: number; readonly channels?: number };
  readonly training: IR.TrainingSpec;
  readonly objectives: ReadonlyArray<ObjectiveOptions>;
  readonly phases?: ReadonlyArray<IR.Phase>;
  /** Named features for evaluation, computed from clean `Value.images()`. */
  readonly representations: Readonly<Record<string, Value>>;
  /** Modules to declare even if nothing above reaches them. */
  readonly modules?: ReadonlyArray<Module>;
}

const flatTerms = (o: ObjectiveOptions): ReadonlyArray<Term> =>
  o.terms.flatMap((t) => ('term' in t ? [t] : t));

const objectiveOf = (o: ObjectiveOptions): IR.Objective => {
  const terms = flatTerms(o);
  const reached = mergeDeps(...terms)
    .modules.filter((m) => m.ema === undefined)
    .map((m) => m.name);
  return {
    name: o.name,
    terms: terms.map((t) => t.term),
    optimizer: o.optimizer,
    params:
      o.params === undefined ? reached : o.params.map((p) => (typeof p === 'string' ? p : p.name)),
    every: o.every ?? 1,
    offset: o.offset ?? 0,
    phases: o.phases ?? [],
  };
};

/**
 * Builds a complete method. Throws if two different modules (or value bindings) share a name.
 * @example
 * ```ts
 * const enc = Branch.make('encoder', Net.seq(Net.resnetTiny(), Net.linear({ in: 128, out: 64 })));
 * const target = Branch.ema('target', enc, { momentum: 0.99 });
 * const [v1, v2] = View.pair(Value.images(), { options: [1, 0.1], pipeline: (p) => [Aug.randomResizedCrop({ size: 32 }), Aug.gaussianBlur({ p })] });
 * const method = Method.make({
 *   name: 'tiny-contrastive',
 *   input: { size: 32 },
 *   training: { batch: 32, steps: 1000 },
 *   objectives: [{
 *     name: 'main',
 *     terms: Loss.symmetric({ name: 'ctr', pair: [v1, v2], make: (a, b) => Loss.infoNCE({ query: enc.apply(a), key: target.apply(b) }) }),
 *     optimizer: Optim.adamw({ lr: 1e-3 }),
 *   }],
 *   representations: { backbone: target.apply(Value.images()) },
 * });
 * ```
 */
export const make = (o: MethodOptions): IR.Method => {
  const terms = o.objectives.flatMap(flatTerms);
  const reps = Object.values(o.representations);
  const params: ReadonlyArray<Deps> = o.objectives.flatMap((ob) =>
    (ob.params ?? []).filter((p): p is Module => typeof p !== 'string'),
  );
  const deps = mergeDeps(...(o.modules ?? []), ...terms, ...params, ...reps);
  return {
    _tag: 'Method',
    name: o.name,
    input: { size: o.input.size, channels: o.input.channels ?? 3 },
    training: o.training,
    modules: deps.modules,
    values: deps.bindings,
    objectives: o.objectives.map(objectiveOf),
    phases: o.phases ?? [],
    representations: Object.entries(o.representations).map(([name, v]) => ({
      name,
      value: v.expr,
    })),
  };
};

/**
 * The `Method` namespace: `make`, and the ablation tools `swapLoss`, `removeLoss`, `override`,
 * `tryOverride`.
 * @example
 * ```ts
 * const x = Value.fn(Net.pool(), Value.images());
 * const m = Method.make({
 *   name: 'm', input: { size: 32 }, training: { batch: 8, steps: 10 },
 *   objectives: [{ name: 'main', terms: [Loss.term('var', Loss.vicregVariance({ x }))], optimizer: Optim.sgd({ lr: 0.1 }), params: [] }],
 *   representations: { pooled: x },
 * });
 * const hotter = Method.override(m, 'objectives.main.terms.var.loss.gamma', 2);
 * ```
 */
export const Method = { make, swapLoss, removeLoss, override, tryOverride } as const;

/** A complete method, the IR value `Method.make` returns (see `compiler/ir/node.ts`). */
export type Method = IR.Method;
