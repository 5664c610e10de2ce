/**
 * Tiny instances of every net kind, with input types (for the shape pass) and input tensors
 * (seeded, identical on every backend). Used by the lowering tests.
 */
import * as tf from '@tensorflow/tfjs';
import type {
  NetNode,
  UNetEncoder,
  StylePyramidEncoder,
  UNetDecoder,
} from '../../../../compiler/ir/net.js';
import { struct, tensor, type ValueType } from '../../../../compiler/ir/types.js';
import type { Lowered } from '../../../../compiler/lower/nets/index.js';
import { randn } from '../compare.js';

/** One test net: the node, its input types, and how to make its inputs. */
export interface Case {
  readonly name: string;
  readonly net: NetNode;
  readonly types: Readonly<Record<string, ValueType>>;
  /** Integer inputs (index ports), by port. */
  readonly indices?: Readonly<
    Record<string, { readonly shape: number[]; readonly data: number[] }>
  >;
}

const B = 2;
const img = (h: number, c: number) => tensor('image', [B, h, h, c]);
const vec = (d: number) => tensor('vector', [B, d]);
const tok = (n: number, d: number) => tensor('tokens', [B, n, d]);

const encoder: UNetEncoder = {
  _tag: 'UNetEncoder',
  inChannels: 3,
  ngf: 4,
  levels: 2,
  maxChannels: 8,
};
const styleEncoder: StylePyramidEncoder = {
  _tag: 'StylePyramidEncoder',
  inChannels: 3,
  ngf: 4,
  levels: 2,
  maxChannels: 8,
  tokenDim: 6,
  mapChannels: 4,
};
const decoder: UNetDecoder = {
  _tag: 'UNetDecoder',
  outChannels: 3,
  ngf: 4,
  levels: 2,
  maxChannels: 8,
  tokenDim: 6,
  mapChannels: 4,
  spadeHidden: 5,
  spadeRelu: true,
};
const contentType = struct({ skip1: img(8, 4), skip2: img(4, 8), bottleneck: img(2, 8) });
const styleType = struct({ tokens: tok(3, 6), map1: img(8, 4), map2: img(4, 4) });

/** A MoCo v3 style ViT (with [CLS]). */
export const vitMoco: NetNode = {
  _tag: 'Vit',
  imageSize: 8,
  patch: 4,
  inChannels: 3,
  dim: 8,
  depth: 2,
  heads: 2,
  mlpRatio: 2,
  qkvBias: true,
  cls: true,
  output: 'cls',
  stopGradPatchEmbed: false,
  eps: 1e-6,
};

/** An I-JEPA style ViT (no [CLS], tokens out). */
export const vitJepa: NetNode = { ...vitMoco, cls: false, output: 'tokens', depth: 1 } as NetNode;

/** A tiny basic-block ResNet with max pool and zero-init residuals. */
export const resnetTiny: NetNode = {
  _tag: 'ResNet',
  inChannels: 3,
  stem: { channels: 4, kernel: 3, stride: 1, maxPool: true },
  stages: [
    { channels: 4, blocks: 1, stride: 1 },
    { channels: 6, blocks: 1, stride: 2 },
  ],
  block: 'basic',
  zeroInitResidual: true,
  output: 'pooled',
};

