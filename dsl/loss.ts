/**
 * `Loss`: every loss kind of `compiler/ir/loss.ts` as a typed constructor, plus weighted terms and
 * `symmetric` pairs. Vector losses take `Value<Vec<D>>` (tokens do not compile); paired inputs must
 * have the same kind and literal dim. References: MoCo v3 [0] arXiv 2104.02057, code
 * facebookresearch/moco-v3; I-JEPA [0] arXiv 2301.08243, code facebookresearch/ijepa; ST-STORM code
 * Hamedkiri/RT-STORM-V2 (methods.md sections 1.2, 2.3, 3.5).
 */
import type * as IR from '../compiler/ir/loss.js';
import type { AdaptiveWeight, Term as IRTerm } from '../compiler/ir/node.js';
import type { Module } from './branch.js';
import { of, type ScheduleLike } from './schedule.js';
import {
  mergeDeps,
  type Check,
  type Deps,
  type Img,
  type Msk,
  type Rec,
  type Tok,
  type Ty,
  type Value,
  type Vec,
} from './types.js';

/** A loss node and the modules / bindings its inputs depend on. */
export interface Loss<N extends IR.LossNode = IR.LossNode> extends Deps {
  readonly node: N;
}

/** A named, weighted loss term and its dependencies. */
export interface Term extends Deps {
  readonly term: IRTerm;
}

const lossOf = <N extends IR.LossNode>(node: N, ...deps: ReadonlyArray<Deps>): Loss<N> => ({
  node,
  ...mergeDeps(...deps),
});

/**
 * MoCo v3 contrastive loss `CE(norm(q) norm(k)^T / tau, diag) * 2 tau` (methods.md 1.2). `query`,
 * `key`: `[batch, D]` (the key is usually a momentum-encoder output). Defaults: `temperature: 0.2`
 * (ViT; R-50 uses 1.0), `scale: 'twoTau'`.
 * @example
 * ```ts
 * const q = Value.fn(Net.pool(), Value.images());
 * const ctr = Loss.infoNCE({ query: q, key: Branch.stopGradient(q) });
 * ```
 */
export const infoNCE = <Q extends Vec, K extends Vec>(o: {
  readonly query: Value<Q>;
  readonly key: Value<K> & Check<K, Q>;
  readonly temperature?: ScheduleLike;
  readonly scale?: IR.InfoNCE['scale'];
}): Loss<IR.InfoNCE> =>
  lossOf(
    {
      _tag: 'InfoNCE',
      query: o.query.expr,
      key: o.key.expr,
      temperature: of(o.temperature ?? 0.2),
      scale: o.scale ?? 'twoTau',
    },
    o.query,
    o.key,
  );

/**
 * MoCo v2-style InfoNCE with a FIFO queue of past keys as negatives, on L2-normalised `[batch, D]`.
 * Defaults: `temperature: 0.2`, `queueSize: 65536` (ST-STORM's README command uses 6000).
 * @example
 * ```ts
 * const q = Value.fn(Net.pool(), Value.images());
 * const nce = Loss.infoNCEQueue({ query: q, key: q, queueSize: 6000 });
 * ```
 */
export const infoNCEQueue = <Q extends Vec, K extends Vec>(o: {
  readonly query: Value<Q>;
  readonly key: Value<K> & Check<K, Q>;
  readonly temperature?: ScheduleLike;
  readonly queueSize?: number;
}): Loss<IR.InfoNCEQueue> =>
  lossOf(
    {
      _tag: 'InfoNCEQueue',
      query: o.query.expr,
      key: o.key.expr,
      temperature: of(o.temperature ?? 0.2),
      queueSize: o.queueSize ?? 65536,
    },
    o.query,
    o.key,
  );

type Pair<P extends Ty, T extends Ty> = {
  readonly pred: Value<P>;
  readonly target: Value<T> & Check<T, P>;
};

/**
 * Smooth-L1 (Huber) with threshold `beta` (default 1), mean over elements (I-JEPA).
 * @example
 * ```ts
 * const x = Value.fn(Net.pool(), Value.images());
 * const l = Loss.smoothL1({ pred: x, target: Branch.stopGradient(x) });
 * ```
 */
