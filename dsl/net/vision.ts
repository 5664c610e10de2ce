/**
 * Vision backbones of `Net`: patch embedding, attention, transformer blocks, ViT and ResNet (with
 * the ResNet-18 / ResNet-50 presets and a tiny one for 32x32 images). References: ViT (Dosovitskiy
 * et al., 2021), MoCo v3 `vits.py` (methods.md 1.6), ResNet (He et al., 2016).
 */
import type * as IR from '../../compiler/ir/net.js';
import type { Img, Net, Tok, Vec } from '../types.js';
import { asNet } from '../types.js';

/**
 * Non-overlapping patches as a strided conv: `image[batch, H, W, in] -> tokens[batch, (H/p)(W/p), dim]`.
 * Default `in: 3`.
 * @example
 * ```ts
 * const embed = Net.patchEmbed({ patch: 16, dim: 768 }); // Net<Img<3>, Tok<768>>
 * ```
 */
export const patchEmbed = <const D extends number, const C extends number = 3>(o: {
  readonly patch: number;
  readonly dim: D;
  readonly in?: C;
}): Net<Img<C>, Tok<D>, 'PatchEmbed'> =>
  asNet({ _tag: 'PatchEmbed', inChannels: o.in ?? 3, patch: o.patch, dim: o.dim });

/**
 * Multi-head self-attention on `tokens[batch, n, dim]`. Default `qkvBias: true`.
 * @example
 * ```ts
 * const attn = Net.attention({ dim: 384, heads: 6 });
 * ```
 */
export const attention = <const D extends number>(o: {
  readonly dim: D;
  readonly heads: number;
  readonly qkvBias?: boolean;
}): Net<Tok<D>, Tok<D>, 'Attention'> =>
  asNet({ _tag: 'Attention', dim: o.dim, heads: o.heads, qkvBias: o.qkvBias ?? true });

/**
 * Pre-norm transformer block on `tokens[batch, n, dim]`. Defaults: `mlpRatio: 4`, `qkvBias: true`,
 * `eps: 1e-6`.
 * @example
 * ```ts
 * const block = Net.transformerBlock({ dim: 384, heads: 6 });
 * ```
 */
export const transformerBlock = <const D extends number>(o: {
  readonly dim: D;
  readonly heads: number;
  readonly mlpRatio?: number;
  readonly qkvBias?: boolean;
  readonly eps?: number;
}): Net<Tok<D>, Tok<D>, 'TransformerBlock'> =>
  asNet({
    _tag: 'TransformerBlock',
    dim: o.dim,
    heads: o.heads,
    mlpRatio: o.mlpRatio ?? 4,
    qkvBias: o.qkvBias ?? true,
    eps: o.eps ?? 1e-6,
  });

/** The output of a ViT: `cls`/`mean` give `Vec<D>`, `tokens` gives `Tok<D>`. */
export type VitOut<D extends number, O extends IR.Vit['output']> = O extends 'tokens'
  ? Tok<D>
  : Vec<D>;

/**
 * Vision transformer with fixed 2-D sin-cos positions. Defaults (ViT-B/16 on 224): `imageSize: 224`,
 * `patch: 16`, `in: 3`, `dim: 768`, `depth: 12`, `heads: 12`, `mlpRatio: 4`, `qkvBias: true`,
 * `cls: true`, `output: 'cls'`, `stopGradPatchEmbed: false`, `eps: 1e-6`. Optional port `keep`
 * (index `[batch, K]`) keeps only those patch tokens (I-JEPA context encoder).
 * @example
 * ```ts
 * const vitS = Net.vit({ dim: 384, depth: 12, heads: 12, stopGradPatchEmbed: true }); // Net<Img<3>, Vec<384>>
 * const tokens = Net.vit({ dim: 64, depth: 2, heads: 4, imageSize: 32, patch: 4, output: 'tokens' });
 * ```
 */
export const vit = <
  const D extends number = 768,
  O extends IR.Vit['output'] = 'cls',
  const C extends number = 3,
>(
  o: {
    readonly imageSize?: number;
    readonly patch?: number;
    readonly in?: C;
    readonly dim?: D;
    readonly depth?: number;
    readonly heads?: number;
    readonly mlpRatio?: number;
    readonly qkvBias?: boolean;
    readonly cls?: boolean;
    readonly output?: O;
    readonly stopGradPatchEmbed?: boolean;
    readonly eps?: number;
  } = {},
): Net<Img<C>, VitOut<D, O>, 'Vit'> =>
  asNet({
    _tag: 'Vit',
    imageSize: o.imageSize ?? 224,
    patch: o.patch ?? 16,
    inChannels: o.in ?? 3,
    dim: o.dim ?? 768,
    depth: o.depth ?? 12,
    heads: o.heads ?? 12,
    mlpRatio: o.mlpRatio ?? 4,
    qkvBias: o.qkvBias ?? true,
    cls: o.cls ?? true,
    output: o.output ?? 'cls',
    stopGradPatchEmbed: o.stopGradPatchEmbed ?? false,
    eps: o.eps ?? 1e-6,
  });

