/**
 * ST-STORM (Ouattara, Duthon, Salmane, Bernardin, Ait Aider, "ST-STORM", arXiv 2604.16086 [0];
 * authors' code Hamedkiri/RT-STORM-V2 @ 4a77b29 [1]) as a pure DSL value. methods.md section 3.
 * It follows the CODE and its README's recommended command (the paper body was not readable),
 * and the intended behaviour where the code has a quirk (each with a flag for the other).
 *
 * Phase A (style transfer): `far = G_A(x, style = y)`, `y` another image of the batch. `D_A`
 * learns LSGAN + R1; the semantic content branch learns MoCo-v2 InfoNCE with a queue on
 * `(x, far)`; `G_A` learns adversarial + PatchNCE + teacher-token + L1 + gate + FFT + SWD +
 * Style-JEPA. Phase B (reconstruction): `recon = G_B(spectralNoise(far_mix), style = x)` learns
 * PatchNCE against its teacher + identity L1 + teacher-token + gate + FFT + SWD, and the semantic
 * branch learns on `(x, recon)`. Teachers `T_A`, `T_B` and the key encoders are EMAs (0.999)
 * updated after their source's optimizer step.
 */
import type { AdaptiveWeight, FoldSpec, Method as MethodIR } from '../compiler/ir/node.js';
import type { Schedule as ScheduleIR } from '../compiler/ir/schedule.js';
import type { Optimizer } from '../compiler/ir/optim.js';
import {
  Aug,
  Branch,
  Loss,
  Mask,
  Method,
  Net,
  Optim,
  Predictor,
  Schedule,
  Value,
  View,
  type Any,
  type Img,
  type Module,
  type ObjectiveOptions,
  type StyleFeatures,
  type Term,
  type Same,
  type Tok,
  type UNetFeatures,
  type Value as V,
  type Vec,
} from '../dsl/index.js';
import { semanticBranch } from './stStormSemantic.js';
import {
  JEPA_SCALE_WEIGHTS,
  PAPER_ARCH,
  PAPER_EPOCH_IMAGES,
  README_WEIGHTS,
  STORM_TRAINING as T,
  TINY_ARCH,
  type StormArch,
  type StormWeights,
} from './stStormSizes.js';

import type { StStormOptions } from './stStormOptions.js';

export {
  PAPER_ARCH,
  README_WEIGHTS,
  TINY_ARCH,
  type StormArch,
  type StormWeights,
} from './stStormSizes.js';
export type { StStormOptions } from './stStormOptions.js';

/** The base loader: Resize 286 -> RandomCrop 256 is a fixed-area crop of (256/286)^2 then resize, plus flip. */
const BASE_CROP = (256 / 286) ** 2;

const adam = (lr: number): Optimizer => Optim.adam({ lr, betas: [T.betas[0], T.betas[1]] });

/** Everything the objectives share. */
interface Parts {
  readonly a: StormArch;
  readonly w: StormWeights;
  readonly x: V<Img<3>>;
  readonly y: V<Img<3>>;
  readonly gA: Module<Img<3>, Img<3>>;
  readonly gB: Module<Img<3>, Img<3>>;
  readonly tA: Module<Img<3>, Img<3>>;
  readonly tB: Module<Img<3>, Img<3>>;
  readonly far: V<Img<3>>;
  /** The teacher-token weight of phase A (a linear ramp unless `quirks: 'code'`). */
  readonly styleA: ScheduleIR | number;
  /** Q5 as in the code: the Style-JEPA predictor is a frozen random net. */
  readonly frozenPredictor: boolean;
  /** G_B's style image in phase B: `x`, times the phase-B style gain. */
  readonly styleB: V<Img<3>>;
  /** SWD pyramid bands. */
  readonly swdLevels: number;
  /** lambda_styB's controller, or none (fixed). */
  readonly adaptiveB: AdaptiveWeight | undefined;
}

