/**
 * Parameters of the convolutional nets: torchvision's ResNet (He-normal fan-out convs without bias,
 * optional zero-init of each residual branch's last BN), ST-STORM's U-Net encoders, SPADE decoder
 * and PatchGAN discriminator (`README.md` has the paths and shapes), with the channel plans the
 * shape rules and the lowering both follow.
 */
import type {
  PatchGan,
  ResNet,
  SpadeResBlock,
  StylePyramidEncoder,
  UNetDecoder,
  UNetEncoder,
} from '../net.js';
import { needsDownsample, resnetBlockConvs, resnetBlocks, resnetExpansion } from '../resnet.js';
import { schemeInit } from './init.js';
import { convParams, linearParams, normParams, param, under, type Params } from './param.js';

/** ResNet: `stem.conv`, `stem.bn`, then per block `conv<k>`, `bn<k>` and a `downsample`. */
export const resnetParams = (n: ResNet): Params => [
  ...under('stem.conv', convParams(n.stem.kernel, n.inChannels, n.stem.channels, { bias: false })),
  ...under('stem.bn', normParams('batch', n.stem.channels, true)),
  ...resnetBlocks(n).flatMap((b) => {
    const convs = resnetBlockConvs(n, b);
    const out = b.c * resnetExpansion(n);
    return under(b.prefix, [
      ...convs.flatMap(([id, k, , i, o], idx) => [
        ...under(`conv${id}`, convParams(k, i, o, { bias: false })),
        ...under(
          `bn${id}`,
          normParams('batch', o, true, n.zeroInitResidual && idx === convs.length - 1),
        ),
      ]),
      ...(needsDownsample(n, b)
        ? [
            ...under('downsample.conv', convParams(1, b.inCh, out, { bias: false })),
            ...under('downsample.bn', normParams('batch', out, true)),
          ]
        : []),
    ]);
  }),
];

/** What fixes a U-Net's channel plan. */
export type UNetTopology = Pick<UNetEncoder, 'ngf' | 'levels' | 'maxChannels'>;

/** Channels of level `l` (0-based; `l = levels` is the bottleneck): `min(ngf * 2^l, maxChannels)`. */
export const levelChannels = (n: UNetTopology, l: number): number =>
  Math.min(n.ngf * 2 ** l, n.maxChannels);

const down = (inCh: number, out: number): Params => [
  ...under('conv', convParams(4, inCh, out, { bias: true })),
  ...under('norm', normParams('instance', out, true)),
];

/** U-Net encoder: `down.<l>.{conv,norm}`, `bottleneck.{down,conv,norm}`. */
export const encoderParams = (n: UNetTopology & { readonly inChannels: number }): Params => {
  const c = (l: number): number => levelChannels(n, l);
  const L = n.levels;
  return [
    ...Array.from({ length: L }, (_, l) =>
      under(`down.${l}`, down(l === 0 ? n.inChannels : c(l - 1), c(l))),
    ).flat(),
    ...under('bottleneck.down', down(L === 0 ? n.inChannels : c(L - 1), c(L))),
    ...under('bottleneck.conv', convParams(3, c(L), c(L), { bias: true })),
    ...under('bottleneck.norm', normParams('instance', c(L), true)),
  ];
};

/** The style encoder: the encoder's paths plus `mapHeads.<l>`, `tokenHeads.<l>`, `globalToken`. */
export const styleEncoderParams = (n: StylePyramidEncoder): Params => [
  ...encoderParams(n),
  ...Array.from({ length: n.levels }, (_, l) => [
    ...under(`mapHeads.${l}`, convParams(3, levelChannels(n, l), n.mapChannels, { bias: true })),
    ...under(`tokenHeads.${l}`, convParams(1, levelChannels(n, l), n.tokenDim, { bias: true })),
  ]).flat(),
  ...under('globalToken', convParams(1, levelChannels(n, n.levels), n.tokenDim, { bias: true })),
];

