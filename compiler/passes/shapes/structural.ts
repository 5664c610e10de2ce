/**
 * Parameter-free structural rules (Pool, Field, L2Normalize, Flatten) and Sequential, which
 * threads its primary value through its layers (the first layer receives every input port).
 */
import { chain, left, map, right, type Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { issue, type Issue } from '../../ir/issue.js';
import type { Field, Flatten, L2Normalize, Pool, Sequential } from '../../ir/net.js';
import { showType, tensor, type Dim, type ValueType } from '../../ir/types.js';
import { mulDim } from './dims.js';
import { expectTensor, type Inferred, type Rule } from './rule.js';

/** Sequential: layer `i` reports issues under `layers.<i>`; parameters are `<i>.<path>`. */
export const sequentialRule: Rule<Sequential> = {
  ports: { required: [], passThrough: true },
  infer: (n, inputs, ctx) => {
    if (n.layers.length === 0) {
      const x = inputs['x'];
      return x === undefined
        ? left([
            issue('E_PORT', ctx.path, "an empty Sequential needs port 'x'", {
              expected: 'x',
              got: Object.keys(inputs).join(', '),
            }),
          ])
        : right({ output: x, flops: 0 });
    }
    return n.layers.reduce<Either<ReadonlyArray<Issue>, Inferred>>(
      (acc, layer, i) =>
        pipe(
          acc,
          chain((a) =>
            pipe(
              ctx.infer(layer, i === 0 ? inputs : { x: a.output }, [...ctx.path, 'layers', i]),
              map((r) => ({ output: r.output, flops: a.flops + r.flops })),
            ),
          ),
        ),
      right({ output: inputs['x'] as ValueType, flops: 0 }),
    );
  },
};

/** Pool: `mean` of tokens or of an image's spatial axes, `cls` (token 0), `max` over spatial axes -> vector. */
export const poolRule: Rule<Pool> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectTensor(
        ctx,
        inputs,
        'x',
        n.kind === 'mean' ? ['tokens', 'image'] : n.kind === 'cls' ? ['tokens'] : ['image'],
      ),
      map((x) => ({
        output: tensor('vector', [x.shape[0] as Dim, x.shape[x.shape.length - 1] as Dim]),
        flops: 0,
      })),
    ),
};

/** Field: one field of a struct value. */
export const fieldRule: Rule<Field> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) => {
    const x = inputs['x'] as ValueType;
    const f = x._tag === 'Struct' ? x.fields[n.name] : undefined;
    return f !== undefined
      ? right({ output: f, flops: 0 })
      : left([
          issue('E_KIND', ctx.path, `no field '${n.name}' in ${showType(x)}`, {
            expected: `a struct with field '${n.name}'`,
            got: showType(x),
            hint:
              x._tag === 'Struct'
                ? `fields: ${Object.keys(x.fields).join(', ')}`
                : 'Field applies to struct outputs (U-Net encoders, style encoders)',
          }),
        ]);
  },
};

/** L2Normalize: along the last axis, type unchanged. */
export const l2NormalizeRule: Rule<L2Normalize> = {
  ports: { required: ['x'] },
  infer: (_n, inputs, ctx) =>
    pipe(
      expectTensor(ctx, inputs, 'x', ['vector', 'tokens', 'image']),
      map((x) => ({ output: x, flops: 0 })),
    ),
};

/** Flatten: `tokens[B, N, D] -> vector[B, N*D]`, `image[B, H, W, C] -> vector[B, H*W*C]`. */
export const flattenRule: Rule<Flatten> = {
  ports: { required: ['x'] },
  infer: (_n, inputs, ctx) =>
    pipe(
      expectTensor(ctx, inputs, 'x', ['tokens', 'image']),
      chain((x) =>
        right({
          output: tensor('vector', [
            x.shape[0] as Dim,
            x.shape.slice(1).reduce<Dim>((a, d) => mulDim(a, d), 1),
          ]),
          flops: 0,
        }),
      ),
    ),
};
