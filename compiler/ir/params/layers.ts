/**
 * Parameters of the dense, convolutional and transformer layers and of the predictors built from
 * them (paths and shapes in `README.md`; initialisers as the reference code: MoCo v3 `vits.py`,
 * I-JEPA `vision_transformer.py`, PyTorch defaults elsewhere).
 */
import type {
  Attention,
  FusionHead,
  InitScheme,
  Linear,
  Mlp,
  Norm,
  PatchEmbed,
  TokenPredictor,
  TransformerBlock,
  TransformerPredictor,
  Vit,
} from '../net.js';
import { schemeInit, xavierUniform, type Init } from './init.js';
import { convParams, linearParams, normParams, param, under, type Params } from './param.js';

/** Linear: `weight` [in, out] by the node's `init` scheme, `bias` [out]. */
export const linearNetParams = (n: Linear): Params =>
  linearParams(n.in, n.out, n.bias, schemeInit(n.init, n.in, n.out));

/** The `[in, out]` sizes of each Linear of an Mlp, in order. */
export const mlpLayerSizes = (n: Mlp): ReadonlyArray<readonly [number, number]> =>
  Array.from({ length: n.layers }, (_, i) => [
    i === 0 ? n.in : n.hidden,
    i === n.layers - 1 ? n.out : n.hidden,
  ]);

/** The norm after Mlp layer `i`, or undefined (the last one: batch norm with or without affine). */
export const mlpNorm = (
  n: Mlp,
  i: number,
): { readonly kind: Norm['kind']; readonly affine: boolean } | undefined => {
  if (i < n.layers - 1) return n.norm === 'none' ? undefined : { kind: n.norm, affine: true };
  if (n.lastNorm === 'none') return undefined;
  return { kind: 'batch', affine: n.lastNorm === 'batch' };
};

/** Mlp: `layers.<i>.linear.*` (PyTorch's default init, as MoCo v3's nn.Linear), `layers.<i>.norm.*`. */
export const mlpParams = (n: Mlp): Params =>
  mlpLayerSizes(n).flatMap(([a, b], i) => {
    const norm = mlpNorm(n, i);
    return [
      ...under(`layers.${i}.linear`, linearParams(a, b, n.bias, schemeInit('default', a, b))),
      ...(norm ? under(`layers.${i}.norm`, normParams(norm.kind, b, norm.affine)) : []),
    ];
  });

/** Patch embedding: `weight` [p, p, in, dim] (Xavier-uniform on `[p*p*in, dim]` unless `init`), `bias` [dim]. */
export const patchEmbedParams = (n: Omit<PatchEmbed, '_tag'>, init?: Init): Params =>
  convParams(n.patch, n.inChannels, n.dim, {
    bias: true,
    init: init ?? xavierUniform(n.patch * n.patch * n.inChannels, n.dim),
  });

/**
 * Attention: `qkv` [dim, 3dim] (MoCo v3 uses U(+-sqrt(6 / (out/3 + in))) = U(+-sqrt(3 / dim)) for
 * Xavier schemes; other schemes apply as is), `proj` [dim, dim].
 */
export const attentionParams = (dim: number, qkvBias: boolean, scheme: InitScheme): Params => {
  const qkvInit: Init =
    scheme === 'xavierUniform' ? xavierUniform(dim, dim) : schemeInit(scheme, dim, 3 * dim);
  return [
    ...under('qkv', linearParams(dim, 3 * dim, qkvBias, qkvInit)),
    ...under('proj', linearParams(dim, dim, true, schemeInit(scheme, dim, dim))),
  ];
};

/** Hidden width of a transformer block's MLP: `floor(dim * mlpRatio)`. */
export const mlpHidden = (dim: number, ratio: number): number => Math.floor(dim * ratio);

/** Block: `norm1`, `attn.*`, `norm2`, `mlp.fc1`, `mlp.fc2` (linears by `scheme`). */
export const blockParams = (
  n: Pick<TransformerBlock, 'dim' | 'mlpRatio' | 'qkvBias'>,
  scheme: InitScheme,
): Params => {
  const h = mlpHidden(n.dim, n.mlpRatio);
  return [
    ...under('norm1', normParams('layer', n.dim, true)),
    ...under('attn', attentionParams(n.dim, n.qkvBias, scheme)),
    ...under('norm2', normParams('layer', n.dim, true)),
    ...under('mlp.fc1', linearParams(n.dim, h, true, schemeInit(scheme, n.dim, h))),
    ...under('mlp.fc2', linearParams(h, n.dim, true, schemeInit(scheme, h, n.dim))),
  ];
};

