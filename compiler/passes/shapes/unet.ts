/**
 * ST-STORM U-Net rules (methods.md 3.2): the content encoder, the pyramid style encoder (same
 * topology, own weights, plus map and token heads) and the SPADE decoder.
 */
import { chain, left, right, type Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { issue, type Issue } from '../../ir/issue.js';
import type { StylePyramidEncoder, UNetDecoder, UNetEncoder } from '../../ir/net.js';
import {
  showType,
  struct,
  tensor,
  type Dim,
  type TensorType,
  type ValueType,
} from '../../ir/types.js';
import { dimsCompatible, mulDim } from './dims.js';
import { convStep, expectImage } from './conv.js';
import { decoderBlocks, levelChannels, type UNetTopology } from '../../ir/params/convnets.js';
import { spadeBlockFlops } from './spade.js';
import { done, expectDivisible, expectPositive, num, type Rule, type RuleContext } from './rule.js';

interface Encoded {
  readonly skips: ReadonlyArray<TensorType>;
  readonly bottleneck: TensorType;
  readonly flops: number;
}

/** Runs the encoder topology on `x`: `levels` downs (4x4 s2 p1), a bottleneck down and a 3x3 conv. */
const encode = (
  ctx: RuleContext,
  n: UNetTopology,
  x: TensorType,
): Either<ReadonlyArray<Issue>, Encoded> => {
  const factor = 2 ** (n.levels + 1);
  const problems = [
    ...expectPositive(ctx, 'ngf', n.ngf),
    ...(Number.isInteger(n.levels) && n.levels >= 0 ? [] : expectPositive(ctx, 'levels', n.levels)),
    ...expectDivisible(
      ctx,
      'image size',
      x.shape[1] as Dim,
      factor,
      `use images whose size is a multiple of 2^(levels+1) = ${factor}, or fewer levels`,
    ),
  ];
  if (problems.length > 0) return left(problems);
  const stride2 = { kernel: 4, stride: 2, padding: 1 };
  let cur = x;
  let flops = 0;
  const skips: TensorType[] = [];
  for (let l = 0; l <= n.levels; l++) {
    const r = convStep(
      ctx,
      cur,
      stride2,
      levelChannels(n, l),
      l < n.levels ? `down ${l}` : 'bottleneck',
    );
    if (r._tag === 'Left') return r;
    cur = r.right.output;
    flops += r.right.flops;
    if (l < n.levels) skips.push(cur);
  }
  const last = convStep(
    ctx,
    cur,
    { kernel: 3, stride: 1, padding: 1 },
    levelChannels(n, n.levels),
    'bottleneck conv',
  );
  return pipe(
    last,
    chain((r) => right({ skips, bottleneck: r.output, flops: flops + r.flops })),
  );
};

/** UNetEncoder: image -> `{ skip1 .. skipL, bottleneck }` (skip1 the largest). */
export const unetEncoderRule: Rule<UNetEncoder> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectImage(ctx, inputs, 'x', n.inChannels, (got) => `Net.unetEncoder({ in: ${got}, ... })`),
      chain((x) => encode(ctx, n, x)),
      chain((e) =>
        right({
          output: struct({
            ...Object.fromEntries(e.skips.map((s, i) => [`skip${i + 1}`, s])),
            bottleneck: e.bottleneck,
          }),
          flops: e.flops,
        }),
      ),
    ),
};

/** StylePyramidEncoder: image -> `{ tokens: tokens[B, levels + 1, tokenDim], map1 .. mapL }`. */
export const stylePyramidEncoderRule: Rule<StylePyramidEncoder> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectImage(ctx, inputs, 'x', n.inChannels, (got) => `Net.styleEncoder({ in: ${got}, ... })`),
      chain((x) => encode(ctx, n, x)),
      chain((e) => {
        const b = x0(e);
        const maps = e.skips.map((s) => {
          const [, h, w, c] = s.shape as readonly [Dim, Dim, Dim, Dim];
          return {
            t: tensor('image', [b, h, w, n.mapChannels]),
            flops: 2 * num(ctx, b) * num(ctx, h) * num(ctx, w) * 9 * num(ctx, c) * n.mapChannels,
          };
        });
        const tokenFlops = [...e.skips, e.bottleneck].reduce(
          (a, s) => a + 2 * num(ctx, b) * num(ctx, s.shape[3] as Dim) * n.tokenDim,
          0,
        );
        return done([], () => ({
          output: struct({
            tokens: tensor('tokens', [b, n.levels + 1, n.tokenDim]),
            ...Object.fromEntries(maps.map((m, i) => [`map${i + 1}`, m.t])),
          }),
          flops: e.flops + maps.reduce((a, m) => a + m.flops, 0) + tokenFlops,
        }));
      }),
    ),
};

const x0 = (e: Encoded): Dim => e.bottleneck.shape[0] as Dim;

