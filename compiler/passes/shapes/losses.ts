/**
 * Shape rules for every loss kind: check that the inputs are compatible (InfoNCE: two vectors of
 * one dim; element-wise losses: equal shapes; Style-JEPA: tokens and a mask of matching count;
 * LSGAN: discriminator logits) and type the loss `scalar[]`. Counted FLOPs: the InfoNCE
 * similarity matmuls; other losses are element-wise and not counted (README).
 */
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { SpecPath } from '../../ir/graph.js';
import { issue, type Issue } from '../../ir/issue.js';
import { maxPyramidLevels, type LossNode, type LossTag } from '../../ir/loss.js';
import type { NetNode } from '../../ir/net.js';
import {
  showType,
  tensor,
  type Dim,
  type TensorKind,
  type TensorType,
  type ValueType,
} from '../../ir/types.js';
import { dimsCompatible, evalDim, shapesCompatible } from './dims.js';
import { inferNet } from './net.js';
import { tensorPort, type GraphContext, type Typed } from './values.js';

type LossOf<K extends LossTag> = Extract<LossNode, { _tag: K }>;
type LossRule<K extends LossTag> = (
  loss: LossOf<K>,
  inputs: Readonly<Record<string, ValueType>>,
  path: SpecPath,
  ctx: GraphContext,
) => Either<ReadonlyArray<Issue>, Typed>;

const SCALAR = tensor('scalar', []);
const scalar = (
  flops = 0,
  issues: ReadonlyArray<Issue> = [],
): Either<ReadonlyArray<Issue>, Typed> =>
  issues.length > 0 ? left(issues) : right({ type: SCALAR, flops });

const from = (ctx: GraphContext, port: string): string => {
  const s = ctx.source(port);
  return s === undefined ? '' : ` from ${s}`;
};

/** Both ports typed as tensors of `kinds`, or the issues. */
const pair = (
  inputs: Readonly<Record<string, ValueType>>,
  ports: readonly [string, string],
  kinds: ReadonlyArray<TensorKind>,
  path: SpecPath,
  what: string,
): Either<ReadonlyArray<Issue>, readonly [TensorType, TensorType]> => {
  const a = tensorPort(inputs, ports[0], kinds, [...path, ports[0]], what);
  const b = tensorPort(inputs, ports[1], kinds, [...path, ports[1]], what);
  if (a._tag === 'Left' || b._tag === 'Left')
    return left([...(a._tag === 'Left' ? a.left : []), ...(b._tag === 'Left' ? b.left : [])]);
  return right([a.right, b.right]);
};

/** Element-wise losses: the same kind and shape on both ports (E_KIND, E_SHAPE). */
const sameShape =
  (kinds: ReadonlyArray<TensorKind>, ports: readonly [string, string] = ['pred', 'target']) =>
  (
    loss: LossNode,
    inputs: Readonly<Record<string, ValueType>>,
    path: SpecPath,
    ctx: GraphContext,
  ): Either<ReadonlyArray<Issue>, Typed> => {
    const p = pair(inputs, ports, kinds, path, loss._tag);
    if (p._tag === 'Left') return p;
    const [a, b] = p.right;
    if (a.kind === b.kind && shapesCompatible(a.shape, b.shape)) return scalar();
    return left([
      issue(
        a.kind === b.kind ? 'E_SHAPE' : 'E_KIND',
        [...path, ports[1]],
        `${loss._tag}: '${ports[0]}' and '${ports[1]}' must have the same shape`,
        {
          expected: showType(a),
          got: `${showType(b)}${from(ctx, ports[1])}`,
          hint: 'compare values of one shape, e.g. gather the targets with the same mask as the predictions',
        },
      ),
    ]);
  };

