/**
 * Convolution arithmetic on NHWC images and the Conv2d rule. Composite nets (ResNet, U-Net,
 * PatchGAN) chain `convStep` through their layers and sum its FLOPs.
 */
import { chain, left, right, type Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { issue, type Issue } from '../../ir/issue.js';
import type { Conv2d } from '../../ir/net.js';
import { tensor, showType, type Dim, type TensorType } from '../../ir/types.js';
import {
  expectLastDim,
  expectPositive,
  expectTensor,
  num,
  type Inferred,
  type Ports,
  type Rule,
  type RuleContext,
} from './rule.js';

/** Geometry of one convolution (or pooling window). `padding` as in `Conv2d`. */
export interface ConvGeometry {
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number | 'same' | 'valid';
  readonly dilation?: number;
}

/**
 * Output spatial size: `floor((h + 2p - d(k-1) - 1) / s) + 1`; `same`: `ceil(h / s)`; `valid`:
 * `ceil((h - d(k-1)) / s)`. Symbolic `h` gives a symbolic expression.
 */
export const convSize = (h: Dim, g: ConvGeometry): Dim => {
  const d = g.dilation ?? 1;
  const span = d * (g.kernel - 1);
  if (typeof h !== 'number') return `conv(${h})`;
  if (g.padding === 'same') return Math.ceil(h / g.stride);
  if (g.padding === 'valid') return Math.ceil((h - span) / g.stride);
  return Math.floor((h + 2 * g.padding - span - 1) / g.stride) + 1;
};

/**
 * One convolution `image[B, h, w, *] -> image[B, h', w', out]` with `2 * B h' w' k^2 in out`
 * FLOPs (`in` is the input's channel count). E_SHAPE when the image becomes empty.
 */
export const convStep = (
  ctx: RuleContext,
  x: TensorType,
  g: ConvGeometry,
  out: number,
  where: string,
): Either<ReadonlyArray<Issue>, Inferred & { readonly output: TensorType }> => {
  const [b, h, w, c] = x.shape as readonly [Dim, Dim, Dim, Dim];
  const ho = convSize(h, g);
  const wo = convSize(w, g);
  if ((typeof ho === 'number' && ho < 1) || (typeof wo === 'number' && wo < 1)) {
    return left([
      issue(
        'E_SHAPE',
        ctx.path,
        `${where}: a ${g.kernel}x${g.kernel} stride ${g.stride} convolution leaves no pixels of ${showType(x)}`,
        {
          expected: `spatial size >= ${g.kernel} before ${where}`,
          got: showType(x),
          hint: 'use larger images or fewer downsampling layers',
        },
      ),
    ]);
  }
  const flops =
    2 * num(ctx, b) * num(ctx, ho) * num(ctx, wo) * g.kernel * g.kernel * num(ctx, c) * out;
  return right({ output: tensor('image', [b, ho, wo, out]), flops });
};

/** Checks that `x` is an image with `channels` channels (E_KIND, E_SHAPE), with a fix naming `net`. */
export const expectImage = (
  ctx: RuleContext,
  inputs: Ports,
  port: string,
  channels: number,
  fix: (got: number) => string,
): Either<ReadonlyArray<Issue>, TensorType> =>
  pipe(
    expectTensor(ctx, inputs, port, ['image']),
    chain((x) => {
      const bad = expectLastDim(ctx, x, port, channels, fix);
      return bad.length > 0 ? left(bad) : right(x);
    }),
  );

/** Conv2d on an image. */
export const conv2dRule: Rule<Conv2d> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) => {
    const ranges = [
      ...expectPositive(ctx, 'kernel', n.kernel),
      ...expectPositive(ctx, 'stride', n.stride),
      ...expectPositive(ctx, 'dilation', n.dilation),
      ...expectPositive(ctx, 'outChannels', n.outChannels),
    ];
    if (ranges.length > 0) return left(ranges);
    return pipe(
      expectImage(ctx, inputs, 'x', n.inChannels, (got) => `Net.conv2d({ in: ${got}, ... })`),
      chain((x) => convStep(ctx, x, n, n.outChannels, 'Conv2d')),
    );
  },
};
