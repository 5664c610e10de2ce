/**
 * I-JEPA (Assran et al., CVPR 2023 [0]; facebookresearch/ijepa `src/train.py`,
 * `src/models/vision_transformer.py` [1]) written by hand in eager TF.js: the baseline of
 * `tessera bench step --method i-jepa`. Same model and weights as the compiled `library/ijepa.ts`
 * (sizes read from the compiled graph):
 *
 * ```
 * h = LN_noaffine(target(view))  gathered at each target block   (no gradient)
 * z = predictor(encoder(view, keep = context), context, targets)
 * L = SmoothL1(z, h), beta 1 (tf.losses.huberLoss, delta 1)
 * ```
 * then AdamW (biases and 1-D parameters not decayed) on encoder + predictor, then the target EMA.
 * One `tf.tidy` per step, the target forward in it but outside `tf.variableGrads`. The context
 * gather (`tf.gather`) and the patch conv's filter gradient have no kernel on wasm: this baseline
 * trains on `cpu` (the benchmark says so and runs it there).
 */
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../../compiler/ir/graph.js';
import type { TransformerPredictor } from '../../compiler/ir/net.js';
import { evaluateSchedule } from '../../compiler/ir/schedule.js';
import { applyPipeline } from '../../compiler/lower/augment/pipeline.js';
import { sampleMultiBlockMasks } from '../../compiler/lower/masks/multiBlock.js';
import {
  at,
  block,
  get,
  gatherRows,
  layerNorm,
  linear,
  sincos,
  vit,
  type Weights,
} from './layers.js';
import { adamwMinimizer, emaUpdate } from './optimizer.js';
import {
  copyWeights,
  decayRule,
  lossOf,
  maskSpec,
  moduleDecl,
  naiveMethod,
  netOf,
  onlyObjective,
  viewPipeline,
  type NaiveMethod,
} from './baseline.js';

/** I-JEPA predictor LayerNorm eps. */
const EPS = 1e-6;
/** The target LayerNorm: `F.layer_norm` with PyTorch's default eps (I-JEPA src/train.py). */
const TARGET_EPS = 1e-5;

/**
 * The I-JEPA predictor: embed context tokens `[B, Kc, D] -> dim`, add positions, repeat per target
 * block, append mask tokens (+ target positions), blocks, LN, keep the mask outputs, project back.
 * `targets [T, B, Kt]` -> `[T*B, Kt, D]` (target-major).
 */
const predict = (
  w: Weights,
  n: TransformerPredictor,
  x: tf.Tensor,
  context: tf.Tensor,
  targets: tf.Tensor,
): tf.Tensor => {
  const [t, b, kt] = targets.shape as [number, number, number];
  const table = sincos(n.grid[0], n.dim, false);
  const z = tf.add(linear(at(w, 'embed'), x), tf.gather(table, context));
  const masks = tf.add(tf.gather(table, targets.reshape([t * b, kt])), get(w, 'maskToken'));
  let h: tf.Tensor = tf.concat([tf.tile(z, [t, 1, 1]), masks], 1);
  for (let l = 0; l < n.depth; l++) h = block(at(w, `blocks.${l}`), h, n.heads, EPS);
  h = layerNorm(at(w, 'norm'), h, EPS);
  const all = h.shape[1]!;
  return linear(at(w, 'proj'), h.slice([0, all - kt, 0], [t * b, kt, n.dim]));
};

/**
 * The hand-written I-JEPA step over a private copy of `weights` (a compiled method's
 * `variables()`), drawing the same view and masks as the compiled step initialised with `seed`.
 * Runs on the current TF.js backend (`cpu`: wasm lacks the gather and conv-filter gradients).
 */
export const naiveIjepa = (
  graph: Graph,
  weights: Readonly<Record<string, tf.Variable>>,
  seed: number,
): NaiveMethod => {
  const objective = onlyObjective(graph);
  const spec = objective.optimizer;
  if (spec._tag !== 'AdamW') throw new Error(`naive i-jepa: expected AdamW, got ${spec._tag}`);
  const encoder = netOf(graph, 'encoder', 'Vit');
  const predictor = netOf(graph, 'predictor', 'TransformerPredictor');
  const beta = lossOf(graph, 'SmoothL1').beta;
  const masks = maskSpec(graph);
  const trained = (name: string): boolean => objective.params.some((m) => name.startsWith(`${m}/`));
  const vars = copyWeights(weights, trained);
  const w: Weights = { table: vars, prefix: '' };
  const opt = adamwMinimizer(vars, trained, spec, decayRule(graph, spec.decayAll));
  const pipeline = viewPipeline(graph, 'view');
  const ema = moduleDecl(graph, 'target').ema!;
  return naiveMethod(vars, opt, seed, (images, progress, rng) => {
    const view = applyPipeline(images, pipeline, rng.fork('view:view'));
    const drawn = sampleMultiBlockMasks(
      masks.spec,
      images.shape[0],
      rng.fork(`masks:${masks.name}`),
    );
    const context = tf.tensor(drawn.context.data, [...drawn.context.shape], 'int32');
    const targets = tf.tensor(drawn.targets.data, [...drawn.targets.shape], 'int32');
    const [t, b, kt] = targets.shape as [number, number, number];
    const h = layerNorm(undefined, vit(at(w, 'target'), encoder, view), TARGET_EPS);
    const tiled = tf.tile(h, [t, 1, 1]); // [T*B, N, D], target-major
    const wanted = gatherRows(tiled, targets.reshape([t * b, kt]));
    const value = opt.minimize(() => {
      const z = predict(
        at(w, 'predictor'),
        predictor,
        vit(at(w, 'encoder'), encoder, view, context),
        context,
        targets,
      );
      return tf.losses.huberLoss(wanted, z, undefined, beta) as tf.Scalar;
    }, progress);
    emaUpdate(vars, 'target', ema.source, evaluateSchedule(ema.momentum, progress));
    return value;
  });
};