/** InfoNCE (both forms): query and key vectors `[B, D]` of one `D`. */
const contrastive =
  (queue: number) =>
  (
    loss: LossNode,
    inputs: Readonly<Record<string, ValueType>>,
    path: SpecPath,
    ctx: GraphContext,
  ): Either<ReadonlyArray<Issue>, Typed> => {
    const p = pair(inputs, ['query', 'key'], ['vector'], path, loss._tag);
    if (p._tag === 'Left') {
      return left(
        p.left.map((i) => ({
          ...i,
          hint: i.hint ?? "contrast vectors: pool tokens first (Net.pool({ kind: 'cls' }))",
        })),
      );
    }
    const [q, k] = p.right;
    const [bq, dq] = q.shape as readonly [Dim, Dim];
    const [bk, dk] = k.shape as readonly [Dim, Dim];
    const issues = [
      ...(dimsCompatible(dq, dk)
        ? []
        : [
            issue(
              'E_SHAPE',
              [...path, 'key'],
              `${loss._tag}: query and key dims differ (${dq} vs ${dk})`,
              {
                expected: `vector[${bk}, ${dq}]`,
                got: `${showType(k)}${from(ctx, 'key')}`,
                hint: `give both branches the same output dim (${dq})${ctx.source('key') === undefined ? '' : `: ${ctx.source('key')} out: ${dq}`}`,
              },
            ),
          ]),
      ...(dimsCompatible(bq, bk)
        ? []
        : [
            issue('E_SHAPE', [...path, 'key'], `${loss._tag}: query and key batches differ`, {
              expected: `${bq}`,
              got: `${bk}`,
            }),
          ]),
      ...(queue >= 0 && !(Number.isInteger(queue) && queue > 0)
        ? [
            issue('E_RANGE', [...path, 'queueSize'], 'the queue size must be a positive integer', {
              got: `${queue}`,
            }),
          ]
        : []),
    ];
    const b = evalDim(bq, ctx.env);
    const d = evalDim(dq, ctx.env);
    const alone =
      queue < 0 && b === 1
        ? [
            issue(
              'E_RANGE',
              path,
              `${loss._tag} takes its negatives from the other samples of the batch: a batch of 1 has none, so the loss is exactly 0 and nothing learns`,
              {
                expected: 'a batch of at least 2',
                got: `${b}`,
                hint: 'train with --batch 2 or more (training.batch), or use InfoNCEQueue (negatives from a queue of past keys)',
              },
            ),
          ]
        : [];
    return scalar(2 * b * (queue >= 0 ? 1 + queue : evalDim(bk, ctx.env)) * d, [
      ...issues,
      ...alone,
    ]);
  };

/**
 * VICReg statistics are unbiased (divided by `N - 1`) over the `N` samples of a batch: a single
 * sample (batch 1, vector features) divides by 0. Unknown sizes (0) are left to other checks.
 */
const oneSample = (
  x: TensorType,
  path: SpecPath,
  ctx: GraphContext,
  tag: string,
): ReadonlyArray<Issue> => {
  const rows = x.shape.slice(0, -1).reduce<number>((a, s) => a * evalDim(s as Dim, ctx.env), 1);
  return rows === 1
    ? [
        issue(
          'E_RANGE',
          [...path, 'x'],
          `${tag} needs at least 2 samples (its variance is over the batch), got 1 at batch ${ctx.batch}`,
          {
            expected: 'at least 2 samples',
            got: '1',
            hint: 'train with --batch 2 or more (training.batch), or regularise tokens [B, S, D] instead of vectors',
          },
        ),
      ]
    : [];
};

/** The logits of a discriminator: a tensor whose last dim is 1. */
const logits =
  (port: string) =>
  (
    inputs: Readonly<Record<string, ValueType>>,
    path: SpecPath,
    ctx: GraphContext,
  ): ReadonlyArray<Issue> => {
    const t = tensorPort(inputs, port, ['image', 'vector'], [...path, port], 'LSGAN');
    if (t._tag === 'Left') return t.left;
    const last = t.right.shape[t.right.shape.length - 1] as Dim;
    return dimsCompatible(last, 1)
      ? []
      : [
          issue(
            'E_SHAPE',
            [...path, port],
            `LSGAN expects discriminator logits (last dim 1), got ${showType(t.right)}`,
            {
              expected: '[..., 1]',
              got: `${showType(t.right)}${from(ctx, port)}`,
              hint: 'apply the discriminator to the images first',
            },
          ),
        ];
  };