/** Attention standalone (MoCo v3 init). */
export const attentionNetParams = (n: Attention): Params =>
  attentionParams(n.dim, n.qkvBias, 'xavierUniform');

/** TransformerBlock standalone (Xavier-uniform linears). */
export const transformerBlockParams = (n: TransformerBlock): Params =>
  blockParams(n, 'xavierUniform');

/**
 * Init flavour of a ViT. The IR has no init field: a ViT with [CLS] is MoCo v3's (Xavier-uniform
 * linears and patch embedding, cls N(0, 1e-6)), one without is I-JEPA's (trunc-normal 0.02
 * everywhere, conv included).
 */
export const vitScheme = (n: Pick<Vit, 'cls'>): InitScheme =>
  n.cls ? 'xavierUniform' : 'truncNormal02';

/** ViT: `patchEmbed.*`, `cls` [1, 1, dim], `blocks.<i>.*`, `norm.*` (positions are fixed). */
export const vitParams = (n: Vit): Params => {
  const scheme = vitScheme(n);
  return [
    ...under(
      'patchEmbed',
      patchEmbedParams(n, scheme === 'xavierUniform' ? undefined : schemeInit(scheme, 0, 0)),
    ),
    ...(n.cls ? [param('cls', [1, 1, n.dim], { kind: 'normal', std: 1e-6 })] : []),
    ...Array.from({ length: n.depth }, (_, i) =>
      under(`blocks.${i}`, blockParams(n, scheme)),
    ).flat(),
    ...under('norm', normParams('layer', n.dim, true)),
  ];
};

/** I-JEPA's predictor: `embed`, `maskToken` [1, 1, dim], `blocks.<i>.*`, `norm`, `proj` (trunc-normal 0.02). */
export const transformerPredictorParams = (n: TransformerPredictor): Params => {
  const tn = schemeInit('truncNormal02', 0, 0);
  const block = { dim: n.dim, mlpRatio: n.mlpRatio, qkvBias: true };
  return [
    ...under('embed', linearParams(n.inDim, n.dim, true, tn)),
    param('maskToken', [1, 1, n.dim], tn),
    ...Array.from({ length: n.depth }, (_, i) =>
      under(`blocks.${i}`, blockParams(block, 'truncNormal02')),
    ).flat(),
    ...under('norm', normParams('layer', n.dim, true)),
    ...under('proj', linearParams(n.dim, n.inDim, true, tn)),
  ];
};

/** Hidden width of the token predictor's MLP: `floor(hiddenRatio * dim)`. */
export const tokenHidden = (n: Pick<TokenPredictor, 'dim' | 'hiddenRatio'>): number =>
  Math.floor(n.hiddenRatio * n.dim);

/**
 * Style-JEPA token predictor: attention Xavier (nn.MultiheadAttention), linears PyTorch default,
 * `pos` [1, count, dim] trunc-normal 0.02 (a guess: the reference init is not recorded).
 */
export const tokenPredictorParams = (n: TokenPredictor): Params => {
  const h = tokenHidden(n);
  return [
    ...under('norm1', normParams('layer', n.dim, true)),
    param('pos', [1, n.count, n.dim], schemeInit('truncNormal02', 0, 0)),
    ...under('attn', attentionParams(n.dim, true, 'xavierUniform')),
    ...under('norm2', normParams('layer', n.dim, true)),
    ...under('mlp.fc1', linearParams(n.dim, h, true, schemeInit('default', n.dim, h))),
    ...under('mlp.fc2', linearParams(h, n.dim, true, schemeInit('default', h, n.dim))),
  ];
};

/** A LayerNorm then a PyTorch-default Linear `[inDim, out]`, under `<name>Norm` and `<name>`. */
const normLinear = (norm: string, linear: string, inDim: number, out: number): Params => [
  ...under(norm, normParams('layer', inDim, true)),
  ...under(linear, linearParams(inDim, out, true, schemeInit('default', inDim, out))),
];

/** ST-STORM fusion head: `styleNorm`, `styleProj`, `contentNorm`, `contentProj`, `gateNorm`, `gate`, `norm`. */
export const fusionHeadParams = (n: FusionHead): Params => [
  ...normLinear('styleNorm', 'styleProj', n.styleDim, n.dim),
  ...normLinear('contentNorm', 'contentProj', n.contentDim, n.dim),
  ...normLinear('gateNorm', 'gate', 2 * n.dim, n.dim),
  ...under('norm', normParams('layer', n.dim, true)),
];
