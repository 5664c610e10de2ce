/**
 * MoCo v3 (Chen, Xie, He, "An Empirical Study of Training Self-Supervised Vision Transformers",
 * ICCV 2021, arXiv 2104.02057 [0]; reference code facebookresearch/moco-v3 @ c349e6e [1]) as a pure
 * DSL value. See methods.md section 1.
 *
 * Query: `q = predictor(projector(backbone(view)))`; key: `k = momentumProjector(momentumBackbone(view))`
 * (EMA copies, stop-gradient). Loss `ctr(q1, k2) + ctr(q2, k1)`, `ctr = CE(norm(q) norm(k)^T / tau, diag) * 2 tau`.
 * Views: BYOL-style asymmetric augmentations (blur 1.0 / 0.1, solarize 0 / 0.2) for `paper`; the
 * `tiny` views of `tinyRecipe.ts` without blur and solarize (docs/learning.md: at 32x32 they halve
 * what the tiny ResNet learns about content in 600 steps).
 */
import type { AugNode } from '../compiler/ir/augment.js';
import type { Method as MethodIR, Optimizer } from '../compiler/ir/node.js';
import { cleanView, TINY_CONTRASTIVE_LR, TINY_VIEWS } from './tinyRecipe.js';
import {
  Aug,
  Branch,
  Loss,
  Method,
  Net,
  Optim,
  Predictor,
  Schedule,
  Value,
  View,
  type Img,
  type Value as V,
  type Vec,
} from '../dsl/index.js';

/** ImageNet-1k training images, to turn epochs into steps. */
export const IMAGENET_TRAIN_IMAGES = 1_281_167;

/** Options of `mocoV3`. Every field has the preset's default; see the presets for the numbers. */
export interface MocoV3Options {
  /** `paper`: ImageNet 224 reference settings; `tiny`: 32x32 images, trains on 2 CPU cores. Default `paper`. */
  readonly preset?: 'paper' | 'tiny';
  /** `vit` (ViT-B/16 for paper, a 3-block ViT for tiny) or `resnet` (ResNet-50 + LARS / the tiny ResNet + AdamW). Default: `paper` `vit` (the paper's main model), `tiny` `resnet` (the recipe that learns content on the built-in data in minutes, docs/learning.md; the tiny ViT does not). */
  readonly backbone?: 'vit' | 'resnet';
  /** Softmax temperature tau (paper: 0.2 for ViT, 1.0 for ResNet). */
  readonly temperature?: number;
  /** Initial EMA momentum m0, raised to 1 by a half-cosine (paper 0.99). */
  readonly momentum?: number;
  /** Batch size (paper 4096). */
  readonly batch?: number;
  /** Training steps (paper: epochs x ImageNet iterations per epoch). */
  readonly steps?: number;
  /** Minimum RandomResizedCrop scale (paper 0.08 ViT, 0.2 ResNet). */
  readonly cropMin?: number;
  /** Peak learning rate (paper: 1.5e-4 x B/256 for ViT with AdamW, 0.6 x B/256 for ResNet with LARS). */
  readonly lr?: number;
  /** Colour jitter strengths and probability (paper: brightness 0.4, contrast 0.4, saturation 0.2, hue 0.1, p 0.8). */
  readonly colorJitter?: {
    readonly brightness: number;
    readonly contrast: number;
    readonly saturation: number;
    readonly hue: number;
    readonly p: number;
  };
  /** Probability of grayscale (paper 0.2). */
  readonly grayscale?: number;
  /** BYOL's asymmetric blur (p 1.0 / 0.1) and solarize (p 0 / 0.2) in the two views. Default: `paper` on, `tiny` off. */
  readonly byolViews?: boolean;
  /** ResNet backbones: zero-initialise the last BatchNorm scale of each residual block. Default: `paper` on (torchvision's `zero_init_residual`, as the reference), `tiny` off. */
  readonly zeroInitResidual?: boolean;
}

interface Sizes {
  readonly image: number;
  readonly batch: number;
  readonly steps: number;
  readonly temperature: number;
  readonly momentum: number;
  readonly cropMin: number;
  readonly blurSigma: readonly [number, number];
  readonly lr: number | undefined;
  readonly jitter: {
    readonly brightness: number;
    readonly contrast: number;
    readonly saturation: number;
    readonly hue: number;
    readonly p: number;
  };
  readonly grayscale: number;
  readonly byolViews: boolean;
  readonly zeroInitResidual: boolean;
}