const hasSpade = (n: NetNode): boolean =>
  n._tag === 'SpadeResBlock' ||
  n._tag === 'UNetDecoder' ||
  n._tag === 'Generator' ||
  (n._tag === 'Sequential' && n.layers.some(hasSpade));

const moduleNamed = (ctx: GraphContext, name: string, path: SpecPath) => {
  const m = ctx.modules.get(name);
  return m !== undefined
    ? right(m)
    : left([
        issue('E_DANGLING_REF', [...path, 'module'], `no module '${name}'`, {
          hint: `modules: ${[...ctx.modules.keys()].join(', ')}`,
        }),
      ]);
};

/** The rule of every loss kind. */
export const LOSS_RULES: { readonly [K in LossTag]: LossRule<K> } = {
  InfoNCE: contrastive(-1),
  InfoNCEQueue: (l, i, p, c) => contrastive(l.queueSize)(l, i, p, c),
  SmoothL1: sameShape(['vector', 'tokens', 'image']),
  L2: sameShape(['vector', 'tokens', 'image']),
  L1: sameShape(['vector', 'tokens', 'image']),
  LsganGenerator: (_l, i, p, c) => scalar(0, logits('fake')(i, p, c)),
  LsganDiscriminator: (l, i, p, c) => {
    const each = [...logits('real')(i, p, c), ...logits('fake')(i, p, c)];
    return each.length > 0
      ? left(each)
      : sameShape(['image', 'vector'], ['real', 'fake'])(l, i, p, c);
  },
  R1: (l, inputs, path, ctx) => {
    const m = moduleNamed(ctx, l.module, path);
    if (m._tag === 'Left') return m;
    const real = tensorPort(inputs, 'real', ['image'], [...path, 'real'], 'R1');
    if (real._tag === 'Left') return real;
    const d = inferNet(m.right.net, { x: real.right }, [...path, 'real'], ctx.batch, {
      dims: ctx.env,
    });
    return d._tag === 'Left'
      ? d
      : scalar(d.right.flops, logits('x')({ x: d.right.output }, path, ctx));
  },
  PatchNce: (l, inputs, path, ctx) => {
    const q = inputs['query'];
    const k = inputs['key'];
    if (q?._tag === 'Struct' && k?._tag === 'Struct') {
      const same = JSON.stringify(q) === JSON.stringify(k);
      return scalar(
        0,
        same
          ? []
          : [
              issue('E_SHAPE', [...path, 'key'], 'PatchNce: query and key layers must match', {
                expected: showType(q),
                got: showType(k),
              }),
            ],
      );
    }
    return sameShape(['image'], ['query', 'key'])(l, inputs, path, ctx);
  },
  TokenL1: sameShape(['tokens']),
  FftAmplitudeL1: sameShape(['image']),
  SlicedWasserstein: (l, inputs, path, ctx) => {
    const p = pair(inputs, ['pred', 'target'], ['image'], path, 'SlicedWasserstein');
    if (p._tag === 'Left') return p;
    const [a, b] = p.right;
    const c = (t: TensorType) => t.shape[3] as Dim;
    const small = [a, b].some(
      (t) => typeof t.shape[1] === 'number' && (t.shape[1] as number) < l.patch,
    );
    const [h, w] = [a.shape[1], a.shape[2]];
    const most = typeof h === 'number' && typeof w === 'number' ? maxPyramidLevels(h, w) : l.levels;
    return scalar(0, [
      ...(dimsCompatible(c(a), c(b))
        ? []
        : [
            issue('E_SHAPE', [...path, 'target'], 'SlicedWasserstein: channel counts differ', {
              expected: `${c(a)}`,
              got: `${c(b)}${from(ctx, 'target')}`,
            }),
          ]),
      ...(small
        ? [
            issue('E_RANGE', [...path, 'patch'], `patch ${l.patch} is larger than the images`, {
              got: `${showType(a)}, ${showType(b)}`,
            }),
          ]
        : []),
      ...(l.levels > most
        ? [
            issue('E_RANGE', [...path, 'levels'], `${l.levels} pyramid bands on ${h}x${w}`, {
              expected: `at most ${most} (1 + log2 of the smaller side)`,
              got: `${l.levels}`,
              hint: `Loss.slicedWasserstein({ levels: ${most}, ... })`,
            }),
          ]
        : []),
    ]);
  },
  VicregVariance: (_l, i, p, ctx) => {
    const x = tensorPort(i, 'x', ['vector', 'tokens'], [...p, 'x'], 'VicregVariance');
    return x._tag === 'Left' ? x : scalar(0, oneSample(x.right, p, ctx, 'VicregVariance'));
  },
  VicregCovariance: (_l, i, p, ctx) => {
    const x = tensorPort(i, 'x', ['vector', 'tokens'], [...p, 'x'], 'VicregCovariance');
    if (x._tag === 'Left') return x;
    const d = evalDim(x.right.shape[x.right.shape.length - 1] as Dim, ctx.env);
    const rows = x.right.shape.slice(0, -1).reduce<number>((a, s) => a * evalDim(s, ctx.env), 1);
    return scalar(2 * rows * d * d, oneSample(x.right, p, ctx, 'VicregCovariance'));
  },
  SpadeGate: (l, _i, path, ctx) => {
    const m = moduleNamed(ctx, l.module, path);
    if (m._tag === 'Left') return m;
    return scalar(
      0,
      hasSpade(m.right.net)
        ? []
        : [
            issue(
              'E_KIND',
              [...path, 'module'],
              `module '${l.module}' has no SPADE blocks to regularise`,
              {
                expected: 'a Generator, UNetDecoder or SpadeResBlock module',
                got: m.right.net._tag,
              },
            ),
          ],
    );
  },
  MaskedTokenL2: (l, inputs, path, ctx) => {
    const shapes = sameShape(['tokens'])(l, inputs, path, ctx);
    const mask = tensorPort(inputs, 'mask', ['mask'], [...path, 'mask'], 'MaskedTokenL2');
    if (shapes._tag === 'Left' || mask._tag === 'Left')
      return left([
        ...(shapes._tag === 'Left' ? shapes.left : []),
        ...(mask._tag === 'Left' ? mask.left : []),
      ]);
    const pred = inputs['pred'] as TensorType;
    const count = pred.shape[1] as Dim;
    const [mb, ms] = mask.right.shape as readonly [Dim, Dim];
    return scalar(0, [
      ...(dimsCompatible(ms, count) && dimsCompatible(mb, pred.shape[0] as Dim)
        ? []
        : [
            issue('E_SHAPE', [...path, 'mask'], 'the mask must be [B, S] for tokens [B, S, D]', {
              expected: `mask[${pred.shape[0]}, ${count}]`,
              got: `${showType(mask.right)}${from(ctx, 'mask')}`,
              hint: `Mask.tokens({ count: ${count}, ... })`,
            }),
          ]),
      ...(dimsCompatible(l.weights.length, count)
        ? []
        : [
            issue('E_SHAPE', [...path, 'weights'], `one weight per token: ${count} expected`, {
              expected: `${count} weights`,
              got: `${l.weights.length}`,
            }),
          ]),
    ]);
  },
};

/** Types one loss node (`scalar[]`) from its typed inputs. */
export const inferLoss = (
  loss: LossNode,
  inputs: Readonly<Record<string, ValueType>>,
  path: SpecPath,
  ctx: GraphContext,
): Either<ReadonlyArray<Issue>, Typed> =>
  (LOSS_RULES[loss._tag] as LossRule<LossTag>)(loss as LossOf<LossTag>, inputs, path, ctx);
