/**
 * Lowering of networks to TF.js: one rule per `NetNode` kind (an exhaustive table), seeded
 * initialisation, the forward pass and access to the parts of composite nets. The parameters are
 * the parameter table's (`compiler/ir/params`, which the shape pass reads too); ops that wasm lacks
 * or runs slowly go through the backend's legal kernels (`compiler/lower/legalize`).
 */
import * as tf from '@tensorflow/tfjs';
import type { NetNode } from '../../ir/net.js';
import { initValues } from '../../ir/params/init.js';
import { netParams } from '../../ir/params/index.js';
import { subNet as partAt } from '../../ir/ports.js';
import { legalizeFor } from '../legalize/index.js';
import { conv2dRule, patchEmbedRule } from './conv.js';
import { activationRule, linearRule, mlpRule, normRule } from './dense.js';
import { patchGanRule } from './gan.js';
import { fusionHeadRule, tokenPredictorRule, transformerPredictorRule } from './predictor.js';
import { resnetRule } from './resnet.js';
import {
  makeScope,
  type Inputs,
  type Lowered,
  type NetContext,
  type NetParts,
  type NetRule,
  type NetRules,
  type ParamTable,
} from './rule.js';
import { spadeResBlockRule } from './spade.js';
import { fieldRule, flattenRule, l2NormalizeRule, poolRule, sequentialRule } from './structural.js';
import { attentionRule, transformerBlockRule, vitRule } from './transformer.js';
import { generatorRule, styleEncoderRule, unetDecoderRule, unetEncoderRule } from './unet.js';

export type {
  Lowered,
  NetContext,
  NetParts,
  NetRule,
  NetRules,
  ParamTable,
  Scope,
} from './rule.js';
export type { Init, ParamSpec } from '../../ir/params/index.js';
export { netParams };

/** Every net kind's lowering rule. */
export const netRules: NetRules = {
  Linear: linearRule,
  Mlp: mlpRule,
  Conv2d: conv2dRule,
  Norm: normRule,
  Activation: activationRule,
  PatchEmbed: patchEmbedRule,
  Attention: attentionRule,
  TransformerBlock: transformerBlockRule,
  Vit: vitRule,
  ResNet: resnetRule,
  UNetEncoder: unetEncoderRule,
  StylePyramidEncoder: styleEncoderRule,
  SpadeResBlock: spadeResBlockRule,
  UNetDecoder: unetDecoderRule,
  Generator: generatorRule,
  PatchGan: patchGanRule,
  Sequential: sequentialRule,
  Pool: poolRule,
  Field: fieldRule,
  L2Normalize: l2NormalizeRule,
  Flatten: flattenRule,
  TransformerPredictor: transformerPredictorRule,
  TokenPredictor: tokenPredictorRule,
  FusionHead: fusionHeadRule,
};

const ruleOf = (net: NetNode): NetRule<NetNode> => {
  const rule = (netRules as Readonly<Record<string, NetRule<NetNode>>>)[net._tag];
  if (rule === undefined) throw new Error(`lowering: unknown net kind "${String(net._tag)}"`);
  return rule;
};

/** Any net through the table: what composite rules apply their parts with. */
const parts: NetParts = {
  run: (net, scope, inputs) => ruleOf(net).apply(net, scope, inputs, parts),
};

/**
 * Seeded initial parameters (and buffers) of a net, by path: same seed -> same numbers on every
 * backend (values are drawn in JS from `Rng`, one stream per path). The caller owns the tensors.
 */
export const initNet = (net: NetNode, seed: number): Record<string, tf.Tensor> => {
  const out: Record<string, tf.Tensor> = {};
  for (const p of netParams(net))
    out[p.path] = tf.tensor(initValues(p.init, p.shape, seed, p.path), [...p.shape], 'float32');
  return out;
};

/**
 * Forward pass of `net` on `inputs` (ports; `x` is the primary one) with parameters `params`
 * (full paths; `ctx.prefix` selects a part's). Batch-norm running stats and spectral-norm vectors
 * are written to `ctx.buffers` when `ctx.training`. Kernels default to the active backend's.
 */
export const applyNet = (
  net: NetNode,
  params: ParamTable,
  inputs: Readonly<Record<string, Lowered>>,
  ctx: NetContext,
): Lowered =>
  parts.run(
    net,
    makeScope(params, { ...ctx, kernels: ctx.kernels ?? legalizeFor(tf.getBackend()) }),
    inputs as Inputs,
  );

/**
 * The part of a composite net at `path` and its parameter prefix: a Generator's `encoder`,
 * `styleEncoder`, `decoder`; a Sequential's `<i>` (paths compose: `['2', 'decoder']`).
 */
export const subNet = (
  net: NetNode,
  path: ReadonlyArray<string>,
): { net: NetNode; prefix: string } => {
  const part = partAt(net, path);
  if ('net' in part) return { net: part.net, prefix: path.join('.') };
  const parent = partAt(net, path.slice(0, part.bad));
  const tag = 'net' in parent ? parent.net._tag : net._tag;
  throw new Error(
    `lowering: ${tag} has no part "${path[part.bad] ?? ''}"\nhint: parts are a Generator's encoder/styleEncoder/decoder or a Sequential's index`,
  );
};