/** `v` times `gain` (a deterministic Normalize view, mean 0, std 1/gain); `v` itself for gain 1. */
const gained = (name: string, v: V<Img<3>>, gain: number): V<Img<3>> =>
  gain === 1
    ? v
    : View.make(name, v, [Aug.normalize({ mean: [0, 0, 0], std: [1 / gain, 1 / gain, 1 / gain] })]);

const part = <T extends StyleFeatures<number> | UNetFeatures>(
  m: Module,
  p: 'encoder' | 'styleEncoder',
  x: V<Img<3>>,
): V<T> => Branch.applyPart<T>(m, [p], { x });

/** Style tokens `[batch, levels + 1, tokenDim]` of a generator's (or teacher's) style encoder. */
const tokensOf = (m: Module, x: V<Img<3>>): V<Tok> =>
  Value.field(part<StyleFeatures<number>>(m, 'styleEncoder', x), 'tokens');

/** The PatchNCE layers of the reference at 256: bottleneck (4x4), skip2 (64x64), skip3 (32x32). */
const NCE_LAYERS = ['bottleneck', 'skip2', 'skip3'] as const;

/** PatchNCE between the encoder of `query` (gradient side) and of `key` (detached), 1/3 per layer. */
const patchNceTerms = (
  p: Parts,
  weight: number,
  q: { m: Module; x: V<Img<3>> },
  k: { m: Module; x: V<Img<3>> },
): ReadonlyArray<Term> => {
  const qf = part<UNetFeatures>(q.m, 'encoder', q.x);
  const kf = Branch.stopGradient(part<UNetFeatures>(k.m, 'encoder', k.x));
  return NCE_LAYERS.map((l) =>
    Loss.term(
      `nce_${l}`,
      Loss.patchNce({
        query: Value.field(qf, l),
        key: Value.field(kf, l),
        patches: p.a.ncePatches,
      }),
      { weight: weight / NCE_LAYERS.length },
    ),
  );
};

/** Gate, FFT and SWD terms of a generator output against a style target. */
const textureTerms = (
  p: Parts,
  g: Module,
  out: V<Img<3>>,
  target: V<Img<3>>,
): ReadonlyArray<Term> => [
  Loss.term('gate', Loss.spadeGate({ module: g, margin: 0.75 }), { weight: p.w.gate }),
  Loss.term('fft', Loss.fftAmplitudeL1({ pred: out, target }), { weight: p.w.fft }),
  Loss.term(
    'swd',
    Loss.slicedWasserstein({
      pred: out,
      target,
      patch: p.a.swdPatch,
      projections: p.a.swdProjections,
      maxPatches: p.a.swdMaxPatches,
      levels: p.swdLevels,
    }),
    { weight: p.w.swd },
  ),
];

/** A discriminator objective: LSGAN on (real, detached fake) + R1 on real every `r1Every` steps. */
const discriminatorObjective = (
  p: Parts,
  name: string,
  d: Module<Img<3>, Img<1>>,
  real: V<Img<3>>,
  fake: V<Img<3>>,
  phase: string,
): ObjectiveOptions => ({
  name,
  terms: [
    Loss.term(
      'lsgan',
      Loss.lsganDiscriminator({ real: d.apply(real), fake: d.apply(Branch.stopGradient(fake)) }),
    ),
    Loss.term('r1', Loss.r1({ module: d, real, gamma: p.w.r1Gamma, every: p.w.r1Every })),
  ],
  optimizer: adam(T.generatorLr * T.discriminatorLrScale),
  params: [d],
  phases: [phase],
});

/**
 * Style-JEPA (`TokenJEPA`): the student `G_A` style encoder on spectral view 1, the token
 * predictor, the teacher `T_A` on view 2 (stop-gradient), masked weighted L2, and VICReg variance
 * and covariance on the predictions standardised per dimension (a batch norm without affine).
 */
