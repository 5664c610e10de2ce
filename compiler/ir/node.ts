/**
 * The IR of a whole SSL method. Start here.
 *
 * A method is plain, JSON-serialisable data:
 * - `modules`: named parameter scopes, each an architecture (`NetNode`) and optionally an EMA
 *   of another module. Applying the same module twice shares its weights, explicitly, by name.
 * - value expressions (`ValueExpr`): the images, views of them, modules applied to values,
 *   stop-gradient, masks... Expressions nest; `values` names some of them for reuse (`Ref`).
 * - `objectives`: weighted loss terms, an optimizer, the modules it updates, a cadence, phases.
 * - `representations`: the features evaluation reads (e.g. `content`, `style`).
 *
 * The typed DSL (`dsl/`) builds these values; the compiler (`compiler/passes`) resolves,
 * checks and optimises them into a `Graph` (see `graph.ts`).
 */
import type { AugNode, MultiBlockMask } from './augment.js';
import type { LossNode } from './loss.js';
import type { NetNode } from './net.js';
import type { Optimizer } from './optim.js';
import type { Schedule } from './schedule.js';

export type { AugNode, MultiBlockMask } from './augment.js';
export type { LossNode, LossTag } from './loss.js';
export type { NetNode, NetTag } from './net.js';
export type { Optimizer } from './optim.js';
export type { Schedule } from './schedule.js';

/**
 * A batch of images as it comes from the data, NHWC in `[0, 1]`: `images`, or `pairedImages`, a
 * batch of the same size from the other pseudo-domain fold (`TrainingSpec.folds`: `images` come
 * from fold `i`, `pairedImages` from fold `(i + 1) mod k`, so no image is paired with itself).
 */
export interface Input {
  readonly _tag: 'Input';
  readonly name: InputName;
}

/** The data inputs of a step (`Input.name`). */
export type InputName = 'images' | 'pairedImages';

/** The names of `InputName`, in order. */
export const INPUT_NAMES: ReadonlyArray<InputName> = ['images', 'pairedImages'];

/** A named value from `Method.values`. */
export interface Ref {
  readonly _tag: 'Ref';
  readonly name: string;
}

/**
 * A random view of an image value. The `name` identifies the random stream: two views with the
 * same pipeline but different names are different draws, never merged by the compiler.
 */
export interface View {
  readonly _tag: 'View';
  readonly name: string;
  readonly source: ValueExpr;
  readonly pipeline: ReadonlyArray<AugNode>;
}

/**
 * Module `module` (or its part at `path`, e.g. `['styleEncoder']` of a generator) applied to
 * `inputs`, keyed by port (`x` is the primary port).
 */
export interface Apply {
  readonly _tag: 'Apply';
  readonly module: string;
  readonly path: ReadonlyArray<string>;
  readonly inputs: Readonly<Record<string, ValueExpr>>;
}

/** A parameter-free net (LayerNorm without affine, pooling, L2-normalise...) applied inline. */
export interface Fn {
  readonly _tag: 'Fn';
  readonly net: NetNode;
  readonly inputs: Readonly<Record<string, ValueExpr>>;
}

/** One field of a struct value. */
export interface FieldOf {
  readonly _tag: 'FieldOf';
  readonly source: ValueExpr;
  readonly name: string;
}

/** The same value, but no gradient flows through it (TF.js has no such op; the lowering feeds a constant). */
export interface StopGradient {
  readonly _tag: 'StopGradient';
  readonly source: ValueExpr;
}

/** I-JEPA multi-block masks: `{ context: index[B, Kctx], targets: index[T, B, Ktgt] }`. */
export interface Masks {
  readonly _tag: 'Masks';
  readonly name: string;
  readonly spec: MultiBlockMask;
}

/**
 * Style-JEPA token mask `mask[B, count]`: position `s` is masked with probability
 * `ratio * imp_s`, `imp = linspace(bias, 1, count) / mean(...)` (ST-STORM: ratio 0.6, bias 2).
 */
export interface TokenMask {
  readonly _tag: 'TokenMask';
  readonly name: string;
  readonly count: number;
  readonly ratio: number;
  readonly bias: number;
}

/** Gathers tokens: `tokens[B, N, D]` with `index[B, K]` -> `[B, K, D]`, or `index[T, B, K]` -> `[T*B, K, D]`. */
export interface Gather {
  readonly _tag: 'Gather';
  readonly source: ValueExpr;
  readonly index: ValueExpr;
}

/** A random permutation of the batch without fixed points (ST-STORM's style image `y`: always another sample). */
export interface Permute {
  readonly _tag: 'Permute';
  readonly name: string;
  readonly source: ValueExpr;
}

/** Concatenation along the batch axis. */
export interface Concat {
  readonly _tag: 'Concat';
  readonly sources: ReadonlyArray<ValueExpr>;
}

/**
 * A replay memory (ST-STORM style bank and replay of past generated images): keeps the last
 * `size` samples of `source` (detached) and returns a batch where a fraction `ratio` is replaced
 * by stored samples.
 */
export interface Memory {
  readonly _tag: 'Memory';
  readonly name: string;
  readonly source: ValueExpr;
  readonly size: number;
  readonly ratio: number;
}

