/**
 * The trainable state of a compiled method: `lower(graph)` gives a `CompiledMethod` that owns the
 * parameter store (`store.ts`), one optimizer per objective, the loss state (InfoNCE key queues)
 * and the EMA updates. Its `step` runs, per active objective, the lowering's pure
 * `objectiveStep` (losses, gradients, new buffers), then the optimizer update, the buffer writes,
 * and the EMA updates that read from the objective's modules. `compile.ts` checks a spec and
 * calls `lower`.
 */
import * as tf from '@tensorflow/tfjs';
import { evaluateSchedule } from '../compiler/ir/schedule.js';
import type { Graph } from '../compiler/ir/graph.js';
import { Rng } from '../compiler/ir/rng.js';
import { makeOptimizer, type OptimizerRuntime } from './optim/index.js';
import type { LossState } from '../compiler/lower/losses/index.js';
import { createLossState } from './lossState.js';
import { createAdaptiveWeights, type AdaptiveWeights } from './adaptiveWeights.js';
import { legalizeFor, withFusion } from '../compiler/lower/legalize/index.js';
import { emaSimd, updatesSimdApply } from '../compiler/lower/kernels/simdUpdates.js';
import { createMemoryState, type MemoryState } from '../compiler/lower/memory.js';
import { embedStep, objectiveStep, type StepContext } from '../compiler/lower/step.js';
import { isActive, phaseAt, stepPlan, type ObjectivePlan } from '../compiler/passes/plan.js';
import { createStore, disposeStore, flattenStore, trainableOf, type ParamStore } from './store.js';

/** What one training step reports. */
export interface StepMetrics {
  readonly step: number;
  readonly phase: string | undefined;
  /** Total loss over the objectives that ran: the unweighted sum of the terms. */
  readonly loss: number;
  /** What the optimizers minimised: the sum over the objectives that ran of their weighted terms. */
  readonly weighted: number;
  /** Every loss term that ran, by `term` name (and `objective.term` when names repeat). */
  readonly terms: Readonly<Record<string, number>>;
  /** Learning rate of each objective that ran. */
  readonly lr: Readonly<Record<string, number>>;
  /** EMA momentum of each EMA module updated. */
  readonly ema: Readonly<Record<string, number>>;
}

/** Options of one training step. */
export interface StepOptions {
  /**
   * Profiling hook: called with each IR node id before it is evaluated, and with the markers
   * `backward:<objective>`, `optimizer:<objective>`, `ema:<objective>` before those phases.
   */
  readonly trace?: (marker: string) => void;
  /**
   * The batch from the other pseudo-domain fold, `[batch, H, W, C]` like `images`: required when
   * the method reads `Value.pairedImages()` (`training.folds`), ignored otherwise.
   */
  readonly paired?: tf.Tensor4D;
}

/** A method lowered to TF.js, ready to train. */
export interface CompiledMethod {
  readonly graph: Graph;
  /** Creates the parameters from `seed` (same seed, same weights on every backend). */
  init(seed: number): void;
  /** One training step on `images` (NHWC in [0, 1]) at `step` of `totalSteps`. */
  step(
    images: tf.Tensor4D,
    at: { readonly step: number; readonly totalSteps: number },
    options?: StepOptions,
  ): StepMetrics;
  /** Features `[n, d]` of a named representation, in inference mode. */
  embed(representation: string, images: tf.Tensor4D): tf.Tensor2D;
  /** All variables as `module/path` (weights and buffers). */
  variables(): Readonly<Record<string, tf.Variable>>;
  /**
   * Optimizer state of every objective as `objective/name`, plus the loss state (InfoNCE key
   * queues) as `lossState/<node>`, the memories (style bank, replay) as `memory/<name>` and the
   * adaptive term weights as `adaptive/<objective>.<term>`, and its inverse: what a checkpoint
   * needs to resume exactly.
   */
  optimizerState(): Record<string, tf.Tensor>;
  loadOptimizerState(state: Readonly<Record<string, tf.Tensor>>): void;
  /** Frees every tensor the method owns. */
  dispose(): void;
}

/** Prefix of the loss state (InfoNCE key queues) inside `optimizerState()`, saved with it in checkpoints. */
const LOSS_STATE = 'lossState/';
/** Prefix of the `Memory` node contents inside `optimizerState()`. */
const MEMORY = 'memory/';
/** Prefix of the adaptive term weights (`<objective>.<term>`) inside `optimizerState()`. */
const ADAPTIVE = 'adaptive/';