/** The paper's views (methods.md 1.5). */
const PAPER_JITTER = { brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1, p: 0.8 } as const;

const defaults = (o: MocoV3Options): Sizes => {
  const paper = (o.preset ?? 'paper') === 'paper';
  const vit = backboneOf(o) === 'vit';
  const batch = o.batch ?? (paper ? 4096 : 32);
  const epochs = vit ? 300 : 100;
  return {
    image: paper ? 224 : 32,
    batch,
    steps: o.steps ?? (paper ? epochs * Math.floor(IMAGENET_TRAIN_IMAGES / batch) : 600),
    temperature: o.temperature ?? (vit || !paper ? 0.2 : 1.0),
    momentum: o.momentum ?? 0.99,
    cropMin: o.cropMin ?? (paper ? (vit ? 0.08 : 0.2) : TINY_VIEWS.cropMin),
    blurSigma: paper ? [0.1, 2] : [0.1, 0.5],
    lr: o.lr,
    jitter: o.colorJitter ?? (paper ? PAPER_JITTER : TINY_VIEWS.jitter),
    grayscale: o.grayscale ?? (paper ? 0.2 : TINY_VIEWS.grayscale),
    byolViews: o.byolViews ?? paper,
    zeroInitResidual: o.zeroInitResidual ?? paper,
  };
};

/** The backbone: `paper` the ViT, `tiny` the tiny ResNet (the recipe that learns content, docs/learning.md), unless `backbone` says otherwise. */
const backboneOf = (o: MocoV3Options): 'vit' | 'resnet' =>
  o.backbone ?? ((o.preset ?? 'paper') === 'paper' ? 'vit' : 'resnet');

/** The augmentation pipeline of one view: BYOL's (methods.md 1.5), without blur and solarize unless `byolViews`. */
const byol =
  (s: Sizes) =>
  (p: { readonly blur: number; readonly solarize: number }): ReadonlyArray<AugNode> => [
    Aug.randomResizedCrop({ size: s.image, scale: [s.cropMin, 1] }),
    Aug.colorJitter(s.jitter),
    Aug.grayscale({ p: s.grayscale }),
    ...(s.byolViews
      ? [Aug.gaussianBlur({ sigma: s.blurSigma, p: p.blur }), Aug.solarize({ p: p.solarize })]
      : []),
    Aug.horizontalFlip({ p: 0.5 }),
    Aug.normalize(),
  ];

/** Backbone, projector, predictor and optimizer of one variant. */
interface Parts {
  readonly backbone: Net<Img<3>, Vec>;
  readonly projector: Net<Vec, Vec>;
  readonly predictor: Net<Vec, Vec>;
  readonly optimizer: Optimizer;
}

const vitParts = (paper: boolean, s: Sizes): Parts => {
  const dim = paper ? 768 : 64;
  const mlpDim = paper ? 4096 : 256;
  const out = paper ? 256 : 64;
  const epochs = 300;
  return {
    backbone: paper
      ? Net.vit({ imageSize: 224, patch: 16, dim, depth: 12, heads: 12, stopGradPatchEmbed: true })
      : Net.vit({ imageSize: 32, patch: 4, dim, depth: 3, heads: 4, stopGradPatchEmbed: true }),
    projector: Net.mlp({ in: dim, hidden: mlpDim, out, layers: 3, lastNorm: 'batchNoAffine' }),
    predictor: Predictor.mlp({ in: out, hidden: mlpDim, layers: 2, lastNorm: 'batchNoAffine' }),
    optimizer: Optim.adamw({
      lr: Schedule.warmupCosine({
        warmup: 40 / epochs,
        peak: s.lr ?? (paper ? 1.5e-4 : 1.5e-3) * (s.batch / 256),
      }),
      weightDecay: paper ? 0.1 : 0.05,
      decayAll: true,
    }),
  };
};