export const smoothL1 = <P extends Ty, T extends Ty>(
  o: Pair<P, T> & { readonly beta?: number },
): Loss<IR.SmoothL1> =>
  lossOf(
    { _tag: 'SmoothL1', pred: o.pred.expr, target: o.target.expr, beta: o.beta ?? 1 },
    o.pred,
    o.target,
  );

/**
 * Mean squared error over all elements.
 * @example
 * ```ts
 * const l = Loss.l2({ pred: Value.images(), target: Value.permute('p', Value.images()) });
 * ```
 */
export const l2 = <P extends Ty, T extends Ty>(o: Pair<P, T>): Loss<IR.L2> =>
  lossOf({ _tag: 'L2', pred: o.pred.expr, target: o.target.expr }, o.pred, o.target);

/**
 * Mean absolute error over all elements (ST-STORM reconstruction / identity terms).
 * @example
 * ```ts
 * const l = Loss.l1({ pred: Value.images(), target: Value.permute('p', Value.images()) });
 * ```
 */
export const l1 = <P extends Ty, T extends Ty>(o: Pair<P, T>): Loss<IR.L1> =>
  lossOf({ _tag: 'L1', pred: o.pred.expr, target: o.target.expr }, o.pred, o.target);

/**
 * LSGAN generator loss `mean((D(fake) - 1)^2)`; `fake`: discriminator logits `[batch, h, w, 1]`.
 * @example
 * ```ts
 * const d = Branch.make('D', Net.patchGan());
 * const adv = Loss.lsganGenerator({ fake: d.apply(Value.images()) });
 * ```
 */
export const lsganGenerator = (o: { readonly fake: Value<Img> }): Loss<IR.LsganGenerator> =>
  lossOf({ _tag: 'LsganGenerator', fake: o.fake.expr }, o.fake);

/**
 * LSGAN discriminator loss `mean((D(real) - 1)^2) + mean(D(fake)^2)`.
 * @example
 * ```ts
 * const d = Branch.make('D', Net.patchGan());
 * const l = Loss.lsganDiscriminator({ real: d.apply(Value.images()), fake: d.apply(Value.permute('p', Value.images())) });
 * ```
 */
export const lsganDiscriminator = (o: {
  readonly real: Value<Img>;
  readonly fake: Value<Img>;
}): Loss<IR.LsganDiscriminator> =>
  lossOf({ _tag: 'LsganDiscriminator', real: o.real.expr, fake: o.fake.expr }, o.real, o.fake);

/**
 * R1 penalty `0.5 gamma E|grad_x D(x)|^2` on real images for discriminator `module`. Defaults:
 * `gamma: 10`, `every: 16` (ST-STORM).
 * @example
 * ```ts
 * const r1 = Loss.r1({ module: Branch.make('D', Net.patchGan()), real: Value.images() });
 * ```
 */
export const r1 = (o: {
  readonly module: Module;
  readonly real: Value<Img>;
  readonly gamma?: number;
  readonly every?: number;
}): Loss<IR.R1> =>
  lossOf(
    {
      _tag: 'R1',
      module: o.module.name,
      real: o.real.expr,
      gamma: o.gamma ?? 10,
      every: o.every ?? 16,
    },
    o.module,
    o.real,
  );

/**
 * PatchNCE (CUT) between feature maps (or structs of layers, weighted equally). Defaults:
 * `temperature: 0.07`, `patches: 100`.
 * @example
 * ```ts
 * const enc = Branch.make('E', Net.unetEncoder({ ngf: 8, levels: 2 }));
 * const nce = Loss.patchNce({ query: enc.apply(Value.images()), key: enc.apply(Value.permute('p', Value.images())) });
 * ```
 */
export const patchNce = (o: {
  readonly query: Value<Img | Rec>;
  readonly key: Value<Img | Rec>;
  readonly temperature?: number;
  readonly patches?: number;
}): Loss<IR.PatchNce> =>
  lossOf(
    {
      _tag: 'PatchNce',
      query: o.query.expr,
      key: o.key.expr,
      temperature: o.temperature ?? 0.07,
      patches: o.patches ?? 100,
    },
    o.query,
    o.key,
  );