interface Runtime {
  readonly store: ParamStore;
  readonly optimizers: ReadonlyMap<string, OptimizerRuntime>;
  readonly lossState: LossState;
  readonly memory: MemoryState;
  readonly adaptive: AdaptiveWeights;
  readonly seed: number;
}

const paramInfoOf = (store: ParamStore, modules: ReadonlyArray<string>) =>
  modules.flatMap((name) => {
    const m = store.get(name);
    if (m === undefined) return [];
    return Object.entries(m.vars)
      .filter(([, v]) => v.trainable)
      .map(([path, v]) => ({
        path: `${name}/${path}`,
        shape: v.shape,
        decay: m.info.find((p) => p.path === path)?.decay ?? v.shape.length > 1,
      }));
  });

/** Runs one objective: the pure step (forward, losses, gradients), then update, buffers, EMA. */
const runObjective = (
  plan: ObjectivePlan,
  rt: Runtime,
  base: StepContext,
  terms: Record<string, tf.Scalar>,
): tf.Scalar => {
  const vars = trainableOf(rt.store, plan.modules);
  const out = objectiveStep(plan, vars, base, rt.adaptive.of(plan));
  rt.adaptive.update(plan, base.step, new Map(out.terms.map((t) => [t.name, t.value])));
  for (const t of out.terms)
    terms[t.name in terms ? `${plan.objective.name}/${t.name}` : t.name] = t.value;
  base.trace?.(`optimizer:${plan.objective.name}`);
  rt.optimizers.get(plan.objective.name)!.apply(vars, out.grads, base.progress);
  assignBuffers(rt.store, out.buffers);
  base.trace?.(`ema:${plan.objective.name}`);
  for (const ema of plan.emaAfter)
    updateEma(
      rt.store,
      ema.name,
      ema.ema!.source,
      evaluateSchedule(ema.ema!.momentum, base.progress),
    );
  return out.weighted;
};

const assignBuffers = (store: ParamStore, buffers: ReadonlyMap<string, tf.Tensor>): void => {
  for (const [key, value] of buffers) {
    const slash = key.indexOf('/');
    store.get(key.slice(0, slash))?.vars[key.slice(slash + 1)]?.assign(value);
    value.dispose();
  }
};

/** `target m + source (1 - m)`: one SIMD kernel on wasm (`TesseraEma`, the same floats). */
const emaOf = (target: tf.Tensor, source: tf.Tensor, m: number): tf.Tensor =>
  updatesSimdApply(target)
    ? emaSimd(target, source, m)
    : tf.tidy(() => tf.add(tf.mul(target, m), tf.mul(source, 1 - m)));

/**
 * `target <- m * target + (1 - m) * source` over the weights. Buffers (BatchNorm running
 * statistics) are not averaged: the target's own forward passes update them, as in MoCo v3.
 */
const updateEma = (store: ParamStore, target: string, source: string, m: number): void => {
  const t = store.get(target)!;
  const s = store.get(source)!;
  const buffers = new Set(t.info.filter((p) => p.buffer).map((p) => p.path));
  for (const [path, v] of Object.entries(t.vars)) {
    const src = s.vars[path];
    if (src !== undefined && !buffers.has(path)) v.assign(emaOf(v, src, m));
  }
};

