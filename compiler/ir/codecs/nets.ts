/**
 * io-ts codecs of the network IR (`net.ts`): one object codec per `NetNode` kind, and the
 * tagged union `netCodec`. Domains: sizes, dims and counts are integers >= 1; eps > 0.
 */
import * as t from 'io-ts';
import type * as N from '../net.js';
import {
  bool,
  exactly,
  type Field,
  list,
  nonNegInt,
  obj,
  oneOf,
  pair,
  positive,
  posInt,
  repeats,
  str,
  tagged,
  finite,
} from './primitives.js';

const activationFn = oneOf<N.ActivationFn>('activation', [
  'relu',
  'gelu',
  'silu',
  'leakyRelu',
  'tanh',
  'sigmoid',
  'softplus',
  'identity',
]);
const initScheme = oneOf<N.InitScheme>('init', [
  'xavierUniform',
  'truncNormal02',
  'kaimingNormal',
  'normal001',
  'default',
]);
const namedPadding = oneOf<'same' | 'valid'>('padding', ['same', 'valid']);
const padding: Field<number | 'same' | 'valid'> = new t.Type<
  number | 'same' | 'valid',
  unknown,
  unknown
>(
  'padding (an integer >= 0, "same" or "valid")',
  (u): u is number | 'same' | 'valid' => nonNegInt.is(u) || namedPadding.is(u),
  (u, c) => (typeof u === 'string' ? namedPadding.validate(u, c) : nonNegInt.validate(u, c)),
  (a) => a,
);

const linear = obj<N.Linear>('Linear', {
  _tag: exactly('Linear'),
  in: posInt,
  out: posInt,
  bias: bool,
  init: initScheme,
});

const mlp = obj<N.Mlp>('Mlp', {
  _tag: exactly('Mlp'),
  in: posInt,
  hidden: posInt,
  out: posInt,
  layers: repeats,
  norm: oneOf('norm', ['batch', 'layer', 'none']),
  lastNorm: oneOf('lastNorm', ['none', 'batch', 'batchNoAffine']),
  activation: activationFn,
  bias: bool,
});

const conv2d = obj<N.Conv2d>('Conv2d', {
  _tag: exactly('Conv2d'),
  inChannels: posInt,
  outChannels: posInt,
  kernel: posInt,
  stride: posInt,
  padding,
  dilation: posInt,
  bias: bool,
  spectralNorm: bool,
});

const norm = obj<N.Norm>('Norm', {
  _tag: exactly('Norm'),
  kind: oneOf('norm kind', ['batch', 'layer', 'instance']),
  features: posInt,
  affine: bool,
  eps: positive,
});

const activation = obj<N.Activation>('Activation', {
  _tag: exactly('Activation'),
  fn: activationFn,
  alpha: finite,
});

const patchEmbed = obj<N.PatchEmbed>('PatchEmbed', {
  _tag: exactly('PatchEmbed'),
  inChannels: posInt,
  patch: posInt,
  dim: posInt,
});

const attention = obj<N.Attention>('Attention', {
  _tag: exactly('Attention'),
  dim: posInt,
  heads: posInt,
  qkvBias: bool,
});

const transformerBlock = obj<N.TransformerBlock>('TransformerBlock', {
  _tag: exactly('TransformerBlock'),
  dim: posInt,
  heads: posInt,
  mlpRatio: positive,
  qkvBias: bool,
  eps: positive,
});

const vit = obj<N.Vit>('Vit', {
  _tag: exactly('Vit'),
  imageSize: posInt,
  patch: posInt,
  inChannels: posInt,
  dim: posInt,
  depth: repeats,
  heads: posInt,
  mlpRatio: positive,
  qkvBias: bool,
  cls: bool,
  output: oneOf('output', ['cls', 'mean', 'tokens']),
  stopGradPatchEmbed: bool,
  eps: positive,
});

const resNetStage = obj<N.ResNetStage>('ResNetStage', {
  channels: posInt,
  blocks: repeats,
  stride: posInt,
});

