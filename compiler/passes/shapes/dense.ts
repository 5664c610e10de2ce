/**
 * Rules for dense layers: Linear, Mlp (MoCo v3 `_build_mlp`), Norm and Activation. Linear layers
 * act on the last axis of vectors `[B, D]` and tokens `[B, N, D]`.
 */
import { chain, map } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Activation, Linear, Mlp, Norm } from '../../ir/net.js';
import { tensor, type Dim, type TensorType } from '../../ir/types.js';
import { mlpLayerSizes } from '../../ir/params/layers.js';
import {
  done,
  expectLastDim,
  expectPositive,
  expectTensor,
  num,
  type Rule,
  type RuleContext,
} from './rule.js';

/** Rows a last-axis linear map runs on: every dim but the last, evaluated (e.g. `B * N`). */
export const rowsOf = (ctx: RuleContext, t: TensorType): number =>
  t.shape.slice(0, -1).reduce<number>((a, d) => a * num(ctx, d), 1);

/** The same tensor with its last dim replaced. */
export const withLast = (t: TensorType, last: Dim): TensorType =>
  tensor(t.kind, [...t.shape.slice(0, -1), last]);

/** Linear: `[..., in] -> [..., out]`, `2 * rows * in * out` FLOPs. */
export const linearRule: Rule<Linear> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectTensor(ctx, inputs, 'x', ['vector', 'tokens']),
      chain((x) =>
        done(
          [
            ...expectPositive(ctx, 'in', n.in),
            ...expectPositive(ctx, 'out', n.out),
            ...expectLastDim(ctx, x, 'x', n.in, (got) => `Net.linear({ in: ${got}, ... })`),
          ],
          () => ({ output: withLast(x, n.out), flops: 2 * rowsOf(ctx, x) * n.in * n.out }),
        ),
      ),
    ),
};

/** Mlp: `[..., in] -> [..., out]` through `layers` Linear layers. */
export const mlpRule: Rule<Mlp> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectTensor(ctx, inputs, 'x', ['vector', 'tokens']),
      chain((x) =>
        done(
          [
            ...expectPositive(ctx, 'layers', n.layers),
            ...expectPositive(ctx, 'in', n.in),
            ...expectPositive(ctx, 'hidden', n.hidden),
            ...expectPositive(ctx, 'out', n.out),
            ...expectLastDim(ctx, x, 'x', n.in, (got) => `Net.mlp({ in: ${got}, ... })`),
          ],
          () => ({
            output: withLast(x, n.out),
            flops: 2 * rowsOf(ctx, x) * mlpLayerSizes(n).reduce((a, [i, o]) => a + i * o, 0),
          }),
        ),
      ),
    ),
};

/** Norm over the feature axis: type unchanged; instance norm needs an image. No FLOPs counted. */
export const normRule: Rule<Norm> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) =>
    pipe(
      expectTensor(
        ctx,
        inputs,
        'x',
        n.kind === 'instance' ? ['image'] : ['image', 'tokens', 'vector'],
      ),
      chain((x) =>
        done(
          [
            ...expectPositive(ctx, 'features', n.features),
            ...expectLastDim(
              ctx,
              x,
              'x',
              n.features,
              (got) => `Net.${n.kind}Norm({ features: ${got}, ... })`,
            ),
          ],
          () => ({ output: x, flops: 0 }),
        ),
      ),
    ),
};

/** Activation: any tensor, type unchanged, no parameters. */
export const activationRule: Rule<Activation> = {
  ports: { required: ['x'] },
  infer: (_n, inputs, ctx) =>
    pipe(
      expectTensor(ctx, inputs, 'x', ['image', 'tokens', 'vector', 'mask', 'scalar']),
      map((x) => ({ output: x, flops: 0 })),
    ),
};
