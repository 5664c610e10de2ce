/**
 * Network IR: what an encoder, projector, predictor, generator or discriminator *is*, as plain
 * data. A net has named input ports (`x` is the primary one) and one output value (a tensor or a
 * struct). Parameters are named by their path inside the net (e.g. `blocks.3.attn.qkv.weight`);
 * which parameter *scope* (module) a net instance uses is decided by the method graph, never here.
 *
 * Composite nets (ViT, ResNet, U-Net, ...) are single nodes: shape inference, parameter counting
 * and lowering each have one rule per tag. Images are NHWC.
 */

/** Element-wise activation functions. */
export type ActivationFn =
  'relu' | 'gelu' | 'silu' | 'leakyRelu' | 'tanh' | 'sigmoid' | 'softplus' | 'identity';

/** Weight initialisers (bias is always zero). */
export type InitScheme =
  | 'xavierUniform' // Glorot uniform, MoCo v3 ViT linears
  | 'truncNormal02' // truncated normal std 0.02, I-JEPA linears
  | 'kaimingNormal' // He normal (fan_out), convnets
  | 'normal001' // N(0, 0.01), linear-probe heads
  | 'default'; // PyTorch's default: uniform +-1/sqrt(fan_in)

/** `[batch, in] -> [batch, out]`, also applied on the last axis of tokens. */
export interface Linear {
  readonly _tag: 'Linear';
  readonly in: number;
  readonly out: number;
  readonly bias: boolean;
  readonly init: InitScheme;
}

/**
 * MoCo v3's `_build_mlp`: `(layers - 1) x [Linear -> norm -> activation]` then a final Linear and
 * an optional last norm. `layers` counts Linear layers (>= 1).
 */
export interface Mlp {
  readonly _tag: 'Mlp';
  readonly in: number;
  readonly hidden: number;
  readonly out: number;
  readonly layers: number;
  readonly norm: 'batch' | 'layer' | 'none';
  readonly lastNorm: 'none' | 'batch' | 'batchNoAffine';
  readonly activation: ActivationFn;
  readonly bias: boolean;
}

/** 2-D convolution on NHWC images. `padding` is explicit (symmetric) or TF's `same`/`valid`. */
export interface Conv2d {
  readonly _tag: 'Conv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number | 'same' | 'valid';
  readonly dilation: number;
  readonly bias: boolean;
  readonly spectralNorm: boolean;
}

/**
 * Normalisation over the feature axis. `batch`: statistics over the batch (and spatial axes for
 * images), batch-coupled; `layer`: over the last axis per sample; `instance`: per sample and
 * channel over the spatial axes (images only).
 */
export interface Norm {
  readonly _tag: 'Norm';
  readonly kind: 'batch' | 'layer' | 'instance';
  readonly features: number;
  readonly affine: boolean;
  readonly eps: number;
}

/** An element-wise activation. `alpha` is the leaky-ReLU slope (default 0.2). */
export interface Activation {
  readonly _tag: 'Activation';
  readonly fn: ActivationFn;
  readonly alpha: number;
}

/** Non-overlapping patches: `image[B, H, W, C] -> tokens[B, (H/p)*(W/p), dim]` (a strided conv). */
export interface PatchEmbed {
  readonly _tag: 'PatchEmbed';
  readonly inChannels: number;
  readonly patch: number;
  readonly dim: number;
}

/** Multi-head self-attention on `tokens[B, N, dim]`. */
export interface Attention {
  readonly _tag: 'Attention';
  readonly dim: number;
  readonly heads: number;
  readonly qkvBias: boolean;
}

/** Pre-norm transformer block: `x + attn(LN(x))`, then `x + mlp(LN(x))` (GELU, `mlpRatio x dim`). */
export interface TransformerBlock {
  readonly _tag: 'TransformerBlock';
  readonly dim: number;
  readonly heads: number;
  readonly mlpRatio: number;
  readonly qkvBias: boolean;
  readonly eps: number;
}

/**
 * Vision transformer: patch embedding, fixed 2-D sin-cos positions (zero for [CLS]), optional
 * [CLS] token, `depth` blocks, final LayerNorm. Ports: `x` image; optional `keep` index
 * `[B, K]` that gathers the kept patch tokens after adding positions (I-JEPA context encoder).
 * Output: `cls` -> vector `[B, dim]`; `mean` -> vector (mean of patch tokens); `tokens` ->
 * tokens `[B, N, dim]` (patch tokens only, without [CLS]).
 */
