/**
 * Net IR values for the shape tests: the reference architectures (ViT-S/B/H, ResNet-50, MoCo v3
 * MLPs) and tiny ST-STORM parts, written out by hand (independent of the DSL).
 */
import type {
  Generator,
  Mlp,
  NetNode,
  PatchGan,
  ResNet,
  Vit,
} from '../../../../compiler/ir/index.js';

/** A ViT with MoCo v3 / timm defaults. */
export const vit = (o: Partial<Vit> & Pick<Vit, 'dim' | 'depth' | 'heads'>): Vit => ({
  _tag: 'Vit',
  imageSize: 224,
  patch: 16,
  inChannels: 3,
  mlpRatio: 4,
  qkvBias: true,
  cls: true,
  output: 'cls',
  stopGradPatchEmbed: false,
  eps: 1e-6,
  ...o,
});

/** torchvision ResNet-50 without fc. */
export const resnet50: ResNet = {
  _tag: 'ResNet',
  inChannels: 3,
  stem: { channels: 64, kernel: 7, stride: 2, maxPool: true },
  stages: [
    { channels: 64, blocks: 3, stride: 1 },
    { channels: 128, blocks: 4, stride: 2 },
    { channels: 256, blocks: 6, stride: 2 },
    { channels: 512, blocks: 3, stride: 2 },
  ],
  block: 'bottleneck',
  zeroInitResidual: true,
  output: 'pooled',
};

/** MoCo v3 `_build_mlp` (no biases, BN, last BN without affine when `lastBn`). */
export const mocoMlp = (
  inDim: number,
  hidden: number,
  out: number,
  layers: number,
  lastBn: boolean,
): Mlp => ({
  _tag: 'Mlp',
  in: inDim,
  hidden,
  out,
  layers,
  norm: 'batch',
  lastNorm: lastBn ? 'batchNoAffine' : 'none',
  activation: 'relu',
  bias: false,
});

/** A tiny ST-STORM generator: 32px images, 2 levels. */
export const tinyGenerator: Generator = {
  _tag: 'Generator',
  encoder: { _tag: 'UNetEncoder', inChannels: 3, ngf: 8, levels: 2, maxChannels: 16 },
  styleEncoder: {
    _tag: 'StylePyramidEncoder',
    inChannels: 3,
    ngf: 8,
    levels: 2,
    maxChannels: 16,
    tokenDim: 16,
    mapChannels: 4,
  },
  decoder: {
    _tag: 'UNetDecoder',
    outChannels: 3,
    ngf: 8,
    levels: 2,
    maxChannels: 16,
    tokenDim: 16,
    mapChannels: 4,
    spadeHidden: 8,
    spadeRelu: true,
  },
};

/** A tiny PatchGAN. */
export const tinyPatchGan: PatchGan = {
  _tag: 'PatchGan',
  inChannels: 3,
  ndf: 8,
  layers: 3,
  spectralNorm: true,
};

/** A linear layer. */
export const linear = (inDim: number, out: number, bias = true): NetNode => ({
  _tag: 'Linear',
  in: inDim,
  out,
  bias,
  init: 'default',
});