/** Every value expression kind. */
export type ValueExpr =
  | Input
  | Ref
  | View
  | Apply
  | Fn
  | FieldOf
  | StopGradient
  | Masks
  | TokenMask
  | Gather
  | Permute
  | Concat
  | Memory;

/** The tag of a value expression. */
export type ValueTag = ValueExpr['_tag'];

/** All value tags, for messages that list the known ones. */
export const VALUE_TAGS: ReadonlyArray<ValueTag> = [
  'Input',
  'Ref',
  'View',
  'Apply',
  'Fn',
  'FieldOf',
  'StopGradient',
  'Masks',
  'TokenMask',
  'Gather',
  'Permute',
  'Concat',
  'Memory',
];

/**
 * EMA update of a module from `source`: `target <- m target + (1 - m) source`, after the source's
 * optimizer step, and also after the steps of the objectives named in `alsoAfter` (ST-STORM's
 * `T_B` also moves in phase A, after `G_A`'s step: RT-STORM `helpers.py` `train_step_phase_A`).
 */
export interface EmaSpec {
  readonly source: string;
  readonly momentum: Schedule;
  readonly alsoAfter?: ReadonlyArray<string>;
}

/** A named parameter scope. An EMA module is never optimized; it starts as a copy of its source. */
export interface ModuleDecl {
  readonly name: string;
  readonly net: NetNode;
  readonly ema?: EmaSpec;
  /** Parameter-path prefixes that keep their initial values (MoCo v3 `stop_grad_conv1`). */
  readonly frozen: ReadonlyArray<string>;
}

/** A named value binding, referenced by `Ref`. */
export interface ValueDecl {
  readonly name: string;
  readonly value: ValueExpr;
}

/**
 * A term weight that is state of the compiled step (ST-STORM's phase-B token weight lambda_styB,
 * RT-STORM `helpers.py` `train_step_phase_B`): it starts at the term's `weight` (a `Constant`),
 * and after each step where the term ran and `step % every === 0` it becomes
 * `clip(w * (1 + rate * (d - target) / target), min, max)`, `d` the term's unweighted value in
 * that step. Checkpoints carry it (`adaptive/<objective>.<term>`), so a resumed run continues it.
 */
export interface AdaptiveWeight {
  readonly target: number;
  readonly rate: number;
  readonly min: number;
  readonly max: number;
  readonly every: number;
}

/** One weighted loss term of an objective; `adaptive`: its weight is step state (see `AdaptiveWeight`). */
export interface Term {
  readonly name: string;
  readonly loss: LossNode;
  readonly weight: Schedule;
  readonly adaptive?: AdaptiveWeight;
}

/**
 * One optimisation problem: the weighted sum of `terms`, minimised by `optimizer` over the
 * parameters of `params` (module names), run on steps where `(step - offset) % every === 0`,
 * and only in `phases` (empty: every phase). One gradient computation covers all terms.
 */
export interface Objective {
  readonly name: string;
  readonly terms: ReadonlyArray<Term>;
  readonly optimizer: Optimizer;
  readonly params: ReadonlyArray<string>;
  readonly every: number;
  readonly offset: number;
  readonly phases: ReadonlyArray<string>;
}

/** A phase of a repeating cycle (ST-STORM A/B). */
export interface Phase {
  readonly name: string;
  readonly steps: number;
}

/** A named feature for evaluation, computed from clean `Input` images (no views, no randomness). */
export interface Representation {
  readonly name: string;
  readonly value: ValueExpr;
}

/** The data a method expects and its default run. */
export interface InputSpec {
  readonly size: number;
  readonly channels: number;
}

/**
 * Pseudo-domain folds (ST-STORM, `train_style_disentangle.py --k_folds 2`): the dataset is split
 * once, seeded by the run seed, into `k` disjoint folds covering it. An epoch is one pass over
 * fold `i` (`images`) while `pairedImages` are drawn from fold `(i + 1) mod k`; the pair rotates
 * (`i` advances by one) every `rotateEvery` epochs. Each fold is reshuffled every epoch.
 */
export interface FoldSpec {
  /** Number of folds, at least 2. */
  readonly k: number;
  /** Epochs (passes over one fold) before the fold pair rotates, at least 1. */
  readonly rotateEvery: number;
}

/** Default training settings; the CLI may override them. */
export interface TrainingSpec {
  readonly batch: number;
  readonly steps: number;
  /** Pseudo-domain folds; needed by (and only meaningful with) an `Input` `pairedImages`. */
  readonly folds?: FoldSpec;
}

/** A complete SSL method. */
export interface Method {
  readonly _tag: 'Method';
  readonly name: string;
  readonly input: InputSpec;
  readonly training: TrainingSpec;
  readonly modules: ReadonlyArray<ModuleDecl>;
  readonly values: ReadonlyArray<ValueDecl>;
  readonly objectives: ReadonlyArray<Objective>;
  /** Empty: a single implicit phase. */
  readonly phases: ReadonlyArray<Phase>;
  readonly representations: ReadonlyArray<Representation>;
}