/** The output of a ResNet: `pooled` gives `Vec<C>`, `map` gives `Img<C>`. */
export type ResNetOut<C extends number, O extends IR.ResNet['output']> = O extends 'map'
  ? Img<C>
  : Vec<C>;

/** Options shared by the ResNet presets. Defaults: `zeroInitResidual: true`, `output: 'pooled'`, `in: 3`. */
export interface ResNetPresetOptions<O extends IR.ResNet['output'], C extends number> {
  readonly in?: C;
  readonly zeroInitResidual?: boolean;
  readonly output?: O;
}

/**
 * A ResNet with BatchNorm. Defaults: `in: 3`, ImageNet stem (64 channels, 7x7 s2, max-pool),
 * `block: 'basic'`, `zeroInitResidual: true` (torchvision's option, used by MoCo v3),
 * `output: 'pooled'` (`[batch, C]`). The output dim is a plain `number` here; the presets give
 * literal dims.
 * @example
 * ```ts
 * const r = Net.resnet({ stages: [{ channels: 64, blocks: 2, stride: 1 }, { channels: 128, blocks: 2, stride: 2 }] });
 * ```
 */
export const resnet = <O extends IR.ResNet['output'] = 'pooled', const C extends number = 3>(o: {
  readonly stages: ReadonlyArray<IR.ResNetStage>;
  readonly in?: C;
  readonly stem?: IR.ResNet['stem'];
  readonly block?: IR.ResNet['block'];
  readonly zeroInitResidual?: boolean;
  readonly output?: O;
}): Net<Img<C>, ResNetOut<number, O>, 'ResNet'> =>
  asNet({
    _tag: 'ResNet',
    inChannels: o.in ?? 3,
    stem: o.stem ?? { channels: 64, kernel: 7, stride: 2, maxPool: true },
    stages: o.stages,
    block: o.block ?? 'basic',
    zeroInitResidual: o.zeroInitResidual ?? true,
    output: o.output ?? 'pooled',
  });

const stages = (blocks: ReadonlyArray<number>, base: number): ReadonlyArray<IR.ResNetStage> =>
  blocks.map((b, i) => ({ channels: base * 2 ** i, blocks: b, stride: i === 0 ? 1 : 2 }));

/**
 * ResNet-18 (basic blocks 2-2-2-2, 512-d output).
 * @example
 * ```ts
 * const r18 = Net.resnet18(); // Net<Img<3>, Vec<512>>
 * ```
 */
export const resnet18 = <O extends IR.ResNet['output'] = 'pooled', const C extends number = 3>(
  o: ResNetPresetOptions<O, C> = {},
): Net<Img<C>, ResNetOut<512, O>, 'ResNet'> =>
  asNet(resnet({ ...o, stages: stages([2, 2, 2, 2], 64) }));

/**
 * ResNet-50 (bottleneck blocks 3-4-6-3, expansion 4, 2048-d output).
 * @example
 * ```ts
 * const r50 = Net.resnet50(); // Net<Img<3>, Vec<2048>>
 * ```
 */
export const resnet50 = <O extends IR.ResNet['output'] = 'pooled', const C extends number = 3>(
  o: ResNetPresetOptions<O, C> = {},
): Net<Img<C>, ResNetOut<2048, O>, 'ResNet'> =>
  asNet(resnet({ ...o, block: 'bottleneck', stages: stages([3, 4, 6, 3], 64) }));

/**
 * A tiny ResNet for 32x32 images on CPUs: 3x3 stem with 32 channels (stride `stemStride`, default
 * 1; 2 costs a quarter, no max-pool), basic blocks 1-1-1 with 32/64/128 channels (128-d output).
 * @example
 * ```ts
 * const small = Net.resnetTiny(); // Net<Img<3>, Vec<128>>
 * const cheap = Net.resnetTiny({ stemStride: 2 }); // 16x16 after the stem
 * ```
 */
export const resnetTiny = <O extends IR.ResNet['output'] = 'pooled', const C extends number = 3>(
  o: ResNetPresetOptions<O, C> & { readonly stemStride?: 1 | 2 } = {},
): Net<Img<C>, ResNetOut<128, O>, 'ResNet'> =>
  asNet(
    resnet({
      ...o,
      stem: { channels: 32, kernel: 3, stride: o.stemStride ?? 1, maxPool: false },
      stages: stages([1, 1, 1], 32),
    }),
  );