/** Every net kind at least once. */
export const cases: ReadonlyArray<Case> = [
  {
    name: 'Linear',
    net: { _tag: 'Linear', in: 8, out: 5, bias: true, init: 'xavierUniform' },
    types: { x: vec(8) },
  },
  {
    name: 'Linear on tokens',
    net: { _tag: 'Linear', in: 8, out: 5, bias: false, init: 'truncNormal02' },
    types: { x: tok(3, 8) },
  },
  {
    name: 'Mlp (MoCo projector: BN, last BN no affine)',
    net: {
      _tag: 'Mlp',
      in: 8,
      hidden: 16,
      out: 4,
      layers: 3,
      norm: 'batch',
      lastNorm: 'batchNoAffine',
      activation: 'relu',
      bias: false,
    },
    types: { x: vec(8) },
  },
  {
    name: 'Mlp (layer norm, last BN affine)',
    net: {
      _tag: 'Mlp',
      in: 8,
      hidden: 6,
      out: 4,
      layers: 2,
      norm: 'layer',
      lastNorm: 'batch',
      activation: 'gelu',
      bias: true,
    },
    types: { x: vec(8) },
  },
  {
    name: 'Conv2d stride 2 pad 1 spectral norm',
    net: {
      _tag: 'Conv2d',
      inChannels: 3,
      outChannels: 4,
      kernel: 3,
      stride: 2,
      padding: 1,
      dilation: 1,
      bias: true,
      spectralNorm: true,
    },
    types: { x: img(8, 3) },
  },
  {
    name: 'Conv2d dilation 2 same',
    net: {
      _tag: 'Conv2d',
      inChannels: 3,
      outChannels: 2,
      kernel: 3,
      stride: 1,
      padding: 'same',
      dilation: 2,
      bias: false,
      spectralNorm: false,
    },
    types: { x: img(7, 3) },
  },
  {
    name: 'Norm batch (image)',
    net: { _tag: 'Norm', kind: 'batch', features: 3, affine: true, eps: 1e-5 },
    types: { x: img(4, 3) },
  },
  {
    name: 'Norm layer',
    net: { _tag: 'Norm', kind: 'layer', features: 8, affine: true, eps: 1e-6 },
    types: { x: tok(3, 8) },
  },
  {
    name: 'Norm instance',
    net: { _tag: 'Norm', kind: 'instance', features: 3, affine: false, eps: 1e-5 },
    types: { x: img(4, 3) },
  },
  {
    name: 'Activation gelu',
    net: { _tag: 'Activation', fn: 'gelu', alpha: 0.2 },
    types: { x: vec(5) },
  },
  {
    name: 'Activation leakyRelu',
    net: { _tag: 'Activation', fn: 'leakyRelu', alpha: 0.2 },
    types: { x: img(3, 2) },
  },
  {
    name: 'PatchEmbed',
    net: { _tag: 'PatchEmbed', inChannels: 3, patch: 4, dim: 8 },
    types: { x: img(8, 3) },
  },
  {
    name: 'Attention',
    net: { _tag: 'Attention', dim: 8, heads: 2, qkvBias: true },
    types: { x: tok(5, 8) },
  },
  {
    name: 'TransformerBlock',
    net: { _tag: 'TransformerBlock', dim: 8, heads: 2, mlpRatio: 2, qkvBias: false, eps: 1e-6 },
    types: { x: tok(5, 8) },
  },
  { name: 'Vit (MoCo, cls)', net: vitMoco, types: { x: img(8, 3) } },
  {
    name: 'Vit (I-JEPA, keep)',
    net: vitJepa,
    types: { x: img(8, 3), keep: tensor('index', [B, 3]) },
    indices: { keep: { shape: [2, 3], data: [0, 1, 3, 1, 2, 3] } },
  },
  {
    name: 'Vit (mean)',
    net: { ...vitMoco, output: 'mean', depth: 1 } as NetNode,
    types: { x: img(8, 3) },
  },
  { name: 'ResNet basic', net: resnetTiny, types: { x: img(8, 3) } },
  {
    name: 'ResNet bottleneck (map)',
    net: {
      ...resnetTiny,
      block: 'bottleneck',
      output: 'map',
      stem: { channels: 4, kernel: 7, stride: 2, maxPool: false },
    } as NetNode,
    types: { x: img(8, 3) },
  },
  { name: 'UNetEncoder', net: encoder, types: { x: img(16, 3) } },
  { name: 'StylePyramidEncoder', net: styleEncoder, types: { x: img(16, 3) } },
  {
    name: 'SpadeResBlock',
    net: {
      _tag: 'SpadeResBlock',
      in: 6,
      out: 4,
      mapChannels: 3,
      tokenDim: 6,
      hidden: 5,
      relu: true,
    },
    types: { x: img(4, 6), map: img(4, 3), token: vec(6) },
  },
  { name: 'UNetDecoder', net: decoder, types: { content: contentType, style: styleType } },
  {
    name: 'Generator',
    net: { _tag: 'Generator', encoder, styleEncoder, decoder },
    types: { x: img(16, 3), style: img(16, 3) },
  },
  {
    name: 'PatchGan',
    net: { _tag: 'PatchGan', inChannels: 3, ndf: 4, layers: 2, spectralNorm: true },
    types: { x: img(16, 3) },
  },
  {
    name: 'Sequential',
    net: {
      _tag: 'Sequential',
      layers: [
        { _tag: 'Linear', in: 8, out: 6, bias: true, init: 'default' },
        { _tag: 'Activation', fn: 'relu', alpha: 0.2 },
        { _tag: 'Linear', in: 6, out: 3, bias: false, init: 'normal001' },
      ],
    },
    types: { x: vec(8) },
  },
  { name: 'Pool mean', net: { _tag: 'Pool', kind: 'mean' }, types: { x: img(4, 3) } },
  { name: 'Pool cls', net: { _tag: 'Pool', kind: 'cls' }, types: { x: tok(4, 3) } },
  { name: 'Pool max', net: { _tag: 'Pool', kind: 'max' }, types: { x: img(4, 3) } },
  { name: 'Field', net: { _tag: 'Field', name: 'tokens' }, types: { x: styleType } },
  { name: 'L2Normalize', net: { _tag: 'L2Normalize' }, types: { x: vec(5) } },
  { name: 'Flatten', net: { _tag: 'Flatten' }, types: { x: tok(3, 4) } },
  {
    name: 'TransformerPredictor',
    net: {
      _tag: 'TransformerPredictor',
      inDim: 8,
      dim: 6,
      depth: 1,
      heads: 2,
      mlpRatio: 2,
      grid: [2, 2],
    },
    types: { x: tok(2, 8), context: tensor('index', [B, 2]), targets: tensor('index', [2, B, 1]) },
    indices: {
      context: { shape: [2, 2], data: [0, 1, 2, 3] },
      targets: { shape: [2, 2, 1], data: [3, 0, 2, 1] },
    },
  },
  {
    name: 'TokenPredictor',
    net: { _tag: 'TokenPredictor', dim: 8, count: 3, heads: 2, hiddenRatio: 2 },
    types: { x: tok(3, 8) },
  },
  {
    name: 'FusionHead',
    net: { _tag: 'FusionHead', styleDim: 6, contentDim: 5, dim: 4 },
    types: { style: vec(6), content: vec(5) },
  },
];

