/**
 * Rules for transformer nets: PatchEmbed, Attention, TransformerBlock and the ViT (MoCo v3
 * `vits.py`, I-JEPA `vision_transformer.py`; methods.md 1.6 and 2.2).
 */
import { chain, left, right, type Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { issue, type Issue } from '../../ir/issue.js';
import type { Attention, PatchEmbed, TransformerBlock, Vit } from '../../ir/net.js';
import { showType, tensor, type Dim, type TensorType } from '../../ir/types.js';
import { addDim } from './dims.js';
import { expectImage } from './conv.js';
import { mlpHidden } from '../../ir/params/layers.js';
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

/**
 * Attention FLOPs on `seqs` sequences of `n` tokens of width `dim`: qkv `6 n dim^2`,
 * `QK^T` and `AV` `2 n^2 dim` each, projection `2 n dim^2` (per sequence).
 */
export const attentionFlops = (seqs: number, n: number, dim: number): number =>
  seqs * (8 * n * dim * dim + 4 * n * n * dim);

/** Block FLOPs: attention plus the MLP's `4 n dim hidden`. */
export const blockFlops = (seqs: number, n: number, dim: number, hidden: number): number =>
  attentionFlops(seqs, n, dim) + seqs * 4 * n * dim * hidden;

/** Checks tokens `[*, N, dim]` with `dim % heads == 0`; returns the issues. */
const tokenChecks = (ctx: RuleContext, x: TensorType, dim: number, heads: number, net: string) => [
  ...expectPositive(ctx, 'heads', heads),
  ...expectLastDim(ctx, x, 'x', dim, (got) => `${net}({ dim: ${got}, ... })`),
  ...expectDivisible(
    ctx,
    'dim',
    dim,
    heads,
    `choose heads dividing ${dim}, e.g. ${dim % 12 === 0 ? 12 : dim % 8 === 0 ? 8 : 1}`,
  ),
];

/** Sequences and tokens per sequence of a `[..., N, D]` tensor, evaluated. */
const seqsAndLen = (ctx: RuleContext, x: TensorType): readonly [number, number] => [
  x.shape.slice(0, -2).reduce<number>((a, d) => a * num(ctx, d), 1),
  num(ctx, x.shape[x.shape.length - 2] as Dim),
];

/** Attention: `tokens[B, N, dim]` to the same type. */
export const attentionRule: Rule<Attention> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectTensor(ctx, inputs, 'x', ['tokens']),
      chain((x) =>
        done(tokenChecks(ctx, x, n.dim, n.heads, 'Net.attention'), () => {
          const [s, len] = seqsAndLen(ctx, x);
          return { output: x, flops: attentionFlops(s, len, n.dim) };
        }),
      ),
    ),
};

/** TransformerBlock: `tokens[B, N, dim]` to the same type. */
export const transformerBlockRule: Rule<TransformerBlock> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectTensor(ctx, inputs, 'x', ['tokens']),
      chain((x) =>
        done(tokenChecks(ctx, x, n.dim, n.heads, 'Net.transformerBlock'), () => {
          const [s, len] = seqsAndLen(ctx, x);
          return { output: x, flops: blockFlops(s, len, n.dim, mlpHidden(n.dim, n.mlpRatio)) };
        }),
      ),
    ),
};

/** Patchify: `image[B, H, W, C] -> tokens[B, (H/p)(W/p), dim]`, or the issues. */
const patchify = (ctx: RuleContext, x: TensorType, patch: number, dim: number, net: string) => {
  const [b, h, w, c] = x.shape as readonly [Dim, Dim, Dim, Dim];
  const problems = [
    ...expectPositive(ctx, 'patch', patch),
    ...expectDivisible(
      ctx,
      'image height',
      h,
      patch,
      `${net}: resize to a multiple of ${patch} or pick a patch size dividing ${h}`,
    ),
    ...(h === w
      ? []
      : expectDivisible(ctx, 'image width', w, patch, `${net}: resize to a multiple of ${patch}`)),
  ];
  const n: Dim =
    typeof h === 'number' && typeof w === 'number' ? (h / patch) * (w / patch) : `patches(${h})`;
  const flops = 2 * num(ctx, b) * num(ctx, n) * patch * patch * num(ctx, c) * dim;
  return { problems, output: tensor('tokens', [b, n, dim]), flops };
};