const styleJepaTerms = (
  p: Parts,
  predictor: Module<Tok, Tok>,
  standardize: Module<Any, Same>,
): ReadonlyArray<Term> => {
  const count = p.a.levels + 1;
  const view = (name: string) =>
    View.make(name, p.y, [
      Aug.spectralNoise({ sigma: 2, gamma: 3 }),
      Aug.horizontalFlip({ p: 0.5 }),
    ]);
  const pred = predictor.apply(tokensOf(p.gA, view('jepaView1')));
  const target = Branch.stopGradient(tokensOf(p.tA, view('jepaView2')));
  const z = standardize.apply(pred);
  const mask = Mask.tokens({ name: 'jepaMask', count, ratio: 0.6, bias: 2 });
  return [
    Loss.term(
      'jepa',
      Loss.maskedTokenL2({ pred, target, mask, weights: JEPA_SCALE_WEIGHTS.slice(0, count) }),
      { weight: p.w.styleJepa },
    ),
    Loss.term('jepa_var', Loss.vicregVariance({ x: z }), { weight: p.w.styleJepa * p.w.jepaVar }),
    // reference: OffDiagCov / (D (D - 1)); the IR divides by D, so the weight carries 1 / (D - 1)
    Loss.term('jepa_cov', Loss.vicregCovariance({ x: z }), {
      weight: (p.w.styleJepa * p.w.jepaCov) / (p.a.tokenDim - 1),
    }),
  ];
};

/** Phase A generator objective (`helpers.py: train_step_phase_A`, generator side). */
const generatorA = (p: Parts, dA: Module<Img<3>, Img<1>>): ObjectiveOptions => {
  const predictor = Branch.make(
    'jepaPredictor',
    Predictor.tokens({ dim: p.a.tokenDim, count: p.a.levels + 1, heads: 4, hiddenRatio: 2 }),
  );
  const standardize = Branch.make(
    'jepaStandardize',
    Net.batchNorm({ features: p.a.tokenDim, affine: false }),
  );
  return {
    name: 'generatorA',
    terms: [
      Loss.term('adv', Loss.lsganGenerator({ fake: dA.apply(p.far) }), { weight: p.w.adv }),
      ...patchNceTerms(p, p.w.nceA, { m: p.gA, x: p.far }, { m: p.gA, x: p.x }),
      Loss.term(
        'tok',
        Loss.tokenL1({
          pred: tokensOf(p.tA, p.far),
          target: Branch.stopGradient(tokensOf(p.tA, p.y)),
        }),
        { weight: p.styleA },
      ),
      Loss.term('l1', Loss.l1({ pred: p.far, target: p.x }), { weight: p.w.l1A }),
      ...textureTerms(p, p.gA, p.far, p.y),
      ...styleJepaTerms(p, predictor, standardize),
    ],
    optimizer: adam(T.generatorLr),
    params: p.frozenPredictor ? [p.gA] : [p.gA, predictor],
    phases: ['A'],
  };
};

/** Phase B generator objective (`helpers.py: train_step_phase_B`), with the optional adversarial term. */
const generatorB = (p: Parts, memory: boolean, dB: Module<Img<3>, Img<1>> | undefined) => {
  const styles = memory ? Value.memory('styleBank', p.y, { size: 2000, ratio: 1 }) : p.y;
  const fresh = Branch.stopGradient(p.gA.apply(p.x, { style: styles }));
  const farMix = memory ? Value.memory('replay', fresh, { size: 50, ratio: 0.3 }) : fresh;
  const noisy = View.make('farNoise', farMix, [Aug.spectralNoise({ sigma: 2, gamma: 3 })]);
  const recon = p.gB.apply(noisy, { style: p.styleB });
  const objective: ObjectiveOptions = {
    name: 'generatorB',
    terms: [
      ...(dB === undefined
        ? []
        : [Loss.term('adv', Loss.lsganGenerator({ fake: dB.apply(recon) }), { weight: p.w.adv })]),
      ...patchNceTerms(p, p.w.nceB, { m: p.gB, x: recon }, { m: p.tB, x: p.x }),
      Loss.term('idt', Loss.l1({ pred: recon, target: p.x }), { weight: p.w.idtB }),
      Loss.term(
        'tok',
        Loss.tokenL1({
          pred: tokensOf(p.tB, recon),
          target: Branch.stopGradient(tokensOf(p.tB, p.x)),
        }),
        { weight: p.w.styleB, ...(p.adaptiveB === undefined ? {} : { adaptive: p.adaptiveB }) },
      ),
      ...textureTerms(p, p.gB, recon, p.x),
    ],
    optimizer: adam(T.generatorLr),
    params: [p.gB],
    phases: ['B'],
  };
  return { objective, recon };
};