/** A seeded value of a type (index ports come from `indices`). */
const valueOf = (t: ValueType, seed: number): Lowered => {
  if (t._tag === 'Struct') {
    return Object.fromEntries(
      Object.entries(t.fields).map(([k, v], i) => [k, valueOf(v, seed * 31 + i)]),
    );
  }
  return randn(seed, t.shape as number[]);
};

/** The inputs of a case (call inside `tf.tidy` or dispose them). */
export const inputsOf = (c: Case, seed = 1): Record<string, Lowered> =>
  Object.fromEntries(
    Object.entries(c.types).map(([port, t], i) => {
      const idx = c.indices?.[port];
      return [port, idx ? tf.tensor(idx.data, idx.shape, 'int32') : valueOf(t, seed + i)];
    }),
  );

/** Shapes of a value: an array for a tensor, an object for a struct. */
export type ShapeTree = number[] | { [field: string]: ShapeTree };

/** The shape of a lowered value, as a type-like tree of number arrays. */
export const shapeOf = (v: Lowered): ShapeTree =>
  v instanceof tf.Tensor
    ? v.shape
    : Object.fromEntries(Object.entries(v).map(([k, f]) => [k, shapeOf(f)]));

/** The shape tree of a value type (as `shapeOf` gives for a lowered value). */
export const typeShape = (t: ValueType): ShapeTree =>
  t._tag === 'Tensor'
    ? (t.shape as number[]).slice()
    : Object.fromEntries(Object.entries(t.fields).map(([k, f]) => [k, typeShape(f)]));
