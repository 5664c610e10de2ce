/**
 * Predictor and head rules: the I-JEPA transformer predictor (methods.md 2.2), the Style-JEPA
 * token predictor and the ST-STORM fusion head (methods.md 3.2, 3.5).
 */
import { chain, left, right, type Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { issue, type Issue } from '../../ir/issue.js';
import { MAX_TENSOR_ELEMENTS } from '../../ir/limits.js';
import type { FusionHead, TokenPredictor, TransformerPredictor } from '../../ir/net.js';
import { showType, tensor, type Dim, type TensorType } from '../../ir/types.js';
import { addDim, dimsCompatible, mulDim } from './dims.js';
import { mlpHidden } from '../../ir/params/layers.js';
import { attentionFlops, blockFlops } from './transformer.js';
import {
  done,
  expectDivisible,
  expectLastDim,
  expectPositive,
  expectTensor,
  issuesOf,
  num,
  type Ports,
  type Rule,
  type RuleContext,
} from './rule.js';

/** An index port of the given rank (`[B, K]` or `[T, B, K]`), or the issues. */
const indexPort = (
  ctx: RuleContext,
  inputs: Ports,
  port: string,
  rank: number,
  want: string,
): Either<ReadonlyArray<Issue>, TensorType> =>
  pipe(
    expectTensor(ctx, inputs, port, ['index']),
    chain((t) =>
      t.shape.length === rank
        ? right(t)
        : left([
            issue('E_SHAPE', ctx.path, `port '${port}' expects ${want}, got ${showType(t)}`, {
              expected: want,
              got: showType(t),
            }),
          ]),
    ),
  );

/** TransformerPredictor: context tokens + masks -> predictions `tokens[T*B, Kt, inDim]`. */
export const transformerPredictorRule: Rule<TransformerPredictor> = {
  ports: { required: ['x', 'context', 'targets'] },
  infer: (n, inputs, ctx) => {
    const x = pipe(
      expectTensor(ctx, inputs, 'x', ['tokens']),
      chain((t) => {
        const bad = expectLastDim(
          ctx,
          t,
          'x',
          n.inDim,
          (got) => `Predictor.transformer({ inDim: ${got}, ... })`,
        );
        return bad.length > 0 ? left(bad) : right(t);
      }),
    );
    const context = indexPort(ctx, inputs, 'context', 2, 'index[B, Kctx]');
    const targets = indexPort(ctx, inputs, 'targets', 3, 'index[T, B, Ktgt]');
    const problems = [
      ...issuesOf(x),
      ...issuesOf(context),
      ...issuesOf(targets),
      ...expectPositive(ctx, 'depth', n.depth),
      ...expectPositive(ctx, 'heads', n.heads),
      ...n.grid.flatMap((g, i) => expectPositive(ctx, `grid.${i}`, g)),
      ...expectDivisible(ctx, 'dim', n.dim, n.heads, `choose heads dividing ${n.dim}`),
      ...(n.grid[0] * n.grid[1] * n.dim > MAX_TENSOR_ELEMENTS
        ? [
            issue(
              'E_TOO_LARGE',
              [...ctx.path, 'grid'],
              `the position table of grid ${n.grid.join('x')} at dim ${n.dim} has ${(n.grid[0] * n.grid[1] * n.dim).toExponential(2)} elements`,
              {
                expected: `at most ${MAX_TENSOR_ELEMENTS} elements`,
                got: `${n.grid.join('x')}x${n.dim}`,
                hint: 'the grid is the image size over the patch size (e.g. 14x14 for 224/16)',
              },
            ),
          ]
        : []),
    ];
    if (x._tag === 'Left' || context._tag === 'Left' || targets._tag === 'Left')
      return left(problems);
    const [b, kc] = x.right.shape as readonly [Dim, Dim, Dim];
    const [t, , kt] = targets.right.shape as readonly [Dim, Dim, Dim];
    if (!dimsCompatible(kc, context.right.shape[1] as Dim)) {
      problems.push(
        issue(
          'E_SHAPE',
          ctx.path,
          "the context tokens and the 'context' index disagree on the kept count",
          {
            expected: `index[${b}, ${kc}]`,
            got: showType(context.right),
            hint: 'gather the context tokens with the same mask',
          },
        ),
      );
    }
    return done(problems, () => {
      const seqs = num(ctx, t) * num(ctx, b);
      const flops =
        2 * num(ctx, b) * num(ctx, kc) * n.inDim * n.dim +
        n.depth * blockFlops(seqs, num(ctx, addDim(kc, kt)), n.dim, mlpHidden(n.dim, n.mlpRatio)) +
        2 * seqs * num(ctx, kt) * n.dim * n.inDim;
      return { output: tensor('tokens', [mulDim(t, b), kt, n.inDim]), flops };
    });
  },
};

/** Style-JEPA TokenPredictor: `tokens[B, count, dim]` to the same type. */
export const tokenPredictorRule: Rule<TokenPredictor> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectTensor(ctx, inputs, 'x', ['tokens']),
      chain((x) => {
        const [b, count] = x.shape as readonly [Dim, Dim, Dim];
        const countOk = dimsCompatible(count, n.count) && x.shape.length === 3;
        return done(
          [
            ...expectPositive(ctx, 'heads', n.heads),
            ...expectLastDim(ctx, x, 'x', n.dim, (got) => `Predictor.tokens({ dim: ${got}, ... })`),
            ...expectDivisible(ctx, 'dim', n.dim, n.heads, `choose heads dividing ${n.dim}`),
            ...(countOk
              ? []
              : [
                  issue(
                    'E_SHAPE',
                    ctx.path,
                    `the predictor has ${n.count} positions, got ${count} tokens`,
                    {
                      expected: `tokens[${b}, ${n.count}, ${n.dim}]`,
                      got: showType(x),
                      hint: `Predictor.tokens({ count: ${count}, ... })`,
                    },
                  ),
                ]),
          ],
          () => ({
            output: x,
            flops:
              attentionFlops(num(ctx, b), n.count, n.dim) +
              4 * num(ctx, b) * n.count * n.dim * mlpHidden(n.dim, n.hiddenRatio),
          }),
        );
      }),
    ),
};

/** FusionHead: `style` vector `[B, styleDim]`, `content` vector `[B, contentDim]` -> vector `[B, dim]`. */
export const fusionHeadRule: Rule<FusionHead> = {
  ports: { required: ['style', 'content'] },
  infer: (n, inputs, ctx) => {
    const port = (name: 'style' | 'content', dim: number) =>
      pipe(
        expectTensor(ctx, inputs, name, ['vector']),
        chain((t): Either<ReadonlyArray<Issue>, TensorType> => {
          const bad = expectLastDim(
            ctx,
            t,
            name,
            dim,
            (got) => `Net.fusionHead({ ${name}Dim: ${got}, ... })`,
          );
          return bad.length > 0 ? left(bad) : right(t);
        }),
      );
    const s = port('style', n.styleDim);
    const c = port('content', n.contentDim);
    if (s._tag === 'Left' || c._tag === 'Left') return left([...issuesOf(s), ...issuesOf(c)]);
    const b = s.right.shape[0] as Dim;
    return done([], () => ({
      output: tensor('vector', [b, n.dim]),
      flops: 2 * num(ctx, b) * n.dim * (n.styleDim + n.contentDim + 2 * n.dim),
    }));
  },
};