/** Representation `style`: tok6, a style encoder's L2-normalised tokens, flattened `[batch, (levels+1) tokenDim]`. */
const styleFeature = (m: Module): V<Vec> =>
  Value.fn(Net.flatten(), Value.fn(Net.l2Normalize(), tokensOf(m, Value.images())));

/** lambda_styB's controller (`helpers.py train_step_phase_B`); `tiny` updates every 10 steps. */
const adaptiveStyleB = (paper: boolean): AdaptiveWeight => ({
  target: T.styleBalanceTarget,
  rate: T.styleBalanceRate,
  min: T.styleWeightBMin,
  max: T.styleWeightBMax,
  every: paper ? T.styleBalanceEvery : 10,
});

/** The base loader's view (resize 286, random crop 256, flip: methods.md 3.4) of `source`. */
const baseView = (name: string, source: V<Img<3>>, size: number): V<Img<3>> =>
  View.make(name, source, [
    Aug.randomResizedCrop({ size, scale: [BASE_CROP, BASE_CROP], ratio: [1, 1] }),
    Aug.horizontalFlip({ p: 0.5 }),
  ]);

/** The pseudo-domain folds of `styleSource: 'folds'` (see `StStormOptions.foldEpochs`). */
const foldSpec = (o: StStormOptions, paper: boolean): FoldSpec => {
  const roundEpochs = (T.advEpochs + T.recEpochs) * (o.epoch === 'dataset' ? T.kFolds : 1);
  return { k: T.kFolds, rotateEvery: o.foldEpochs ?? (paper ? T.foldRounds * roundEpochs : 1) };
};

/** Steps of phase A, phase B and the whole run. */
const stepCounts = (
  o: StStormOptions,
  paper: boolean,
  batch: number,
): { stepsA: number; stepsB: number; steps: number } => {
  const per = o.epoch === 'dataset' ? batch : T.kFolds * batch;
  const epochSteps = Math.floor((o.epochImages ?? PAPER_EPOCH_IMAGES) / per);
  const [stepsA, stepsB] =
    o.phaseSteps ?? (paper ? [T.advEpochs * epochSteps, T.recEpochs * epochSteps] : [20, 20]);
  return { stepsA, stepsB, steps: o.steps ?? (paper ? T.epochs * epochSteps : 600) };
};