/**
 * ST-STORM token loss: L1 between style tokens `[batch, S, D]` (global token + mean of the rest).
 * @example
 * ```ts
 * const s = Branch.make('S', Net.styleEncoder());
 * const tok = Value.field(s.apply(Value.images()), 'tokens');
 * const l = Loss.tokenL1({ pred: tok, target: Branch.stopGradient(tok) });
 * ```
 */
export const tokenL1 = <P extends Tok, T extends Tok>(o: Pair<P, T>): Loss<IR.TokenL1> =>
  lossOf({ _tag: 'TokenL1', pred: o.pred.expr, target: o.target.expr }, o.pred, o.target);

/**
 * L1 between per-channel log-amplitude spectra (orthonormal 2-D FFT) of two image batches.
 * @example
 * ```ts
 * const l = Loss.fftAmplitudeL1({ pred: Value.images(), target: Value.permute('p', Value.images()) });
 * ```
 */
export const fftAmplitudeL1 = <P extends Img, T extends Img>(
  o: Pair<P, T>,
): Loss<IR.FftAmplitudeL1> =>
  lossOf({ _tag: 'FftAmplitudeL1', pred: o.pred.expr, target: o.target.expr }, o.pred, o.target);

/**
 * Sliced Wasserstein distance between patch distributions of two image batches, averaged over
 * `levels` Laplacian-pyramid bands. Defaults: `projections: 128`, `patch: 64`, `maxPatches: 64`
 * (methods.md 3.5; use smaller patches on small images), `levels: 1` (the images alone; ST-STORM
 * uses all the size allows, `1 + log2(size)`).
 * @example
 * ```ts
 * const l = Loss.slicedWasserstein({ pred: Value.images(), target: Value.permute('p', Value.images()), patch: 8 });
 * ```
 */
export const slicedWasserstein = <P extends Img, T extends Img>(
  o: Pair<P, T> & {
    readonly projections?: number;
    readonly patch?: number;
    readonly maxPatches?: number;
    readonly levels?: number;
  },
): Loss<IR.SlicedWasserstein> =>
  lossOf(
    {
      _tag: 'SlicedWasserstein',
      pred: o.pred.expr,
      target: o.target.expr,
      projections: o.projections ?? 128,
      patch: o.patch ?? 64,
      maxPatches: o.maxPatches ?? 64,
      levels: o.levels ?? 1,
    },
    o.pred,
    o.target,
  );

/**
 * VICReg variance hinge `mean_d relu(gamma - sqrt(var_d + eps))` on vectors or tokens. Defaults:
 * `gamma: 1`, `eps: 1e-4`.
 * @example
 * ```ts
 * const v = Loss.vicregVariance({ x: Value.fn(Net.pool(), Value.images()) });
 * ```
 */
export const vicregVariance = (o: {
  readonly x: Value<Vec | Tok>;
  readonly gamma?: number;
  readonly eps?: number;
}): Loss<IR.VicregVariance> =>
  lossOf({ _tag: 'VicregVariance', x: o.x.expr, gamma: o.gamma ?? 1, eps: o.eps ?? 1e-4 }, o.x);

/**
 * VICReg covariance: squared off-diagonal covariance entries summed, divided by `D`.
 * @example
 * ```ts
 * const c = Loss.vicregCovariance({ x: Value.fn(Net.pool(), Value.images()) });
 * ```
 */
export const vicregCovariance = (o: { readonly x: Value<Vec | Tok> }): Loss<IR.VicregCovariance> =>
  lossOf({ _tag: 'VicregCovariance', x: o.x.expr }, o.x);

/**
 * ST-STORM SPADE gate regulariser over the SPADE blocks of `module`. Default `margin: 0.75`.
 * @example
 * ```ts
 * const gate = Loss.spadeGate({ module: Branch.make('G', Net.generator()) });
 * ```
 */
export const spadeGate = (o: {
  readonly module: Module;
  readonly margin?: number;
}): Loss<IR.SpadeGate> =>
  lossOf({ _tag: 'SpadeGate', module: o.module.name, margin: o.margin ?? 0.75 }, o.module);

