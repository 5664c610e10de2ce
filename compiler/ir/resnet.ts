/**
 * The block structure of a ResNet IR node (He et al. 2016; torchvision v1.5: the stride sits on
 * the 3x3 conv of a bottleneck): which blocks and convs it has, with their widths and strides.
 * Shared by shape inference (`compiler/passes/shapes/resnet.ts`) and the lowering
 * (`compiler/lower/nets/resnet.ts`); pure, no dependencies, so an emitted step can embed it.
 */
import type { ResNet } from './net.js';

/** Output channels of a ResNet block: `channels`, times 4 for bottlenecks. */
export const resnetExpansion = (n: ResNet): number => (n.block === 'bottleneck' ? 4 : 1);

/** One conv of a ResNet block: `[name, kernel, stride, in, out]` (name `1`, `2`, `3`: `conv<name>`, `bn<name>`). */
export type ResNetConv = readonly [string, number, number, number, number];

/** A ResNet block's parameter prefix (`stages.<s>.<b>`), input channels, base width `c` and stride. */
export interface ResNetBlock {
  readonly prefix: string;
  readonly inCh: number;
  readonly c: number;
  readonly stride: number;
}

/** The convs of block `b`: bottleneck 1x1, 3x3 (strided), 1x1 (x4 wide); basic 3x3 (strided), 3x3. */
export const resnetBlockConvs = (n: ResNet, b: ResNetBlock): ReadonlyArray<ResNetConv> =>
  n.block === 'bottleneck'
    ? [
        ['1', 1, 1, b.inCh, b.c],
        ['2', 3, b.stride, b.c, b.c],
        ['3', 1, 1, b.c, 4 * b.c],
      ]
    : [
        ['1', 3, b.stride, b.inCh, b.c],
        ['2', 3, 1, b.c, b.c],
      ];

/** Every block of a ResNet, in order (the first block of a stage carries its stride). */
export const resnetBlocks = (n: ResNet): ReadonlyArray<ResNetBlock> => {
  let inCh = n.stem.channels;
  return n.stages.flatMap((st, s) =>
    Array.from({ length: st.blocks }, (_, b) => {
      const blk = {
        prefix: `stages.${s}.${b}`,
        inCh,
        c: st.channels,
        stride: b === 0 ? st.stride : 1,
      };
      inCh = st.channels * resnetExpansion(n);
      return blk;
    }),
  );
};

/** Whether block `b` has a downsample branch (1x1 conv + BN): it strides or changes the width. */
export const needsDownsample = (n: ResNet, b: ResNetBlock): boolean =>
  b.stride !== 1 || b.inCh !== b.c * resnetExpansion(n);