/**
 * ST-STORM as a method (see the module comment). Reference files: [1] `README.md` (recommended
 * command), `config.py` (argparse defaults), `helpers.py` (phase steps and losses),
 * `train_style_disentangle.py` (loop, optimisers, cycle), `models/*.py` (nets), `training/scheduler.py`.
 *
 * Sizes. `paper`: 256x256, generators ngf 64 with 5 U-Net levels (6 style tokens of 256, SPADE
 * maps 64), PatchGAN 64 x 4 with spectral norm (`models/generator.py`, `models/discriminator.py`),
 * ResNet-50 semantic branch (1x1 conv 2048 -> 256 = a Linear on the pooled feature, projector
 * 256-512-256, queue 6000 `--sem_queue`, tau 0.2; `models/semantic_moco_jepa.py`), batch 8
 * (`config.py`), 41 epochs (README command) of one fold each (`--k_folds 2`, option `epoch`),
 * rounds of 2 + 2 epochs A/B (`CycleScheduler`, `--skip_amix`). `tiny`: 32x32, ngf 8, 3 levels (4
 * tokens of 32), PatchGAN 8 x 3, the tiny ResNet (stem stride 2; 128 -> 32 -> 64 -> 32, queue 256),
 * SWD patch 8, PatchNCE 16 positions, phases of 20 + 20 steps, 600 steps; its semantic branch
 * trains with the `tiny` contrastive recipe of `tinyRecipe.ts` (the views of MoCo v3 `tiny`, AdamW
 * 6e-3 warm-up/cosine, wd 0.05, key EMA 0.99 -> 1): with the reference's 1e-4 and EMA 0.999 it
 * does not move in a few hundred steps from scratch (docs/learning.md). The authors' path, a
 * branch started from a MoCo v3 checkpoint and trained at 1e-4, is `semanticOptimizer:
 * 'reference'` with `--init semBackbone=FILE` (measured: content 50% after 200 steps from a
 * 600-step MoCo v3 `tiny` start; the `tiny` recipe's 6e-3 destroys that start).
 *
 * Weights (README command, `helpers.py`): adv 1, PatchNCE 0.2 (`--lambda_nce_a_adv`, 1/3 per
 * layer `bot,skip64,skip32`), teacher tokens 5 -> 50 (Q3), L1 0.05 (`--lambda_reg_a_adv`), gate
 * 0.05 (margin 0.75), FFT 0.1, SWD 0.05, Style-JEPA 2 (Q1; mask 0.6, bias 2, scale weights 2, 2,
 * 1.5, 1, 0.75, 0.5, VICReg 0.05 / 0.05: `models/jepa.py`), R1 gamma 10 every 16, semantic 1
 * (`--lambda_sem`, two styles averaged); phase B PatchNCE 1, identity 1, tokens 0.005, the same
 * gate / FFT / SWD weights as A [inferred]. Optimisers (`train_style_disentangle.py`): Adam 2e-4
 * (0.5, 0.999) for generators (G_A with the JEPA predictor unless frozen, Q5), 1e-4 for
 * discriminators (betas as G [inferred]); AdamW 1e-4, wd 1e-4 for the semantic branch, lr per step
 * (Q7, `training/scheduler.py`; `semanticSchedule`). Teachers and key encoders: EMA 0.999.
 *
 * Options that follow the reference by default, each with a flag for the other behaviour:
 * `styleSource` (`train_style_disentangle.py`, `helpers.py`: `y` from the other pseudo-domain
 * fold, `--k_folds 2`, `Value.pairedImages()` with `training.folds`, the pair rotating every
 * `foldEpochs`, 4 rounds; `batch`: a permutation of the batch), `styleFrom` (G_B, Q8),
 * `semanticViews` (`--sem_use_aug`), `semanticTwoStyles`
 * (`--sem_two_styles`), `semanticPhaseB` (Q9), `semanticSchedule` (Q7), `semanticOptimizer`, `memory` (style bank 2000
 * and replay 50 @ 0.3, `helpers.py`), `epoch` (one fold), `quirks` (Q1, Q3, Q5: intended by default),
 * `spadeBlock` (`models/backbone.py` `SPADEResBlock`: ReLU after the residual add, `SPADELayer`
 * map branch and token MLP `hidden=128`; `tiny` 16, scaled by 1/8 like ngf, tokenDim and
 * mapChannels), `styleGain` (Q6, `config.py --style_gain_A 10 --style_gain_B 1.5`, `helpers.py`
 * `apply_style_gain` on the style image: a Normalize view, mean 0, std 1/gain), `teacherBInPhaseA`
 * (`helpers.py train_step_phase_A` moves T_A and T_B after G_A's step: `EmaSpec.alsoAfter`),
 * `styleWeightB` (`helpers.py train_step_phase_B`: lambda_styB from 0.005, times
 * `1 + 0.1 (d - 0.06) / 0.06` with `d` the T_B token distance of recon and x, clipped to
 * `[1e-4, 2]`, on logging steps, `--tb_freq 1000`; `tiny` every 10: `Term.adaptive`, state of the
 * compiled step; `d` is the term's value before T_B's EMA update, the reference measures after
 * it; its one-epoch warm-up at 0 never applies, phase B starts at epoch 2) and `swdLevels`
 * (`models/losses_nce.py swd_loss_images`, Q11: 9 Laplacian bands at 256, 6 at 32; the
 * reference's `levels = 1` quirk, two bands, is not copied: 1 is the plain single level).
 * Q2 (content-NCE across two styles, inactive in the code) and Q4 (U-Net content-JEPA off with the
 * semantic branch) are not modelled.
 *
 * Differences that remain (documented, none silent):
 * - images stay in `[0, 1]` (the reference normalises to `[-1, 1]`): representations read clean
 *   `Input` images, and a Normalize view would make them random; spectral noise clips to `[0, 1]`;
 * - the pseudo-domain fold split is seeded by the run seed (the reference's is seed 42); phases
 *   are counted in steps, the fold rotation in epochs of one fold (`runtime/dataOrder.ts`);
 * - the semantic branch's pretrained start (`--sem_pretrained`, a MoCo v3 checkpoint) is
 *   `tessera train --init semBackbone=FILE.safetensors`, not part of the spec; it sees images at
 *   the generator's resolution (224 in the reference); phase B and the second style get their own
 *   InfoNCE queue (and phase B its own AdamW state); the content-JEPA on ResNet tokens is absent;
 *   the per-step lr drops its warm-up from 0 over 5000 steps (see `semanticLr`);
 * - the style gain multiplies images in `[0, 1]` (the reference's are in `[-1, 1]`); the SPADE
 *   block's 1x1 skip conv has no bias (the reference's has one);
 * - Style-JEPA runs every step (`--jepa_every 1`); PatchNCE uses CUT's form (keys detached,
 *   negatives: other sampled positions of the same image);
 * - objectives run in the order D_A, semantic, G_A so that `far` in the semantic step comes from
 *   G_A before its update, as the reference's `far.detach()` does;
 * - `D_B` exists only with `adversarialB`; `fused` is an untrained FusionHead (the reference
 *   trains it downstream).
 *
 * Modules: `G_A`, `G_B`, `T_A`, `T_B` (EMA 0.999), `D_A` (`D_B`), `jepaPredictor`,
 * `jepaStandardize` (buffers only), `semBackbone`, `semProjector`, `semBackboneKey`,
 * `semProjectorKey` (EMA 0.999), `fusion`. Representations: `style` (tok6 of `styleFrom`),
 * `content` (the semantic ResNet's pooled feature, 2048 for paper), `fused` (`[batch, 1024]`).
 */
