/**
 * The parameter table: for each net kind, its parameters and buffers (path, shape, weight decay,
 * buffer flag, initialiser), in a stable order. The one definition of a net's parameter layout:
 * the shape pass reports it (`ModuleInfo.params`, counts, memory) and the lowering creates and
 * reads exactly these tensors (`initNet`, `Scope.param`). Paths and shapes: `README.md` here.
 */
import type { NetNode, NetTag } from '../net.js';
import { GENERATOR_PARTS } from '../ports.js';
import {
  decoderParams,
  encoderParams,
  patchGanParams,
  resnetParams,
  spadeBlockParams,
  styleEncoderParams,
} from './convnets.js';
import {
  attentionNetParams,
  fusionHeadParams,
  linearNetParams,
  mlpParams,
  patchEmbedParams,
  tokenPredictorParams,
  transformerBlockParams,
  transformerPredictorParams,
  vitParams,
} from './layers.js';
import { convParams, normParams, under, type Params } from './param.js';

export type { ParamSpec, Params } from './param.js';
export type { Init } from './init.js';

/** One net kind's parameters; `sub` gives a part's (composites: Generator, Sequential). */
export type ParamRule<N extends NetNode> = (net: N, sub: (net: NetNode) => Params) => Params;

/** Every net kind's parameters: an exhaustive table (a missing kind is a type error). */
export const NET_PARAMS: { readonly [K in NetTag]: ParamRule<Extract<NetNode, { _tag: K }>> } = {
  Linear: linearNetParams,
  Mlp: mlpParams,
  Conv2d: (n) => convParams(n.kernel, n.inChannels, n.outChannels, n),
  Norm: (n) => normParams(n.kind, n.features, n.affine),
  Activation: () => [],
  PatchEmbed: (n) => patchEmbedParams(n),
  Attention: attentionNetParams,
  TransformerBlock: transformerBlockParams,
  Vit: vitParams,
  ResNet: resnetParams,
  UNetEncoder: encoderParams,
  StylePyramidEncoder: styleEncoderParams,
  SpadeResBlock: spadeBlockParams,
  UNetDecoder: decoderParams,
  Generator: (n, sub) => GENERATOR_PARTS.flatMap((p) => under(p, sub(n[p]))),
  PatchGan: patchGanParams,
  Sequential: (n, sub) => n.layers.flatMap((l, i) => under(String(i), sub(l))),
  Pool: () => [],
  Field: () => [],
  L2Normalize: () => [],
  Flatten: () => [],
  TransformerPredictor: transformerPredictorParams,
  TokenPredictor: tokenPredictorParams,
  FusionHead: fusionHeadParams,
};

/**
 * Every parameter and buffer of a net, paths relative to the net, in a stable order. Depends only
 * on the net's hyperparameters, never on its inputs.
 */
export const netParams = (net: NetNode): Params =>
  (NET_PARAMS[net._tag] as ParamRule<NetNode>)(net, netParams);
