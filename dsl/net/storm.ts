/**
 * ST-STORM networks of `Net` (methods.md 3.2; authors' code `Hamedkiri/RT-STORM-V2`): the U-Net
 * content encoder, the pyramid style encoder, SPADE blocks and decoder, the generator, the PatchGAN
 * discriminator and the gated fusion head. Defaults are the code's (256x256 input, ngf 64, 5 levels,
 * token dim 256, 64 SPADE map channels).
 */
import type * as IR from '../../compiler/ir/net.js';
import type { Any, Img, Net, Rec, Tok, Vec } from '../types.js';
import { asNet } from '../types.js';

/** A U-Net encoder's output: `{ bottleneck, skip1 .. skipL }` feature maps. */
export type UNetFeatures = Rec<Readonly<Record<string, Img>>>;

/** A style encoder's output: `tokens[batch, levels + 1, T]` and maps `map1 .. mapL`. */
export type StyleFeatures<T extends number> = Rec<
  { readonly tokens: Tok<T> } & Readonly<Record<`map${number}`, Img>>
>;

export interface Pyramid {
  readonly ngf?: number;
  readonly levels?: number;
  readonly maxChannels?: number;
}
const pyramid = (o: Pyramid) => ({
  ngf: o.ngf ?? 64,
  levels: o.levels ?? 5,
  maxChannels: o.maxChannels ?? 512,
});

/**
 * ST-STORM content encoder: `levels` x (Conv4x4 s2 -> InstanceNorm -> ReLU) then a bottleneck.
 * Defaults: `in: 3`, `ngf: 64`, `levels: 5`, `maxChannels: 512`.
 * @example
 * ```ts
 * const enc = Net.unetEncoder({ ngf: 16, levels: 3 });
 * ```
 */
export const unetEncoder = <const C extends number = 3>(
  o: Pyramid & { readonly in?: C } = {},
): Net<Img<C>, UNetFeatures, 'UNetEncoder'> =>
  asNet({ _tag: 'UNetEncoder', inChannels: o.in ?? 3, ...pyramid(o) });

/**
 * ST-STORM pyramid style encoder (U-Net topology, own weights, map and token heads). Defaults:
 * `in: 3`, `ngf: 64`, `levels: 5`, `maxChannels: 512`, `tokenDim: 256`, `mapChannels: 64`.
 * @example
 * ```ts
 * const style = Net.styleEncoder({ tokenDim: 256 }); // tokens: Tok<256>, 6 of them
 * ```
 */
export const styleEncoder = <const T extends number = 256, const C extends number = 3>(
  o: Pyramid & { readonly in?: C; readonly tokenDim?: T; readonly mapChannels?: number } = {},
): Net<Img<C>, StyleFeatures<T>, 'StylePyramidEncoder'> =>
  asNet({
    _tag: 'StylePyramidEncoder',
    inChannels: o.in ?? 3,
    ...pyramid(o),
    tokenDim: o.tokenDim ?? 256,
    mapChannels: o.mapChannels ?? 64,
  });

/** The SPADE options of a block, decoder or generator: hidden width and the ReLU after the add. */
export interface SpadeOptions {
  /** Width of each SPADE's map branch and token MLP (default 128, `models/backbone.py`). */
  readonly spadeHidden?: number;
  /** A ReLU after each residual block's add (default true, `models/backbone.py`). */
  readonly spadeRelu?: boolean;
}
const spadeOf = (o: SpadeOptions) => ({
  spadeHidden: o.spadeHidden ?? 128,
  spadeRelu: o.spadeRelu ?? true,
});

/**
 * SPADE residual block with learned softplus gates. Ports `x` (image `[batch, h, w, in]`), `map`,
 * `token`; output `[batch, h, w, out]`. Defaults: `mapChannels: 64`, `tokenDim: 256`, `hidden:
 * 128`, `relu: true` (the reference's `SPADEResBlock`).
 * @example
 * ```ts
 * const block = Net.spadeResBlock({ in: 1024, out: 512 });
 * ```
 */
export const spadeResBlock = <const I extends number, const O extends number>(o: {
  readonly in: I;
  readonly out: O;
  readonly mapChannels?: number;
  readonly tokenDim?: number;
  readonly hidden?: number;
  readonly relu?: boolean;
}): Net<Img<I>, Img<O>, 'SpadeResBlock'> =>
  asNet({
    _tag: 'SpadeResBlock',
    in: o.in,
    out: o.out,
    mapChannels: o.mapChannels ?? 64,
    tokenDim: o.tokenDim ?? 256,
    hidden: o.hidden ?? 128,
    relu: o.relu ?? true,
  });