/** PatchEmbed: a stride-`patch` conv to `dim`. */
export const patchEmbedRule: Rule<PatchEmbed> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectImage(ctx, inputs, 'x', n.inChannels, (got) => `Net.patchEmbed({ in: ${got}, ... })`),
      chain((x) => {
        const p = patchify(ctx, x, n.patch, n.dim, 'Net.patchEmbed');
        return done(p.problems, () => ({ output: p.output, flops: p.flops }));
      }),
    ),
};

/** The `keep` port: index `[B, K]` gives K kept patch tokens. */
const keptCount = (
  ctx: RuleContext,
  inputs: Ports,
): Either<ReadonlyArray<Issue>, Dim> | undefined =>
  inputs['keep'] === undefined
    ? undefined
    : pipe(
        expectTensor(ctx, inputs, 'keep', ['index']),
        chain((k): Either<ReadonlyArray<Issue>, Dim> =>
          k.shape.length === 2
            ? right(k.shape[1] as Dim)
            : left([
                issue('E_SHAPE', ctx.path, `port 'keep' expects index[B, K], got ${showType(k)}`, {
                  expected: 'index[B, K]',
                  got: showType(k),
                }),
              ]),
        ),
      );

/** Vit: image `[B, S, S, C]` (S = imageSize) to `cls`/`mean` vector `[B, dim]` or `tokens`. */
export const vitRule: Rule<Vit> = {
  ports: { required: ['x'], optional: ['keep'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectImage(ctx, inputs, 'x', n.inChannels, (got) => `Net.vit({ in: ${got}, ... })`),
      chain((x) => {
        const [b, h, w] = x.shape as readonly [Dim, Dim, Dim];
        const p = patchify(ctx, x, n.patch, n.dim, 'Net.vit');
        const kept = keptCount(ctx, inputs);
        const sizeOk = [h, w].every((d) => typeof d !== 'number' || d === n.imageSize);
        const problems = [
          ...expectPositive(ctx, 'depth', n.depth),
          ...expectPositive(ctx, 'heads', n.heads),
          ...expectDivisible(
            ctx,
            'imageSize',
            n.imageSize,
            n.patch,
            `Net.vit({ patch: ... }) dividing ${n.imageSize}`,
          ),
          ...expectDivisible(ctx, 'dim', n.dim, n.heads, `choose heads dividing ${n.dim}`),
          ...(sizeOk
            ? []
            : [
                issue(
                  'E_SHAPE',
                  ctx.path,
                  `the ViT is built for ${n.imageSize}px images, got ${showType(x)}`,
                  {
                    expected: `image[${b}, ${n.imageSize}, ${n.imageSize}, ${n.inChannels}]`,
                    got: showType(x),
                    hint: `Net.vit({ imageSize: ${h}, ... }) or resize the view to ${n.imageSize}`,
                  },
                ),
              ]),
          ...(n.output === 'cls' && !n.cls
            ? [
                issue('E_RANGE', [...ctx.path, 'output'], "output 'cls' needs a [CLS] token", {
                  expected: "cls: true, or output 'mean' | 'tokens'",
                  got: 'cls: false',
                  hint: "Net.vit({ cls: true, ... }) or output: 'mean'",
                }),
              ]
            : []),
          ...(kept === undefined ? [] : issuesOf(kept)),
          ...p.problems,
        ];
        return done(problems, () => {
          const count: Dim =
            kept !== undefined && kept._tag === 'Right' ? kept.right : (p.output.shape[1] as Dim);
          const seq = n.cls ? addDim(count, 1) : count;
          const hidden = mlpHidden(n.dim, n.mlpRatio);
          const flops = p.flops + n.depth * blockFlops(num(ctx, b), num(ctx, seq), n.dim, hidden);
          const output =
            n.output === 'tokens'
              ? tensor('tokens', [b, count, n.dim])
              : tensor('vector', [b, n.dim]);
          return { output, flops };
        });
      }),
    ),
};