export interface Vit {
  readonly _tag: 'Vit';
  readonly imageSize: number;
  readonly patch: number;
  readonly inChannels: number;
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpRatio: number;
  readonly qkvBias: boolean;
  readonly cls: boolean;
  readonly output: 'cls' | 'mean' | 'tokens';
  /** MoCo v3's stability trick: the patch projection stays at its random init. */
  readonly stopGradPatchEmbed: boolean;
  readonly eps: number;
}

/** One ResNet stage: `blocks` residual blocks, the first with stride `stride`. */
export interface ResNetStage {
  readonly channels: number;
  readonly blocks: number;
  readonly stride: number;
}

/**
 * ResNet with BatchNorm. `basic` blocks (ResNet-18/34) or `bottleneck` (ResNet-50; expansion 4).
 * Output `pooled`: vector `[B, C]` (global average pool); `map`: image `[B, h, w, C]`.
 */
export interface ResNet {
  readonly _tag: 'ResNet';
  readonly inChannels: number;
  readonly stem: {
    readonly channels: number;
    readonly kernel: number;
    readonly stride: number;
    readonly maxPool: boolean;
  };
  readonly stages: ReadonlyArray<ResNetStage>;
  readonly block: 'basic' | 'bottleneck';
  readonly zeroInitResidual: boolean;
  readonly output: 'pooled' | 'map';
}

/**
 * ST-STORM content encoder. `levels` x Down (Conv 4x4 s2 p1 -> InstanceNorm(affine) -> ReLU) with
 * channels `min(ngf * 2^l, maxChannels)`, then a bottleneck Down plus Conv3x3/IN/ReLU.
 * Output struct: `{ skip1 .. skipL: image, bottleneck: image }` (skip1 is the largest).
 */
export interface UNetEncoder {
  readonly _tag: 'UNetEncoder';
  readonly inChannels: number;
  readonly ngf: number;
  readonly levels: number;
  readonly maxChannels: number;
}

/**
 * ST-STORM pyramid style encoder: the U-Net encoder topology with its own weights, plus per level a
 * map head (Conv3x3 -> `mapChannels`) and a token head (GAP -> 1x1 conv -> `tokenDim`), and a
 * global token from the bottleneck. Output struct: `{ tokens: tokens[B, levels + 1, tokenDim]`
 * (order `[global, level L, ..., level 1]`), `map1 .. mapL: image` }.
 */
export interface StylePyramidEncoder {
  readonly _tag: 'StylePyramidEncoder';
  readonly inChannels: number;
  readonly ngf: number;
  readonly levels: number;
  readonly maxChannels: number;
  readonly tokenDim: number;
  readonly mapChannels: number;
}

/**
 * SPADE residual block with learned softplus gates (methods.md 3.2). Ports: `x` image
 * `[B, h, w, in]`, `map` image `[B, h, w, mapChannels]`, `token` vector `[B, tokenDim]`.
 * Output image `[B, h, w, out]`. `hidden`: the width of each SPADE's map branch (conv3x3
 * `mapChannels -> hidden`) and token MLP (`tokenDim -> hidden`); `relu`: a ReLU after the
 * residual add (RT-STORM `models/backbone.py` `SPADEResBlock`: `hidden=128`, ReLU).
 */
export interface SpadeResBlock {
  readonly _tag: 'SpadeResBlock';
  readonly in: number;
  readonly out: number;
  readonly mapChannels: number;
  readonly tokenDim: number;
  readonly hidden: number;
  readonly relu: boolean;
}

/**
 * ST-STORM decoder: `levels` x (upsample x2 -> concat skip -> SpadeResBlock), then
 * conv3x3 -> ReLU -> up x2 -> conv -> `outChannels` -> tanh. Ports: `content` (a UNetEncoder
 * struct), `style` (a StylePyramidEncoder struct). Output image at the encoder's input size.
 * `spadeHidden`, `spadeRelu`: every block's `hidden` and `relu` (see `SpadeResBlock`).
 */
export interface UNetDecoder {
  readonly _tag: 'UNetDecoder';
  readonly outChannels: number;
  readonly ngf: number;
  readonly levels: number;
  readonly maxChannels: number;
  readonly tokenDim: number;
  readonly mapChannels: number;
  readonly spadeHidden: number;
  readonly spadeRelu: boolean;
}