/** Reads field `name` of a struct port as a tensor of `kind` with `channels`, or an issue. */
const field = (
  ctx: RuleContext,
  v: ValueType,
  port: string,
  name: string,
  kind: 'image' | 'tokens',
  channels: number,
): ReadonlyArray<Issue> | TensorType => {
  const f = v._tag === 'Struct' ? v.fields[name] : undefined;
  if (f === undefined || f._tag !== 'Tensor' || f.kind !== kind) {
    return [
      issue('E_KIND', ctx.path, `port '${port}' needs a field '${name}' (${kind})`, {
        expected: `{ ${name}: ${kind}[...], ... }`,
        got: showType(v),
        hint:
          port === 'content' ? 'pass a UNetEncoder output' : 'pass a StylePyramidEncoder output',
      }),
    ];
  }
  const c = f.shape[f.shape.length - 1] as Dim;
  return dimsCompatible(c, channels)
    ? f
    : [
        issue(
          'E_SHAPE',
          ctx.path,
          `'${port}.${name}' has ${c} channels, the decoder expects ${channels}`,
          {
            expected: `${kind}[..., ${channels}]`,
            got: showType(f),
            hint: 'give the encoders and the decoder the same ngf, levels and maxChannels',
          },
        ),
      ];
};

/** UNetDecoder: `content` and `style` structs -> image `[B, 2 h1, 2 w1, outChannels]`. */
export const unetDecoderRule: Rule<UNetDecoder> = {
  ports: { required: ['content', 'style'] },
  infer: (n, inputs, ctx) => {
    const content = inputs['content'] as ValueType;
    const style = inputs['style'] as ValueType;
    const L = n.levels;
    const got = [
      field(ctx, content, 'content', 'bottleneck', 'image', levelChannels(n, L)),
      field(ctx, style, 'style', 'tokens', 'tokens', n.tokenDim),
      ...Array.from({ length: L }, (_, l) =>
        field(ctx, content, 'content', `skip${l + 1}`, 'image', levelChannels(n, l)),
      ),
      ...Array.from({ length: L }, (_, l) =>
        field(ctx, style, 'style', `map${l + 1}`, 'image', n.mapChannels),
      ),
    ];
    const issues = got.flatMap((g) => (Array.isArray(g) ? g : []));
    if (issues.length > 0) return left(issues);
    const [bottleneck, tokens, ...rest] = got as ReadonlyArray<TensorType>;
    const skips = rest.slice(0, L);
    const sizeIssues = skips.flatMap((s, l) => {
      const below = l + 1 < L ? skips[l + 1] : bottleneck;
      const want = mulDim(2, below?.shape[1] as Dim);
      return dimsCompatible(s.shape[1] as Dim, want)
        ? []
        : [
            issue('E_SHAPE', ctx.path, `skip${l + 1} must be twice the size of the level below`, {
              expected: `${want}`,
              got: showType(s),
            }),
          ];
    });
    rest.slice(L).forEach((m, l) => {
      const s = skips[l] as TensorType;
      if (
        !dimsCompatible(m.shape[1] as Dim, s.shape[1] as Dim) ||
        !dimsCompatible(m.shape[2] as Dim, s.shape[2] as Dim)
      ) {
        sizeIssues.push(
          issue(
            'E_SHAPE',
            ctx.path,
            `'style.map${l + 1}' must have the size of 'content.skip${l + 1}'`,
            {
              expected: `image[${s.shape.slice(0, 3).join(', ')}, ${n.mapChannels}]`,
              got: showType(m),
              hint: 'give the content and style images the same size',
            },
          ),
        );
      }
    });
    const count = (tokens as TensorType).shape[1] as Dim;
    if (!dimsCompatible(count, L + 1)) {
      sizeIssues.push(
        issue('E_SHAPE', ctx.path, `'style.tokens' must hold levels + 1 = ${L + 1} tokens`, {
          expected: `tokens[B, ${L + 1}, ${n.tokenDim}]`,
          got: showType(tokens as TensorType),
          hint: 'give the style encoder the same levels as the decoder',
        }),
      );
    }
    const [b, h1, w1] = (skips[0] ?? (bottleneck as TensorType)).shape as readonly [Dim, Dim, Dim];
    return done(sizeIssues, () => {
      const blockFlops = decoderBlocks(n).reduce((a, blk) => {
        const s = skips[blk.level - 1] as TensorType;
        return (
          a +
          spadeBlockFlops(
            blk,
            num(ctx, b),
            num(ctx, s.shape[1] as Dim),
            num(ctx, s.shape[2] as Dim),
          )
        );
      }, 0);
      const c0 = levelChannels(n, 0);
      const px = num(ctx, b) * num(ctx, h1) * num(ctx, w1);
      const headFlops = 2 * px * 9 * c0 * c0 + 2 * 4 * px * 9 * c0 * n.outChannels;
      return {
        output: tensor('image', [b, mulDim(2, h1), mulDim(2, w1), n.outChannels]),
        flops: blockFlops + headFlops,
      };
    });
  },
};