const resNet = obj<N.ResNet>('ResNet', {
  _tag: exactly('ResNet'),
  inChannels: posInt,
  stem: obj<N.ResNet['stem']>('ResNet stem', {
    channels: posInt,
    kernel: posInt,
    stride: posInt,
    maxPool: bool,
  }),
  stages: list(resNetStage),
  block: oneOf('block', ['basic', 'bottleneck']),
  zeroInitResidual: bool,
  output: oneOf('output', ['pooled', 'map']),
});

const unetEncoder = obj<N.UNetEncoder>('UNetEncoder', {
  _tag: exactly('UNetEncoder'),
  inChannels: posInt,
  ngf: posInt,
  levels: repeats,
  maxChannels: posInt,
});

const styleEncoder = obj<N.StylePyramidEncoder>('StylePyramidEncoder', {
  _tag: exactly('StylePyramidEncoder'),
  inChannels: posInt,
  ngf: posInt,
  levels: repeats,
  maxChannels: posInt,
  tokenDim: posInt,
  mapChannels: posInt,
});

const spadeResBlock = obj<N.SpadeResBlock>('SpadeResBlock', {
  _tag: exactly('SpadeResBlock'),
  in: posInt,
  out: posInt,
  mapChannels: posInt,
  tokenDim: posInt,
  hidden: posInt,
  relu: bool,
});

const unetDecoder = obj<N.UNetDecoder>('UNetDecoder', {
  _tag: exactly('UNetDecoder'),
  outChannels: posInt,
  ngf: posInt,
  levels: repeats,
  maxChannels: posInt,
  tokenDim: posInt,
  mapChannels: posInt,
  spadeHidden: posInt,
  spadeRelu: bool,
});

const generator = obj<N.Generator>('Generator', {
  _tag: exactly('Generator'),
  encoder: unetEncoder,
  styleEncoder,
  decoder: unetDecoder,
});

const patchGan = obj<N.PatchGan>('PatchGan', {
  _tag: exactly('PatchGan'),
  inChannels: posInt,
  ndf: posInt,
  layers: repeats,
  spectralNorm: bool,
});

const sequential = obj<N.Sequential>('Sequential', {
  _tag: exactly('Sequential'),
  layers: list(lazyNet()),
});

const pool = obj<N.Pool>('Pool', {
  _tag: exactly('Pool'),
  kind: oneOf('pool kind', ['mean', 'cls', 'max']),
});
const field = obj<N.Field>('Field', { _tag: exactly('Field'), name: str });
const l2Normalize = obj<N.L2Normalize>('L2Normalize', { _tag: exactly('L2Normalize') });
const flatten = obj<N.Flatten>('Flatten', { _tag: exactly('Flatten') });

const transformerPredictor = obj<N.TransformerPredictor>('TransformerPredictor', {
  _tag: exactly('TransformerPredictor'),
  inDim: posInt,
  dim: posInt,
  depth: repeats,
  heads: posInt,
  mlpRatio: positive,
  grid: pair(posInt),
});

const tokenPredictor = obj<N.TokenPredictor>('TokenPredictor', {
  _tag: exactly('TokenPredictor'),
  dim: posInt,
  count: posInt,
  heads: posInt,
  hiddenRatio: positive,
});

const fusionHead = obj<N.FusionHead>('FusionHead', {
  _tag: exactly('FusionHead'),
  styleDim: posInt,
  contentDim: posInt,
  dim: posInt,
});

function lazyNet(): Field<N.NetNode> {
  return tagged<N.NetNode>('net', () => ({
    Linear: linear,
    Mlp: mlp,
    Conv2d: conv2d,
    Norm: norm,
    Activation: activation,
    PatchEmbed: patchEmbed,
    Attention: attention,
    TransformerBlock: transformerBlock,
    Vit: vit,
    ResNet: resNet,
    UNetEncoder: unetEncoder,
    StylePyramidEncoder: styleEncoder,
    SpadeResBlock: spadeResBlock,
    UNetDecoder: unetDecoder,
    Generator: generator,
    PatchGan: patchGan,
    Sequential: sequential,
    Pool: pool,
    Field: field,
    L2Normalize: l2Normalize,
    Flatten: flatten,
    TransformerPredictor: transformerPredictor,
    TokenPredictor: tokenPredictor,
    FusionHead: fusionHead,
  }));
}

/** Codec of any `NetNode`, dispatched on `_tag`. */
export const netCodec: Field<N.NetNode> = lazyNet();