/**
 * Style-JEPA loss: mean over masked positions of `w_s |pred - norm(target)|^2`; `pred`, `target`
 * `[batch, S, D]`, `mask` `[batch, S]`. Default `weights: [2, 2, 1.5, 1, 0.75, 0.5]`.
 * @example
 * ```ts
 * const s = Branch.make('S', Net.styleEncoder());
 * const tok = Value.field(s.apply(Value.images()), 'tokens');
 * const l = Loss.maskedTokenL2({ pred: tok, target: Branch.stopGradient(tok), mask: Mask.tokens() });
 * ```
 */
export const maskedTokenL2 = <P extends Tok, T extends Tok>(
  o: Pair<P, T> & { readonly mask: Value<Msk>; readonly weights?: ReadonlyArray<number> },
): Loss<IR.MaskedTokenL2> =>
  lossOf(
    {
      _tag: 'MaskedTokenL2',
      pred: o.pred.expr,
      target: o.target.expr,
      mask: o.mask.expr,
      weights: o.weights ?? [2, 2, 1.5, 1, 0.75, 0.5],
    },
    o.pred,
    o.target,
    o.mask,
  );

/**
 * A named loss term with a weight (a schedule or number; default 1). With `adaptive`, the weight
 * (then a number) is state of the run, driven by the term's own value (see `AdaptiveWeight` in
 * `compiler/ir/node.ts`; ST-STORM's lambda_styB).
 * @example
 * ```ts
 * const x = Value.fn(Net.pool(), Value.images());
 * const t = Loss.term('var', Loss.vicregVariance({ x }), { weight: 0.05 });
 * const a = Loss.term('var', Loss.vicregVariance({ x }), {
 *   weight: 0.005,
 *   adaptive: { target: 0.06, rate: 0.1, min: 1e-4, max: 2, every: 1 },
 * });
 * ```
 */
export const term = (
  name: string,
  loss: Loss,
  o: { readonly weight?: ScheduleLike; readonly adaptive?: AdaptiveWeight } = {},
): Term => ({
  term: {
    name,
    loss: loss.node,
    weight: of(o.weight ?? 1),
    ...(o.adaptive === undefined ? {} : { adaptive: o.adaptive }),
  },
  modules: loss.modules,
  bindings: loss.bindings,
});

/**
 * The two terms of a symmetric pair: `make(a, b)` named `<name>_12` and `make(b, a)` named
 * `<name>_21`, each with `weight` (default 1). MoCo v3: `ctr(q1, k2) + ctr(q2, k1)`.
 * @example
 * ```ts
 * const [v1, v2] = View.pair(Value.images(), { options: [1, 0.1], pipeline: (p) => [Aug.gaussianBlur({ p })] });
 * const f = (v: Value<Img<3>>) => Value.fn(Net.pool(), v);
 * const terms = Loss.symmetric({ name: 'ctr', pair: [v1, v2], make: (a, b) => Loss.infoNCE({ query: f(a), key: f(b) }) });
 * ```
 */
export const symmetric = <T extends Ty>(o: {
  readonly name: string;
  readonly pair: readonly [Value<T>, Value<T>];
  readonly make: (a: Value<T>, b: Value<T>) => Loss;
  readonly weight?: ScheduleLike;
}): readonly [Term, Term] => {
  const [a, b] = o.pair;
  const w = o.weight === undefined ? {} : { weight: o.weight };
  return [term(`${o.name}_12`, o.make(a, b), w), term(`${o.name}_21`, o.make(b, a), w)];
};

/**
 * The `Loss` namespace: every loss kind, `term` and `symmetric`.
 * @example
 * ```ts
 * const x = Value.fn(Net.pool(), Value.images());
 * const t = Loss.term('ctr', Loss.infoNCE({ query: x, key: x, temperature: 0.2 }));
 * ```
 */
export const Loss = {
  infoNCE,
  infoNCEQueue,
  smoothL1,
  l2,
  l1,
  lsganGenerator,
  lsganDiscriminator,
  r1,
  patchNce,
  tokenL1,
  fftAmplitudeL1,
  slicedWasserstein,
  vicregVariance,
  vicregCovariance,
  spadeGate,
  maskedTokenL2,
  term,
  symmetric,
} as const;