/**
 * ST-STORM SPADE decoder. Ports `content` (U-Net encoder struct) and `style` (style encoder struct);
 * output image with `out` channels (default 3, tanh). Other defaults as `styleEncoder` and
 * `SpadeOptions`.
 * @example
 * ```ts
 * const dec = Net.unetDecoder({ ngf: 16, levels: 3 });
 * ```
 */
export const unetDecoder = <const O extends number = 3>(
  o: Pyramid &
    SpadeOptions & {
      readonly out?: O;
      readonly tokenDim?: number;
      readonly mapChannels?: number;
    } = {},
): Net<Any, Img<O>, 'UNetDecoder'> =>
  asNet({
    _tag: 'UNetDecoder',
    outChannels: o.out ?? 3,
    ...pyramid(o),
    tokenDim: o.tokenDim ?? 256,
    mapChannels: o.mapChannels ?? 64,
    ...spadeOf(o),
  });

/**
 * ST-STORM generator `G(x, style = y)`: a content encoder, a style encoder and a SPADE decoder
 * built with consistent sizes. Ports `x` and `style` (images); output like `x`. Parts are reachable
 * by path: `encoder`, `styleEncoder`, `decoder`. Defaults as `styleEncoder` and `SpadeOptions`.
 * @example
 * ```ts
 * const g = Net.generator({ ngf: 16, levels: 3, tokenDim: 64, mapChannels: 16 });
 * ```
 */
export const generator = <const C extends number = 3, const T extends number = 256>(
  o: Pyramid &
    SpadeOptions & { readonly in?: C; readonly tokenDim?: T; readonly mapChannels?: number } = {},
): Net<Img<C>, Img<C>, 'Generator'> => {
  const p = pyramid(o);
  const inChannels = o.in ?? 3;
  const tokenDim = o.tokenDim ?? 256;
  const mapChannels = o.mapChannels ?? 64;
  const node: IR.Generator = {
    _tag: 'Generator',
    encoder: { _tag: 'UNetEncoder', inChannels, ...p },
    styleEncoder: { _tag: 'StylePyramidEncoder', inChannels, ...p, tokenDim, mapChannels },
    decoder: {
      _tag: 'UNetDecoder',
      outChannels: inChannels,
      ...p,
      tokenDim,
      mapChannels,
      ...spadeOf(o),
    },
  };
  return asNet(node);
};

/**
 * PatchGAN discriminator: conv4 s2 -> ndf, (layers - 1) x (conv4 s2 + IN + LeakyReLU 0.2), conv4
 * -> 1 logit map `[batch, h', w', 1]`. Defaults: `in: 3`, `ndf: 64`, `layers: 4`, `spectralNorm: true`.
 * @example
 * ```ts
 * const d = Net.patchGan({ ndf: 32, layers: 3 });
 * ```
 */
export const patchGan = <const C extends number = 3>(
  o: {
    readonly in?: C;
    readonly ndf?: number;
    readonly layers?: number;
    readonly spectralNorm?: boolean;
  } = {},
): Net<Img<C>, Img<1>, 'PatchGan'> =>
  asNet({
    _tag: 'PatchGan',
    inChannels: o.in ?? 3,
    ndf: o.ndf ?? 64,
    layers: o.layers ?? 4,
    spectralNorm: o.spectralNorm ?? true,
  });

/**
 * ST-STORM gated fusion head: ports `style` `[batch, styleDim]` and `content` `[batch, contentDim]`,
 * output `[batch, dim]` (default 1024).
 * @example
 * ```ts
 * const fuse = Net.fusionHead({ styleDim: 1536, contentDim: 2048 }); // Net<Any, Vec<1024>>
 * ```
 */
export const fusionHead = <const D extends number = 1024>(o: {
  readonly styleDim: number;
  readonly contentDim: number;
  readonly dim?: D;
}): Net<Any, Vec<D>, 'FusionHead'> =>
  asNet({ _tag: 'FusionHead', styleDim: o.styleDim, contentDim: o.contentDim, dim: o.dim ?? 1024 });
