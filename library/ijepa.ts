/**
 * I-JEPA (Assran et al., "Self-Supervised Learning from Images with a Joint-Embedding Predictive
 * Architecture", CVPR 2023, arXiv 2301.08243 [0]; reference code facebookresearch/ijepa @ 52c1ae9 [1])
 * as a pure DSL value. See methods.md section 2.
 *
 * The context encoder sees the kept context patches of one view; the transformer predictor predicts,
 * for each of 4 target blocks, the target encoder's (EMA, full image, stop-gradient) LayerNorm'd
 * features at the target positions; loss smooth-L1.
 */
import type { Method as MethodIR } from '../compiler/ir/node.js';
import { cleanView } from './tinyRecipe.js';
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
} from '../dsl/index.js';
import { IMAGENET_TRAIN_IMAGES } from './mocoV3.js';

/** Options of `ijepa`. Every field has the preset's default. */
export interface IjepaOptions {
  /** `paper`: ViT-H/14 on 224; `tiny`: 32x32 images, trains on 2 CPU cores. Default `paper`. */
  readonly preset?: 'paper' | 'tiny';
  /** Batch size (paper 2048). */
  readonly batch?: number;
  /** Training steps (paper: 300 epochs of ImageNet). */
  readonly steps?: number;
  /** EMA momentum at the start, raised linearly to 1 (paper 0.996). */
  readonly momentum?: number;
  /** Number of target blocks (paper 4). */
  readonly targets?: number;
}

interface Arch {
  readonly image: number;
  readonly patch: number;
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly predDim: number;
  readonly predDepth: number;
  readonly predHeads: number;
  readonly minKeep: number;
}

const PAPER: Arch = {
  image: 224,
  patch: 14,
  dim: 1280,
  depth: 32,
  heads: 16,
  predDim: 384,
  predDepth: 12,
  predHeads: 16,
  minKeep: 10,
};
const TINY: Arch = {
  image: 32,
  patch: 4,
  dim: 64,
  depth: 3,
  heads: 4,
  predDim: 32,
  predDepth: 2,
  predHeads: 4,
  minKeep: 4,
};

/**
 * I-JEPA as a method. `paper`: ViT-H/14 (dim 1280, depth 32, heads 16, no [CLS]) on 224 (16x16 grid),
 * predictor depth 12 dim 384 heads 16, multi-block masks (4 targets scale 0.15-0.2 aspect 0.75-1.5,
 * one context scale 0.85-1.0 aspect 1, min-keep 10, no overlap), smooth-L1 on LayerNorm'd (no affine)
 * gathered target features of the EMA target encoder fed the full image, EMA linear 0.996 -> 1,
 * AdamW lr warmup 2e-4 -> 1e-3 over 40/300 then cosine -> 1e-6, wd cosine 0.04 -> 0.4 without decay
 * on biases / 1-D params, RRC scale (0.3, 1) only, batch 2048, 300 epochs. (The reference code also
 * stretches its schedules by `ipe_scale = 1.25`; not modelled.) `tiny`: 32x32, patch 4 (8x8 grid),
 * dim 64 depth 3 heads 4, predictor dim 32 depth 2, min-keep 4, batch 32, 600 steps.
 * Modules: `encoder` (context), `predictor`, `target` (EMA of `encoder`).
 * Representations `target` and `context`: mean-pooled patch tokens of each encoder on clean images.
 */
export const ijepa = (o: IjepaOptions = {}): MethodIR => {
  const paper = (o.preset ?? 'paper') === 'paper';
  const a = paper ? PAPER : TINY;
  const batch = o.batch ?? (paper ? 2048 : 32);
  const grid = [a.image / a.patch, a.image / a.patch] as const;
  const encoderNet = Net.vit({
    imageSize: a.image,
    patch: a.patch,
    dim: a.dim,
    depth: a.depth,
    heads: a.heads,
    cls: false,
    output: 'tokens',
  });
  const encoder = Branch.make('encoder', encoderNet);
  const predictor = Branch.make(
    'predictor',
    Predictor.transformer({
      inDim: a.dim,
      grid,
      dim: a.predDim,
      depth: a.predDepth,
      heads: a.predHeads,
    }),
  );
  const target = Branch.ema('target', encoder, {
    momentum: Schedule.linear({ from: o.momentum ?? 0.996, to: 1 }),
  });
  const view = View.make('view', Value.images(), [
    Aug.randomResizedCrop({ size: a.image, scale: [0.3, 1] }),
    Aug.normalize(),
  ]);
  const masks = Mask.multiBlock({
    name: 'masks',
    grid,
    targets: o.targets ?? 4,
    minKeep: a.minKeep,
  });
  const context = Value.field(masks, 'context');
  const targets = Value.field(masks, 'targets');
  const prediction = predictor.apply(encoder.apply(view, { keep: context }), { context, targets });
  // the reference's F.layer_norm(h, (h.size(-1),)) (src/train.py): PyTorch's default eps 1e-5
  const h = Value.layerNorm(Branch.stopGradient(target.apply(view)), {
    features: a.dim,
    eps: 1e-5,
  });
  return Method.make({
    name: 'i-jepa',
    input: { size: a.image },
    training: {
      batch,
      steps: o.steps ?? (paper ? 300 * Math.floor(IMAGENET_TRAIN_IMAGES / batch) : 600),
    },
    objectives: [
      {
        name: 'jepa',
        terms: [
          Loss.term(
            'pred',
            Loss.smoothL1({ pred: prediction, target: Value.gather(h, targets), beta: 1 }),
          ),
        ],
        optimizer: Optim.adamw({
          lr: Schedule.warmupCosine({ warmup: 40 / 300, start: 2e-4, peak: 1e-3, end: 1e-6 }),
          weightDecay: Schedule.cosine({ from: 0.04, to: 0.4 }),
          decayAll: false,
        }),
        params: [encoder, predictor],
      },
    ],
    // the images as the view presents them (Normalize), without the random crop
    representations: {
      target: Value.fn(Net.pool({ kind: 'mean' }), target.apply(cleanView(Value.images()))),
      context: Value.fn(Net.pool({ kind: 'mean' }), encoder.apply(cleanView(Value.images()))),
    },
  });
};
