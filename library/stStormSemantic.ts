/**
 * ST-STORM's semantic content branch (`--sem_content`; `models/semantic_moco_jepa.py`,
 * `helpers.py: semantic_content_step_moco_jepa`, methods.md 3.2 / 3.5 / 3.9 Q7 Q9): a ResNet
 * + token linear + projector trained with MoCo-v2 InfoNCE against an EMA key encoder and a queue.
 * Pure DSL; `stStorm.ts` wires it in.
 */
import type { AugNode } from '../compiler/ir/augment.js';
import type { Schedule as ScheduleIR } from '../compiler/ir/schedule.js';
import {
  Aug,
  Branch,
  Loss,
  Net,
  Optim,
  Schedule,
  View,
  type Img,
  type Module,
  type Net as NetT,
  type ObjectiveOptions,
  type Term,
  type Value as V,
  type Vec,
} from '../dsl/index.js';
import { TINY_CONTRASTIVE_LR, tinyViewPipeline } from './tinyRecipe.js';
import { STORM_TRAINING as T, type StormArch, type StormWeights } from './stStormSizes.js';

/** How the semantic branch is trained (options of `stStorm`, see its TSDoc). */
export interface SemanticRegime {
  /** `--sem_use_aug`: its own random views of the query and key images. */
  readonly views: boolean;
  /** `--sem_two_styles`: a second key `G_A(x, y')` with another style, the two losses averaged. */
  readonly twoStyles: boolean;
  /** Q9: also trains in phase B (query `x`, key the detached reconstruction). */
  readonly phaseB: boolean;
  /** Q7: `step` = the per-step scheduler that wins in the reference; `epoch` = the per-epoch one. */
  readonly schedule: 'step' | 'epoch';
  /**
   * `reference`: AdamW 1e-4 (`schedule`), weight decay 1e-4, key EMA 0.999, as the authors train a
   * semantic branch started from a MoCo v3 checkpoint; `tiny`: the `tiny` contrastive recipe
   * (AdamW 6e-3 warm-up/cosine, weight decay 0.05, key EMA 0.99 -> 1), which moves a branch
   * trained from scratch within a few hundred steps (on the tiny ResNet only).
   */
  readonly optimizer: 'reference' | 'tiny';
}

/** The images each phase hands the semantic branch: the query `x` and its positive keys. */
export interface SemanticInputs {
  readonly arch: StormArch;
  readonly weights: StormWeights;
  readonly x: V<Img<3>>;
  /** Phase A keys: `far = G_A(x, y)` and, with `twoStyles`, `G_A(x, y')`. */
  readonly keysA: ReadonlyArray<V<Img<3>>>;
  /** Phase B key: the reconstruction `G_B(noisy far, style x)`. */
  readonly keyB: V<Img<3>>;
  /** Training steps of the whole run (the per-step schedule's marks are in steps). */
  readonly steps: number;
}

/** `--sem_use_aug` (methods.md 3.4): RRC (0.5, 1), flip, jitter 0.4 / hue 0.1 p 0.8, grayscale 0.2, blur 0.1. */
const semanticAugmentation = (size: number): ReadonlyArray<AugNode> => [
  Aug.randomResizedCrop({ size, scale: [0.5, 1] }),
  Aug.horizontalFlip({ p: 0.5 }),
  Aug.colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 }),
  Aug.grayscale({ p: 0.2 }),
  Aug.gaussianBlur({ sigma: [0.1, 2], p: 0.1 }),
];

/**
 * The semantic learning rate. `epoch` (`main.py`'s per-epoch scheduler): warm-up 5 of 41 epochs
 * from 1e-5 to 1e-4, cosine to 1e-6. `step` (`training/scheduler.py`, which overrides it, Q7):
 * cosine from 1e-4 at step 5000 to 1e-5 at step 100k, flat after; the linear warm-up from 0 over
 * the first 5000 steps is dropped (a schedule has one warm-up OR a flat tail), so a run shorter
 * than 5000 steps (`tiny`) keeps 1e-4.
 */