export const stStorm = (o: StStormOptions = {}): MethodIR => {
  const paper = (o.preset ?? 'paper') === 'paper';
  const a = paper ? PAPER_ARCH : TINY_ARCH;
  const code = o.quirks === 'code';
  const w: StormWeights = {
    ...README_WEIGHTS,
    styleJepa: code ? README_WEIGHTS.styleJepa : T.styleJepaIntended,
    ...o.weights,
  };
  const batch = o.batch ?? T.batch;
  const { stepsA, stepsB, steps } = stepCounts(o, paper, batch);
  const semantic = o.semantic ?? true;
  const plainSpade = o.spadeBlock === 'plain';
  const g = Net.generator({
    ngf: a.ngf,
    levels: a.levels,
    maxChannels: a.maxChannels,
    tokenDim: a.tokenDim,
    mapChannels: a.mapChannels,
    spadeHidden: plainSpade ? a.mapChannels : a.spadeHidden,
    spadeRelu: !plainSpade,
  });
  const [gainA, gainB] = o.styleGain ?? [T.styleGainA, T.styleGainB];
  const gA = Branch.make('G_A', g);
  const gB = Branch.make('G_B', g);
  const x = baseView('x', Value.images(), a.image);
  const folds = (o.styleSource ?? 'folds') === 'folds' ? foldSpec(o, paper) : undefined;
  const y =
    folds === undefined ? Value.permute('style', x) : baseView('y', Value.pairedImages(), a.image);
  const styleRamp = Schedule.linear({
    from: T.styleLambdaMin,
    to: w.style,
    start: 0,
    end: T.styleLambdaWarmupEpochs / T.epochs,
  });
  const p: Parts = {
    a,
    w,
    x,
    y,
    gA,
    gB,
    tA: Branch.ema('T_A', gA, { momentum: T.momentum }),
    tB: Branch.ema('T_B', gB, {
      momentum: T.momentum,
      ...((o.teacherBInPhaseA ?? true) ? { alsoAfter: ['generatorA'] } : {}),
    }),
    far: gA.apply(x, { style: gained('styleGainA', y, gainA) }),
    styleA: code || o.weights?.style !== undefined ? w.style : styleRamp,
    frozenPredictor: code,
    styleB: gained('styleGainB', x, gainB),
    swdLevels: o.swdLevels ?? a.swdLevels,
    adaptiveB: (o.styleWeightB ?? 'adaptive') === 'adaptive' ? adaptiveStyleB(paper) : undefined,
  };
  const d = () => Net.patchGan({ ndf: a.ndf, layers: a.dLayers, spectralNorm: true });
  const dA = Branch.make('D_A', d());
  const dB = o.adversarialB === true ? Branch.make('D_B', d()) : undefined;
  const b = generatorB(p, o.memory ?? true, dB);
  const sem = semantic
    ? semanticBranch(
        {
          arch: a,
          weights: w,
          x,
          keysA: [p.far, gA.apply(x, { style: Value.permute('style2', x) })],
          keyB: b.recon,
          steps,
        },
        {
          views: o.semanticViews ?? true,
          twoStyles: o.semanticTwoStyles ?? true,
          phaseB: o.semanticPhaseB ?? true,
          schedule: o.semanticSchedule ?? 'step',
          optimizer: o.semanticOptimizer ?? (paper ? 'reference' : 'tiny'),
        },
      )
    : undefined;
  const style = styleFeature((o.styleFrom ?? 'G_B') === 'G_B' ? gB : p.tA);
  const content = sem === undefined ? undefined : sem.backbone.apply(Value.images());
  const fusion = Branch.make(
    'fusion',
    Net.fusionHead({
      styleDim: (a.levels + 1) * a.tokenDim,
      contentDim: a.semFeature,
      dim: a.fusionDim,
    }),
  );
  const [semA, ...semB] = sem?.objectives ?? [];
  return Method.make({
    name: 'st-storm',
    input: { size: a.image },
    training: { batch, steps, ...(folds === undefined ? {} : { folds }) },
    phases: [
      { name: 'A', steps: stepsA },
      { name: 'B', steps: stepsB },
    ],
    objectives: [
      discriminatorObjective(p, 'discriminatorA', dA, y, p.far, 'A'),
      ...(semA === undefined ? [] : [semA]),
      generatorA(p, dA),
      ...(dB === undefined
        ? []
        : [discriminatorObjective(p, 'discriminatorB', dB, x, b.recon, 'B')]),
      ...semB,
      b.objective,
    ],
    representations: {
      style,
      ...(content === undefined ? {} : { content }),
      ...(content === undefined || o.fused === false
        ? {}
        : { fused: Branch.applyPart<Vec>(fusion, [], { style, content }) }),
    },
  });
};