/** A trainable method around the pure step of a checked graph (`init` creates its state). */
export const lower = (graph: Graph): CompiledMethod => {
  const plans = stepPlan(graph);
  const plain = legalizeFor(graph.target?.backend ?? tf.getBackend());
  const kernels = { plain, fused: withFusion(plain) };
  let rt: Runtime | undefined;
  const runtime = (): Runtime => {
    if (rt === undefined) throw new Error('call init(seed) before step or embed');
    return rt;
  };
  const dispose = (): void => {
    if (rt === undefined) return;
    disposeStore(rt.store);
    rt.optimizers.forEach((o) => Object.values(o.state()).forEach((t) => t.dispose()));
    rt.lossState.dispose();
    rt.memory.dispose();
    rt.adaptive.dispose();
    rt = undefined;
  };
  return {
    graph,
    init: (seed) => {
      dispose();
      const store = createStore(graph.modules, seed);
      const optimizers = new Map(
        graph.method.objectives.map((o) => [
          o.name,
          makeOptimizer(o.optimizer, paramInfoOf(store, o.params)),
        ]),
      );
      rt = {
        store,
        optimizers,
        lossState: createLossState(),
        memory: createMemoryState(),
        adaptive: createAdaptiveWeights(plans),
        seed,
      };
    },
    step: (images, at, options) => {
      const r = runtime();
      const phase = phaseAt(graph.method.phases, at.step);
      const progress = at.totalSteps > 0 ? at.step / at.totalSteps : 0;
      const base = {
        graph,
        store: r.store,
        images,
        training: true,
        step: at.step,
        progress,
        lossState: r.lossState,
        memory: r.memory,
        kernels,
        rng: Rng.seeded(r.seed).fork(`step:${at.step}`),
        ...(options?.trace ? { trace: options.trace } : {}),
        ...(options?.paired ? { paired: options.paired } : {}),
      };
      const terms: Record<string, tf.Scalar> = {};
      const lr: Record<string, number> = {};
      const ema: Record<string, number> = {};
      const weighted = tf.tidy(() => {
        const totals: tf.Scalar[] = [];
        for (const plan of plans) {
          if (!isActive(plan.objective, phase, at.step)) continue;
          totals.push(runObjective(plan, r, base, terms));
          lr[plan.objective.name] = evaluateSchedule(plan.objective.optimizer.lr, progress);
          for (const e of plan.emaAfter) ema[e.name] = evaluateSchedule(e.ema!.momentum, progress);
        }
        return totals.length === 0 ? tf.scalar(0) : tf.addN(totals);
      });
      r.lossState.afterStep();
      r.memory.afterStep();
      const numbers = Object.fromEntries(
        Object.entries(terms).map(([k, t]) => [k, t.dataSync()[0]!]),
      );
      Object.values(terms).forEach((t) => t.dispose());
      const loss = Object.values(numbers).reduce((s, x) => s + x, 0);
      const total = weighted.dataSync()[0]!;
      weighted.dispose();
      return { step: at.step, phase, loss, weighted: total, terms: numbers, lr, ema };
    },
    embed: (representation, images) => {
      const r = runtime();
      const rep = graph.representations.find((x) => x.name === representation);
      if (rep === undefined) {
        throw new Error(
          `unknown representation "${representation}"; known: ${graph.representations.map((x) => x.name).join(', ')}`,
        );
      }
      const ctx: StepContext = {
        graph,
        store: r.store,
        images,
        training: false,
        step: 0,
        progress: 1,
        lossState: r.lossState,
        memory: r.memory,
        kernels,
        rng: Rng.seeded(r.seed).fork('embed'),
      };
      return embedStep(representation, rep.node, ctx);
    },
    variables: () => flattenStore(runtime().store),
    optimizerState: () => {
      const r = runtime();
      const out: Record<string, tf.Tensor> = {};
      for (const [name, o] of r.optimizers)
        for (const [k, t] of Object.entries(o.state())) out[`${name}/${k}`] = t;
      for (const [key, q] of r.lossState.queues) out[`${LOSS_STATE}${key}`] = q;
      for (const [name, t] of Object.entries(r.memory.snapshot())) out[`${MEMORY}${name}`] = t;
      for (const [key, v] of r.adaptive.variables) out[`${ADAPTIVE}${key}`] = v;
      return out;
    },
    loadOptimizerState: (state) => {
      const r = runtime();
      for (const [name, o] of r.optimizers) {
        const prefix = `${name}/`;
        o.load(
          Object.fromEntries(
            Object.entries(state)
              .filter(([k]) => k.startsWith(prefix))
              .map(([k, t]) => [k.slice(prefix.length), t]),
          ),
        );
      }
      for (const [k, t] of Object.entries(state)) {
        if (!k.startsWith(LOSS_STATE)) continue;
        const key = k.slice(LOSS_STATE.length);
        r.lossState.queues.get(key)?.dispose();
        r.lossState.queues.set(key, tf.variable(t, false));
      }
      const memories = Object.entries(state).filter(([k]) => k.startsWith(MEMORY));
      r.memory.restore(Object.fromEntries(memories.map(([k, t]) => [k.slice(MEMORY.length), t])));
      const adaptive = Object.entries(state).filter(([k]) => k.startsWith(ADAPTIVE));
      r.adaptive.load(Object.fromEntries(adaptive.map(([k, t]) => [k.slice(ADAPTIVE.length), t])));
    },
    dispose,
  };
};