const resnetParts = (paper: boolean, s: Sizes): Parts => {
  const dim = paper ? 2048 : 128;
  const mlpDim = paper ? 4096 : 512;
  const out = paper ? 256 : 64;
  return {
    backbone: paper
      ? Net.resnet50({ zeroInitResidual: s.zeroInitResidual })
      : Net.resnetTiny({ zeroInitResidual: s.zeroInitResidual, stemStride: 2 }),
    projector: Net.mlp({ in: dim, hidden: mlpDim, out, layers: 2, lastNorm: 'batchNoAffine' }),
    predictor: Predictor.mlp({ in: out, hidden: mlpDim, layers: 2, lastNorm: 'none' }),
    optimizer: paper
      ? Optim.lars({
          lr: Schedule.warmupCosine({ warmup: 10 / 100, peak: s.lr ?? 0.6 * (s.batch / 256) }),
          weightDecay: 1e-6,
          momentum: 0.9,
        })
      : // tiny: AdamW (LARS at batch 32 barely moves the weights; docs/learning.md)
        Optim.adamw({
          lr: Schedule.warmupCosine({ warmup: 0.1, peak: s.lr ?? TINY_CONTRASTIVE_LR }),
          weightDecay: 0.05,
        }),
  };
};

/**
 * MoCo v3 as a method. `paper` (ViT-B/16, 224): projector 768 -> 4096 -> 4096 -> 256 (last BN without
 * affine), predictor 256 -> 4096 -> 256 (last BN), tau 0.2 with the 2-tau scale, symmetric loss,
 * momentum 0.99 -> 1 (cosine), AdamW lr 1.5e-4 x 4096/256 with 40/300 warmup then cosine to 0,
 * weight decay 0.1 on all params, frozen patch embedding, crop-min 0.08, batch 4096, 300 epochs.
 * `backbone: 'resnet'`: ResNet-50, projector 2048 -> 4096 -> 256, predictor without last BN, tau 1.0,
 * LARS lr 0.6 x B/256 (10/100 warmup), wd 1e-6, crop-min 0.2, 100 epochs. `tiny`: 32x32 images,
 * ViT patch 4 dim 64 depth 3 (or the tiny ResNet), MLP width 256, output 64, batch 32, 600 steps.
 * Modules: `backbone`, `projector`, `predictor`, `momentumBackbone`, `momentumProjector`.
 * Representation `backbone`: the online backbone's [CLS] (ViT) or pooled (ResNet) feature.
 */
export const mocoV3 = (o: MocoV3Options = {}): MethodIR => {
  const paper = (o.preset ?? 'paper') === 'paper';
  const vit = backboneOf(o) === 'vit';
  const s = defaults(o);
  const parts = vit ? vitParts(paper, s) : resnetParts(paper, s);
  const backbone = Branch.make('backbone', parts.backbone);
  const projector = Branch.make('projector', parts.projector);
  const predictor = Branch.make('predictor', parts.predictor);
  const momentum = Schedule.cosine({ from: s.momentum, to: 1 });
  const momentumBackbone = Branch.ema('momentumBackbone', backbone, { momentum });
  const momentumProjector = Branch.ema('momentumProjector', projector, { momentum });
  const query = (v: V<Img<3>>): V<Vec> => predictor.apply(projector.apply(backbone.apply(v)));
  const key = (v: V<Img<3>>): V<Vec> =>
    Branch.stopGradient(momentumProjector.apply(momentumBackbone.apply(v)));
  const views = View.pair(Value.images(), {
    options: [
      { blur: 1.0, solarize: 0 },
      { blur: 0.1, solarize: 0.2 },
    ],
    pipeline: byol(s),
  });
  return Method.make({
    name: 'moco-v3',
    input: { size: s.image },
    training: { batch: s.batch, steps: s.steps },
    objectives: [
      {
        name: 'contrastive',
        terms: Loss.symmetric({
          name: 'ctr',
          pair: views,
          make: (a, b) =>
            Loss.infoNCE({
              query: query(a),
              key: key(b),
              temperature: s.temperature,
              scale: 'twoTau',
            }),
        }),
        optimizer: parts.optimizer,
        params: [backbone, projector, predictor],
      },
    ],
    // the images as the views present them (Normalize), without the random augmentations
    representations: { backbone: backbone.apply(cleanView(Value.images())) },
  });
};