/** `a` with `softplus(a) = 1`: `ln(e - 1)`, the start of every SPADE gate. */
export const GATE_INIT = Math.log(Math.E - 1);

/** What fixes a SPADE layer's widths besides its channel count. */
export type SpadeWidths = Pick<SpadeResBlock, 'mapChannels' | 'tokenDim' | 'hidden'>;

/**
 * One SPADE layer on `c` channels: `map.conv1` (`mapChannels -> hidden`), `map.conv2`
 * (`hidden -> 2c`), `token.fc1` (`tokenDim -> hidden`), `token.fc2` (`hidden -> 2c`), `gates` [4].
 */
export const spadeParams = (c: number, w: SpadeWidths): Params => {
  const t = w.tokenDim;
  const h = w.hidden;
  return [
    ...under('map.conv1', convParams(3, w.mapChannels, h, { bias: true })),
    ...under('map.conv2', convParams(3, h, 2 * c, { bias: true })),
    ...under('token.fc1', linearParams(t, h, true, schemeInit('default', t, h))),
    ...under('token.fc2', linearParams(h, 2 * c, true, schemeInit('default', h, 2 * c))),
    param('gates', [4], { kind: 'const', value: GATE_INIT }),
  ];
};

/** SpadeResBlock: `spade1`, `conv1`, `spade2`, `conv2`, and `skip` (no bias) when in != out. */
export const spadeBlockParams = (
  n: Pick<SpadeResBlock, 'in' | 'out' | 'mapChannels' | 'tokenDim' | 'hidden'>,
): Params => [
  ...under('spade1', spadeParams(n.in, n)),
  ...under('conv1', convParams(3, n.in, n.out, { bias: true })),
  ...under('spade2', spadeParams(n.out, n)),
  ...under('conv2', convParams(3, n.out, n.out, { bias: true })),
  ...(n.in !== n.out ? under('skip', convParams(1, n.in, n.out, { bias: false })) : []),
];

/** The decoder's SPADE blocks in application order: block `i` works at level `L - i` (1-based). */
export const decoderBlocks = (n: UNetDecoder) =>
  Array.from({ length: n.levels }, (_, i) => {
    const l = n.levels - 1 - i; // 0-based level of the skip
    const prev = i === 0 ? levelChannels(n, n.levels) : levelChannels(n, l + 1);
    const c = levelChannels(n, l);
    return {
      level: l + 1,
      in: prev + c,
      out: c,
      mapChannels: n.mapChannels,
      tokenDim: n.tokenDim,
      hidden: n.spadeHidden,
      relu: n.spadeRelu,
    };
  });

/** U-Net decoder: `blocks.<i>.*` (SpadeResBlock), `head.conv1`, `head.conv2`. */
export const decoderParams = (n: UNetDecoder): Params => {
  const c0 = levelChannels(n, 0);
  return [
    ...decoderBlocks(n).flatMap((b, i) => under(`blocks.${i}`, spadeBlockParams(b))),
    ...under('head.conv1', convParams(3, c0, c0, { bias: true })),
    ...under('head.conv2', convParams(3, c0, n.outChannels, { bias: true })),
  ];
};

/** Output channels of PatchGAN conv `i` (0..layers): `ndf * min(2^i, 8)`, the last one 1. */
export const patchGanChannels = (n: PatchGan, i: number): number =>
  i === n.layers ? 1 : n.ndf * Math.min(2 ** i, 8);

/** PatchGAN: `convs.<i>.{weight,bias}` (+ buffer `u` with spectral norm), i = 0..layers. */
export const patchGanParams = (n: PatchGan): Params =>
  Array.from({ length: n.layers + 1 }, (_, i) =>
    under(
      `convs.${i}`,
      convParams(4, i === 0 ? n.inChannels : patchGanChannels(n, i - 1), patchGanChannels(n, i), {
        bias: true,
        spectralNorm: n.spectralNorm,
      }),
    ),
  ).flat();
