/**
 * SPADE residual block with learned softplus gates (ST-STORM, methods.md 3.2): two
 * `SPADE -> ReLU -> conv3x3` stages and a 1x1 skip when the channel count changes (a ReLU after
 * the add with `relu`). Each SPADE modulates instance-normalised features with a spatial map
 * (conv3x3 -> `hidden` -> SiLU -> conv3x3 to `2C`) and a style token (MLP `tokenDim -> hidden ->
 * 2C`), mixed by four gate scalars.
 */
import { chain, left, right, type Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { issue, type Issue } from '../../ir/issue.js';
import type { SpadeResBlock } from '../../ir/net.js';
import { showType, tensor, type Dim, type TensorType } from '../../ir/types.js';
import { dimsCompatible } from './dims.js';
import { expectImage } from './conv.js';
import { done, expectLastDim, expectTensor, issuesOf, num, type Rule } from './rule.js';

/** FLOPs of one SPADE on `c` channels over `pixels = B h w` positions and `batch` tokens. */
const spadeFlops = (batch: number, pixels: number, c: number, n: Widths): number =>
  2 * pixels * 9 * n.hidden * (n.mapChannels + 2 * c) + 2 * batch * n.hidden * (n.tokenDim + 2 * c);

type Widths = Pick<SpadeResBlock, 'mapChannels' | 'tokenDim' | 'hidden'>;

/** FLOPs of a SpadeResBlock at `batch` images of `h x w`. */
export const spadeBlockFlops = (
  n: Pick<SpadeResBlock, 'in' | 'out' | 'mapChannels' | 'tokenDim' | 'hidden'>,
  batch: number,
  h: number,
  w: number,
): number => {
  const px = batch * h * w;
  return (
    spadeFlops(batch, px, n.in, n) +
    2 * px * 9 * n.in * n.out +
    spadeFlops(batch, px, n.out, n) +
    2 * px * 9 * n.out * n.out +
    (n.in !== n.out ? 2 * px * n.in * n.out : 0)
  );
};

/** SpadeResBlock: `x` image `[B, h, w, in]`, `map` `[B, h, w, mapChannels]`, `token` `[B, tokenDim]` -> `[B, h, w, out]`. */
export const spadeResBlockRule: Rule<SpadeResBlock> = {
  ports: { required: ['x', 'map', 'token'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectImage(ctx, inputs, 'x', n.in, (got) => `Net.spadeResBlock({ in: ${got}, ... })`),
      chain((x) => {
        const map = expectImage(
          ctx,
          inputs,
          'map',
          n.mapChannels,
          (got) => `Net.spadeResBlock({ mapChannels: ${got}, ... })`,
        );
        const token = pipe(
          expectTensor(ctx, inputs, 'token', ['vector']),
          chain((t): Either<ReadonlyArray<Issue>, TensorType> => {
            const bad = expectLastDim(
              ctx,
              t,
              'token',
              n.tokenDim,
              (got) => `Net.spadeResBlock({ tokenDim: ${got}, ... })`,
            );
            return bad.length > 0 ? left(bad) : right(t);
          }),
        );
        const [b, h, w] = x.shape as readonly [Dim, Dim, Dim];
        const sizeIssues =
          map._tag === 'Right' &&
          !(
            dimsCompatible(map.right.shape[1] as Dim, h) &&
            dimsCompatible(map.right.shape[2] as Dim, w)
          )
            ? [
                issue('E_SHAPE', ctx.path, `port 'map' must have the spatial size of 'x'`, {
                  expected: `image[${b}, ${h}, ${w}, ${n.mapChannels}]`,
                  got: showType(map.right),
                }),
              ]
            : [];
        return done([...issuesOf(map), ...issuesOf(token), ...sizeIssues], () => ({
          output: tensor('image', [b, h, w, n.out]),
          flops: spadeBlockFlops(n, num(ctx, b), num(ctx, h), num(ctx, w)),
        }));
      }),
    ),
};