/**
 * ST-STORM generator `G(x, style = y)`: content encoder on `x`, style encoder on `y`, SPADE decoder.
 * Ports `x` (content image) and `style` (style image); output image like `x`. Its parts can be
 * applied alone through the paths `encoder`, `styleEncoder`, `decoder`.
 */
export interface Generator {
  readonly _tag: 'Generator';
  readonly encoder: UNetEncoder;
  readonly styleEncoder: StylePyramidEncoder;
  readonly decoder: UNetDecoder;
}

/** PatchGAN discriminator: conv4 s2 -> ndf, (layers - 1) x (conv4 s2 + IN + LeakyReLU 0.2), conv4 -> 1. */
export interface PatchGan {
  readonly _tag: 'PatchGan';
  readonly inChannels: number;
  readonly ndf: number;
  readonly layers: number;
  readonly spectralNorm: boolean;
}

/** Layers applied in order; parameter paths are `<index>.<inner path>`. */
export interface Sequential {
  readonly _tag: 'Sequential';
  readonly layers: ReadonlyArray<NetNode>;
}

/** Pooling to a vector: `mean` over tokens or spatial axes, `cls` takes token 0, `max` over spatial axes. */
export interface Pool {
  readonly _tag: 'Pool';
  readonly kind: 'mean' | 'cls' | 'max';
}

/** Picks one field of a struct value, e.g. `tokens` of a style encoder. */
export interface Field {
  readonly _tag: 'Field';
  readonly name: string;
}

/** Divides by the L2 norm along the last axis. */
export interface L2Normalize {
  readonly _tag: 'L2Normalize';
}

/** `tokens[B, N, D] -> vector[B, N*D]`, `image[B, H, W, C] -> vector[B, H*W*C]`. */
export interface Flatten {
  readonly _tag: 'Flatten';
}

/**
 * I-JEPA predictor (methods.md 2.2). Ports: `x` context tokens `[B, Kc, inDim]`, `context` index
 * `[B, Kc]`, `targets` index `[T, B, Kt]`. Each target block is a separate batch element.
 * Output tokens `[T*B, Kt, inDim]`.
 */
export interface TransformerPredictor {
  readonly _tag: 'TransformerPredictor';
  readonly inDim: number;
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpRatio: number;
  readonly grid: readonly [number, number];
}

/**
 * Style-JEPA token predictor (methods.md 3.5): L2-normalise -> LN + learned position/scale embedding
 * -> one multi-head attention layer -> LN -> Linear D->hiddenRatio*D -> GELU -> Linear -> + input.
 * `tokens[B, count, dim] -> tokens[B, count, dim]`.
 */
export interface TokenPredictor {
  readonly _tag: 'TokenPredictor';
  readonly dim: number;
  readonly count: number;
  readonly heads: number;
  readonly hiddenRatio: number;
}

/**
 * ST-STORM fusion head (methods.md 3.2): ports `style` vector and `content` vector; gated sum,
 * output vector `[B, dim]`.
 */
export interface FusionHead {
  readonly _tag: 'FusionHead';
  readonly styleDim: number;
  readonly contentDim: number;
  readonly dim: number;
}

/** Every network node kind. A rule table keyed by `_tag` must cover all of them. */
export type NetNode =
  | Linear
  | Mlp
  | Conv2d
  | Norm
  | Activation
  | PatchEmbed
  | Attention
  | TransformerBlock
  | Vit
  | ResNet
  | UNetEncoder
  | StylePyramidEncoder
  | SpadeResBlock
  | UNetDecoder
  | Generator
  | PatchGan
  | Sequential
  | Pool
  | Field
  | L2Normalize
  | Flatten
  | TransformerPredictor
  | TokenPredictor
  | FusionHead;

/** The tag of a net node. */
export type NetTag = NetNode['_tag'];

/** All net tags, for messages that list the known ones. */
export const NET_TAGS: ReadonlyArray<NetTag> = [
  'Linear',
  'Mlp',
  'Conv2d',
  'Norm',
  'Activation',
  'PatchEmbed',
  'Attention',
  'TransformerBlock',
  'Vit',
  'ResNet',
  'UNetEncoder',
  'StylePyramidEncoder',
  'SpadeResBlock',
  'UNetDecoder',
  'Generator',
  'PatchGan',
  'Sequential',
  'Pool',
  'Field',
  'L2Normalize',
  'Flatten',
  'TransformerPredictor',
  'TokenPredictor',
  'FusionHead',
];
