/**
 * Shape rules for the value operations of a resolved graph (`GraphOp` minus `Loss`): images,
 * views, module applications, masks, gathers, concatenations. Each rule gets the typed inputs of
 * its node (by port) and returns the node's type and forward FLOPs.
 */
import { left, map, right, type Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { ExprOfOp, GraphOp, NodeOf, SpecPath } from '../../ir/graph.js';
import { issue, type Issue } from '../../ir/issue.js';
import type { ModuleDecl } from '../../ir/node.js';
import {
  BATCH,
  showType,
  struct,
  tensor,
  type Dim,
  type TensorType,
  type ValueType,
} from '../../ir/types.js';
import { addDim, dimsCompatible, mulDim, type DimEnv } from './dims.js';
import { inferNet, subNet } from './net.js';

/** A node's type and forward FLOPs. */
export interface Typed {
  readonly type: ValueType;
  readonly flops: number;
}

/** What value rules may read besides their inputs. */
export interface GraphContext {
  readonly modules: ReadonlyMap<string, ModuleDecl>;
  readonly input: { readonly size: number; readonly channels: number };
  readonly batch: number;
  readonly env: DimEnv;
  /** Where a port's value came from (e.g. `module projector`), for hints. */
  readonly source: (port: string) => string | undefined;
}

type ValueOp = Exclude<GraphOp, 'Loss' | 'Batched'>;
type ExprOf<K extends ValueOp> = ExprOfOp<K>;
type ValueRule<K extends ValueOp> = (
  expr: ExprOf<K>,
  inputs: Readonly<Record<string, ValueType>>,
  path: SpecPath,
  ctx: GraphContext,
) => Either<ReadonlyArray<Issue>, Typed>;

const typed = (type: ValueType, flops = 0): Either<ReadonlyArray<Issue>, Typed> =>
  right({ type, flops });

/** The tensor on `port` if it has one of `kinds`, else an E_KIND issue. */
export const tensorPort = (
  inputs: Readonly<Record<string, ValueType>>,
  port: string,
  kinds: ReadonlyArray<TensorType['kind']>,
  path: SpecPath,
  what: string,
): Either<ReadonlyArray<Issue>, TensorType> => {
  const v = inputs[port];
  if (v !== undefined && v._tag === 'Tensor' && kinds.includes(v.kind)) return right(v);
  return left([
    issue('E_KIND', path, `${what}: '${port}' must be ${kinds.join(' or ')}`, {
      expected: kinds.join(' | '),
      got: v === undefined ? 'nothing' : showType(v),
    }),
  ]);
};

/** View: the source image with the size set by the last RandomResizedCrop/Resize. */
const viewRule: ValueRule<'View'> = (expr, inputs, path) => {
  const src = tensorPort(inputs, 'source', ['image'], path, `view '${expr.name}'`);
  if (src._tag === 'Left') return src;
  const [b, h0, w0, c] = src.right.shape as readonly [Dim, Dim, Dim, Dim];
  let h = h0;
  let w = w0;
  const issues: Issue[] = [];
  expr.pipeline.forEach((step, i) => {
    const at = [...path, 'pipeline', i];
    if (step._tag === 'RandomResizedCrop' || step._tag === 'Resize') {
      h = step.size;
      w = step.size;
    } else if (
      step._tag === 'Normalize' &&
      typeof c === 'number' &&
      ![1, c].includes(step.mean.length)
    ) {
      issues.push(
        issue('E_SHAPE', at, `Normalize has ${step.mean.length} means for ${c} channels`, {
          expected: `${c} values`,
          got: `${step.mean.length}`,
        }),
      );
    } else if (
      (step._tag === 'ColorJitter' || step._tag === 'Grayscale') &&
      typeof c === 'number' &&
      c !== 3
    ) {
      issues.push(
        issue('E_SHAPE', at, `${step._tag} needs RGB images`, {
          expected: '3 channels',
          got: `${c}`,
          hint: `drop ${step._tag} for ${c}-channel data`,
        }),
      );
    }
  });
  return issues.length > 0 ? left(issues) : typed(tensor('image', [b, h, w, c]));
};
/** Apply: the module's net (or its part at `path`) on the inputs. */
const applyRule: ValueRule<'Apply'> = (expr, inputs, path, ctx) => {
  const decl = ctx.modules.get(expr.module);
  if (decl === undefined) {
    return left([
      issue('E_DANGLING_REF', [...path, 'module'], `no module '${expr.module}'`, {
        hint: `modules: ${[...ctx.modules.keys()].join(', ')}`,
      }),
    ]);
  }
  const part = subNet(decl.net, expr.path);
  if (part._tag === 'Left') return left([issue('E_DANGLING_REF', [...path, 'path'], part.left)]);
  const sources = Object.fromEntries(
    Object.keys(inputs).flatMap((p) => {
      const s = ctx.source(p);
      return s === undefined ? [] : [[p, s]];
    }),
  );
  return pipe(
    inferNet(part.right.net, inputs, path, ctx.batch, { dims: ctx.env, sources }),
    map((r) => ({ type: r.output, flops: r.flops })),
  );
};

/** Fn: a parameter-free net inline (parameters are pass 3's concern: E_PARAMS_IN_FN). */
const fnRule: ValueRule<'Fn'> = (expr, inputs, path, ctx) =>
  pipe(
    inferNet(expr.net, inputs, path, ctx.batch, { dims: ctx.env }),
    map((r) => ({ type: r.output, flops: r.flops })),
  );

const fieldOfRule: ValueRule<'FieldOf'> = (expr, inputs, path) => {
  const s = inputs['source'] as ValueType;
  const f = s._tag === 'Struct' ? s.fields[expr.name] : undefined;
  return f !== undefined
    ? typed(f)
    : left([
        issue('E_KIND', path, `no field '${expr.name}' in ${showType(s)}`, {
          expected: `a struct with field '${expr.name}'`,
          got: showType(s),
          ...(s._tag === 'Struct' ? { hint: `fields: ${Object.keys(s.fields).join(', ')}` } : {}),
        }),
      ]);
};

/** StopGradient, Permute, Memory: the source's type. */
const same =
  <K extends 'StopGradient' | 'Permute' | 'Memory'>(): ValueRule<K> =>
  (_e, inputs) =>
    typed(inputs['source'] as ValueType);

/** Masks: `{ context: index[B, Kctx], targets: index[T, B, Ktgt] }`. */
const masksRule: ValueRule<'Masks'> = (expr, _inputs, path) =>
  expr.spec.contexts === 1
    ? typed(
        struct({
          context: tensor('index', [BATCH, 'Kctx']),
          targets: tensor('index', [expr.spec.targets, BATCH, 'Ktgt']),
        }),
      )
    : left([
        issue(
          'E_RANGE',
          [...path, 'spec', 'contexts'],
          'only one context block per image is supported',
          { expected: '1', got: `${expr.spec.contexts}` },
        ),
      ]);

const tokenMaskRule: ValueRule<'TokenMask'> = (expr) => typed(tensor('mask', [BATCH, expr.count]));

/** Gather: `tokens[B, N, D]` with `index[B, K]` -> `[B, K, D]`, `index[T, B, K]` -> `[T*B, K, D]`. */
const gatherRule: ValueRule<'Gather'> = (_expr, inputs, path) => {
  const src = tensorPort(inputs, 'source', ['tokens'], path, 'gather');
  const idx = tensorPort(inputs, 'index', ['index'], path, 'gather');
  if (src._tag === 'Left' || idx._tag === 'Left')
    return left([
      ...(src._tag === 'Left' ? src.left : []),
      ...(idx._tag === 'Left' ? idx.left : []),
    ]);
  const [b, , d] = src.right.shape as readonly [Dim, Dim, Dim];
  const ix = idx.right.shape;
  const batchOf = ix.length === 3 ? ix[1] : ix[0];
  if ((ix.length !== 2 && ix.length !== 3) || !dimsCompatible(batchOf as Dim, b)) {
    return left([
      issue(
        'E_SHAPE',
        path,
        "the gather index must be [B, K] or [T, B, K] with the tokens' batch",
        {
          expected: `index[${b}, K] or index[T, ${b}, K]`,
          got: showType(idx.right),
        },
      ),
    ]);
  }
  const k = ix[ix.length - 1] as Dim;
  return typed(tensor('tokens', ix.length === 2 ? [b, k, d] : [mulDim(ix[0] as Dim, b), k, d]));
};

/** Concat along the batch axis: same kind and non-batch dims. */
const concatRule: ValueRule<'Concat'> = (_expr, inputs, path) => {
  const parts = Object.keys(inputs)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => inputs[k] as ValueType);
  const first = parts[0];
  if (first === undefined || first._tag !== 'Tensor') {
    return left([
      issue('E_KIND', path, 'Concat needs at least one tensor', {
        got: first === undefined ? 'nothing' : showType(first),
      }),
    ]);
  }
  const bad = parts.flatMap((p, i) =>
    p._tag === 'Tensor' &&
    p.kind === first.kind &&
    p.shape.length === first.shape.length &&
    p.shape.slice(1).every((d, j) => dimsCompatible(d, first.shape[j + 1] as Dim))
      ? []
      : [
          issue(
            p._tag === 'Tensor' && p.kind === first.kind ? 'E_SHAPE' : 'E_KIND',
            [...path, 'sources', i],
            'concatenated values must agree on everything but the batch',
            {
              expected: `${first.kind}[*, ${first.shape.slice(1).join(', ')}]`,
              got: showType(p),
            },
          ),
        ],
  );
  if (bad.length > 0) return left(bad);
  const batch = parts
    .slice(1)
    .reduce<Dim>((a, p) => addDim(a, (p as TensorType).shape[0] as Dim), first.shape[0] as Dim);
  return typed(tensor(first.kind, [batch, ...first.shape.slice(1)]));
};

const inputRule: ValueRule<'Input'> = (_e, _i, _p, ctx) =>
  typed(tensor('image', [BATCH, ctx.input.size, ctx.input.size, ctx.input.channels]));

/** The rule of every value op. */
export const VALUE_RULES: { readonly [K in ValueOp]: ValueRule<K> } = {
  Input: inputRule,
  View: viewRule,
  Apply: applyRule,
  Fn: fnRule,
  FieldOf: fieldOfRule,
  StopGradient: same(),
  Masks: masksRule,
  TokenMask: tokenMaskRule,
  Gather: gatherRule,
  Permute: same(),
  Concat: concatRule,
  Memory: same(),
};

/** Types one value node from its typed inputs. */
export const inferValue = <K extends ValueOp>(
  node: NodeOf<K>,
  inputs: Readonly<Record<string, ValueType>>,
  ctx: GraphContext,
): Either<ReadonlyArray<Issue>, Typed> => {
  const rule: ValueRule<K> = VALUE_RULES[node.op];
  return rule(node.expr, inputs, node.origin, ctx);
};
