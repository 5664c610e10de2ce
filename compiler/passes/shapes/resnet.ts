/**
 * ResNet rule (He et al. 2016; torchvision v1.5: the stride sits on the 3x3 conv of a
 * bottleneck). BatchNorm after every conv, no conv biases, no fc (the projector replaces it).
 */
import { chain, left, right, type Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Issue } from '../../ir/issue.js';
import type { ResNet } from '../../ir/net.js';
import { tensor, type Dim, type TensorType } from '../../ir/types.js';
import {
  needsDownsample,
  resnetBlockConvs,
  resnetBlocks,
  resnetExpansion,
  type ResNetBlock,
} from '../../ir/resnet.js';
import { convSize, convStep, expectImage } from './conv.js';
import { expectPositive, type Inferred, type Rule, type RuleContext } from './rule.js';

type Step = Either<ReadonlyArray<Issue>, Inferred & { readonly output: TensorType }>;

/** Runs the convs of one block (and its downsample branch) on `x`. */
const runBlock = (ctx: RuleContext, n: ResNet, x: TensorType, blk: ResNetBlock): Step => {
  const out = blk.c * resnetExpansion(n);
  const start: Step = right({ output: x, flops: 0 });
  const main = resnetBlockConvs(n, blk).reduce<Step>(
    (acc, [, k, s, , o]) =>
      pipe(
        acc,
        chain((a) =>
          pipe(
            convStep(
              ctx,
              a.output,
              { kernel: k, stride: s, padding: Math.floor(k / 2) },
              o,
              blk.prefix,
            ),
            chain((r) => right({ output: r.output, flops: a.flops + r.flops })),
          ),
        ),
      ),
    start,
  );
  return pipe(
    main,
    chain((m) =>
      !needsDownsample(n, blk)
        ? right(m)
        : pipe(
            convStep(
              ctx,
              x,
              { kernel: 1, stride: blk.stride, padding: 0 },
              out,
              `${blk.prefix}.downsample`,
            ),
            chain((d) => right({ output: m.output, flops: m.flops + d.flops })),
          ),
    ),
  );
};

/** ResNet: `image[B, H, W, in]` -> `pooled` vector `[B, C]` or `map` image `[B, h, w, C]`. */
export const resnetRule: Rule<ResNet> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) => {
    const ranges = [
      ...expectPositive(ctx, 'stem.channels', n.stem.channels),
      ...n.stages.flatMap((s, i) => [
        ...expectPositive(ctx, `stages.${i}.blocks`, s.blocks),
        ...expectPositive(ctx, `stages.${i}.stride`, s.stride),
      ]),
    ];
    if (ranges.length > 0) return left(ranges);
    return pipe(
      expectImage(ctx, inputs, 'x', n.inChannels, (got) => `Net.resnet({ in: ${got}, ... })`),
      chain((x) =>
        convStep(
          ctx,
          x,
          { kernel: n.stem.kernel, stride: n.stem.stride, padding: Math.floor(n.stem.kernel / 2) },
          n.stem.channels,
          'stem',
        ),
      ),
      chain((stem) => {
        const [b, h, w, c] = stem.output.shape as readonly [Dim, Dim, Dim, Dim];
        const pool = { kernel: 3, stride: 2, padding: 1 };
        const pooled = n.stem.maxPool
          ? tensor('image', [b, convSize(h, pool), convSize(w, pool), c])
          : stem.output;
        return resnetBlocks(n).reduce<Step>(
          (acc, blk) =>
            pipe(
              acc,
              chain((a) =>
                pipe(
                  runBlock(ctx, n, a.output, blk),
                  chain((r) => right({ output: r.output, flops: a.flops + r.flops })),
                ),
              ),
            ),
          right({ output: pooled, flops: stem.flops }),
        );
      }),
      chain((r) => {
        const [b, , , c] = r.output.shape as readonly [Dim, Dim, Dim, Dim];
        return right({
          output: n.output === 'pooled' ? tensor('vector', [b, c]) : r.output,
          flops: r.flops,
        });
      }),
    );
  },
};