export const semanticLr = (schedule: SemanticRegime['schedule'], steps: number): ScheduleIR =>
  schedule === 'epoch'
    ? Schedule.warmupCosine({
        warmup: T.semanticWarmupEpochs / T.epochs,
        start: T.semanticStartLr,
        peak: T.semanticLr,
        end: T.semanticEndLr,
      })
    : Schedule.cosine({
        from: T.semanticLr,
        to: T.semanticStepEndLr,
        start: Math.min(1, T.semanticWarmupSteps / steps),
        end: Math.min(1, T.semanticCosineSteps / steps),
      });

/** The semantic objectives (`semantic` in phase A, `semanticB` in phase B) and the backbone. */
export const semanticBranch = (s: SemanticInputs, r: SemanticRegime) => {
  const a = s.arch;
  const tiny = a.resnet === 'tiny';
  const backboneNet: NetT<Img<3>, Vec, 'ResNet'> = tiny
    ? Net.resnetTiny({ stemStride: 2 })
    : Net.resnet50();
  const backbone = Branch.make('semBackbone', backboneNet);
  const projector = Branch.make(
    'semProjector',
    Net.seq(
      Net.linear({ in: a.semFeature, out: a.semDim, init: 'default' }),
      Net.mlp({ in: a.semDim, hidden: a.semHidden, out: a.semDim, norm: 'none', bias: true }),
    ),
  );
  const tinyRecipe = tiny && r.optimizer === 'tiny';
  const momentum = tinyRecipe ? Schedule.cosine({ from: 0.99, to: 1 }) : T.momentum;
  const backboneKey = Branch.ema('semBackboneKey', backbone, { momentum });
  const projectorKey = Branch.ema('semProjectorKey', projector, { momentum });
  const pipeline = tiny ? tinyViewPipeline(a.image) : semanticAugmentation(a.image);
  const seen = (name: string, v: V<Img<3>>): V<Img<3>> =>
    r.views ? View.make(name, v, pipeline) : v;
  const q = projector.apply(backbone.apply(seen('semQuery', s.x)));
  const keyOf = (name: string, img: V<Img<3>>) =>
    Branch.stopGradient(
      projectorKey.apply(backboneKey.apply(seen(name, Branch.stopGradient(img)))),
    );
  const mocoTerms = (keys: ReadonlyArray<V<Img<3>>>, prefix: string): ReadonlyArray<Term> =>
    keys.map((k, i) =>
      Loss.term(
        i === 0 ? 'moco' : `moco${i + 1}`,
        Loss.infoNCEQueue({
          query: q,
          key: keyOf(`${prefix}${i === 0 ? '' : i + 1}`, k),
          temperature: s.weights.semTau,
          queueSize: a.queue,
        }),
        { weight: s.weights.sem / keys.length },
      ),
    );
  const objective = (
    name: string,
    terms: ReadonlyArray<Term>,
    phase: string,
  ): ObjectiveOptions => ({
    name,
    terms,
    optimizer: tinyRecipe
      ? Optim.adamw({
          lr: Schedule.warmupCosine({ warmup: 0.1, peak: TINY_CONTRASTIVE_LR }),
          weightDecay: 0.05,
        })
      : Optim.adamw({ lr: semanticLr(r.schedule, s.steps), weightDecay: T.semanticWd }),
    params: [backbone, projector],
    phases: [phase],
  });
  const objectives = [
    objective('semantic', mocoTerms(r.twoStyles ? s.keysA : s.keysA.slice(0, 1), 'semKey'), 'A'),
    ...(r.phaseB ? [objective('semanticB', mocoTerms([s.keyB], 'semKeyB'), 'B')] : []),
  ];
  return { objectives, backbone: backbone as Module<Img<3>, Vec> };
};
