/**
 * MoCo v3 (Chen, Xie, He, ICCV 2021 [0]; facebookresearch/moco-v3 `moco/builder.py` [1]) written
 * by hand in eager TF.js: the baseline of `tessera bench step --method moco-v3`. Same model and
 * weights as the compiled `library/mocoV3.ts` ViT variant (sizes read from the compiled graph):
 *
 * ```
 * q_i = pred(proj(vit(v_i)))      k_i = proj_m(vit_m(v_i))   (no gradient)
 * L = ctr(q1, k2) + ctr(q2, k1),  ctr(q, k) = CE(norm(q) norm(k)^T / tau, diag) * 2 tau
 * ```
 * then AdamW on backbone + projector + predictor (the patch embedding stays frozen,
 * `stop_grad_conv1`), then the EMA of the momentum encoder. One `tf.tidy` per step; keys are
 * computed in the same tidy, outside `tf.variableGrads`. BatchNorm uses batch statistics (its
 * running statistics do not enter the training loss and are not tracked here).
 */
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../../compiler/ir/graph.js';
import type { Mlp } from '../../compiler/ir/net.js';
import { evaluateSchedule } from '../../compiler/ir/schedule.js';
import { applyPipeline } from '../../compiler/lower/augment/pipeline.js';
import { at, batchNorm, linear, vit, type Weights } from './layers.js';
import { adamwMinimizer, emaUpdate } from './optimizer.js';
import {
  copyWeights,
  decayRule,
  lossOf,
  moduleDecl,
  naiveMethod,
  netOf,
  onlyObjective,
  viewPipeline,
  type NaiveMethod,
} from './baseline.js';

/** MoCo v3 `_build_mlp`: `(L-1) x [Linear(no bias) -> BN -> ReLU]`, Linear, optional last BN. `[B, in] -> [B, out]`. */
const mlp = (w: Weights, n: Mlp, x: tf.Tensor): tf.Tensor => {
  let h = x;
  for (let l = 0; l < n.layers; l++) {
    const layer = at(w, `layers.${l}`);
    h = linear(at(layer, 'linear'), h, n.bias);
    const last = l === n.layers - 1;
    if (!last) h = tf.relu(batchNorm(at(layer, 'norm'), h));
    else if (n.lastNorm !== 'none')
      h = batchNorm(n.lastNorm === 'batch' ? at(layer, 'norm') : undefined, h);
  }
  return h;
};

/** `CE(norm(q) norm(k)^T / tau, labels = diag) * 2 tau` with `tf.losses.softmaxCrossEntropy`. */
const contrastive = (q: tf.Tensor, k: tf.Tensor, tau: number): tf.Scalar => {
  const logits = tf.div(
    tf.matMul(tf.div(q, tf.norm(q, 2, 1, true)), tf.div(k, tf.norm(k, 2, 1, true)), false, true),
    tau,
  );
  const labels = tf.oneHot(tf.range(0, q.shape[0]!, 1, 'int32'), q.shape[0]!);
  return tf.mul(tf.losses.softmaxCrossEntropy(labels, logits), 2 * tau);
};

/**
 * The hand-written MoCo v3 step over a private copy of `weights` (a compiled method's
 * `variables()`), drawing the same views as the compiled step initialised with `seed`.
 * Runs on the current TF.js backend.
 */
export const naiveMocoV3 = (
  graph: Graph,
  weights: Readonly<Record<string, tf.Variable>>,
  seed: number,
): NaiveMethod => {
  const objective = onlyObjective(graph);
  const spec = objective.optimizer;
  if (spec._tag !== 'AdamW')
    throw new Error(`naive moco-v3: only the AdamW (ViT) variant is written, got ${spec._tag}`);
  const backbone = netOf(graph, 'backbone', 'Vit');
  const frozen = (name: string): boolean =>
    backbone.stopGradPatchEmbed && name.startsWith('backbone/patchEmbed.');
  const projector = netOf(graph, 'projector', 'Mlp');
  const predictor = netOf(graph, 'predictor', 'Mlp');
  const loss = lossOf(graph, 'InfoNCE');
  const trained = (name: string): boolean =>
    objective.params.some((m) => name.startsWith(`${m}/`)) &&
    !frozen(name) &&
    !/moving(Mean|Var)$/.test(name);
  const vars = copyWeights(weights, trained);
  const w: Weights = { table: vars, prefix: '' };
  const opt = adamwMinimizer(vars, trained, spec, decayRule(graph, spec.decayAll));
  const views = [viewPipeline(graph, 'view1'), viewPipeline(graph, 'view2')] as const;
  const query = (v: tf.Tensor4D) =>
    mlp(
      at(w, 'predictor'),
      predictor,
      mlp(
        at(w, 'projector'),
        projector,
        vit(at(w, 'backbone'), backbone, v).slice([0, 0, 0], [v.shape[0], 1, -1]).squeeze([1]),
      ),
    );
  const key = (v: tf.Tensor4D) =>
    mlp(
      at(w, 'momentumProjector'),
      projector,
      vit(at(w, 'momentumBackbone'), backbone, v)
        .slice([0, 0, 0], [v.shape[0], 1, -1])
        .squeeze([1]),
    );
  return naiveMethod(vars, opt, seed, (images, progress, rng) => {
    const tau = evaluateSchedule(loss.temperature, progress);
    const [v1, v2] = views.map((p, i) => applyPipeline(images, p, rng.fork(`view:view${i + 1}`)));
    const [k1, k2] = [key(v1!), key(v2!)];
    const value = opt.minimize(
      () => tf.add(contrastive(query(v1!), k2, tau), contrastive(query(v2!), k1, tau)) as tf.Scalar,
      progress,
    );
    for (const m of ['momentumBackbone', 'momentumProjector']) {
      const ema = moduleDecl(graph, m).ema!;
      emaUpdate(vars, m, ema.source, evaluateSchedule(ema.momentum, progress));
    }
    return value;
  });
};
