/**
 * The shape of one net rule and the checks rules share: port kinds, feature dims, divisibility.
 * Checks return lists of issues (empty when fine) so a rule can report every problem at once.
 */
import type { Either } from 'fp-ts/lib/Either.js';
import type { SpecPath } from '../../ir/graph.js';
import { issue, type Issue } from '../../ir/issue.js';
import type { NetNode } from '../../ir/net.js';
import {
  showType,
  type Dim,
  type TensorKind,
  type TensorType,
  type ValueType,
} from '../../ir/types.js';
import { dimsCompatible, evalDim, type DimEnv } from './dims.js';
import type { Params } from './params.js';

/** Input values of a net, by port. */
export type Ports = Readonly<Record<string, ValueType>>;

/** What a net computes from typed inputs: its output type and forward FLOPs. */
export interface Inferred {
  readonly output: ValueType;
  readonly flops: number;
}

/** Result of a rule or of `inferNet`. */
export type InferResult = Either<ReadonlyArray<Issue>, Inferred>;

/** What a rule may use besides its node and inputs. */
export interface RuleContext {
  /** Where the net is in the spec; issues are reported here (plus a sub-path for nested nets). */
  readonly path: SpecPath;
  /** Values of symbolic dims for FLOP counting (`B` is the batch). */
  readonly env: DimEnv;
  /** Where a port's value came from (e.g. `projector`), for messages and hints. */
  readonly source: (port: string) => string | undefined;
  /** Infers a nested net (composites recurse through this; no import cycle). */
  readonly infer: (net: NetNode, inputs: Ports, path: SpecPath) => InferResult;
  /** The parameters of a nested net. */
  readonly params: (net: NetNode) => Params;
}

/**
 * The ports a net accepts. `passThrough`: any port is accepted here and checked by the nested
 * net that receives it (Sequential hands its inputs to its first layer).
 */
export interface PortSpec {
  readonly required: ReadonlyArray<string>;
  readonly optional?: ReadonlyArray<string>;
  readonly passThrough?: boolean;
}

/**
 * One rule per net kind: the ports it accepts and its abstract interpretation. Its parameters
 * are the net kind's entry in the parameter table (`compiler/ir/params`).
 */
export interface Rule<N extends NetNode> {
  readonly ports: PortSpec;
  readonly infer: (node: N, inputs: Ports, ctx: RuleContext) => InferResult;
}

/** `n` evaluated in the context's env (a FLOP-counting helper). */
export const num = (ctx: RuleContext, d: Dim): number => evalDim(d, ctx.env);

const fromSource = (ctx: RuleContext, port: string): string => {
  const s = ctx.source(port);
  return s === undefined ? '' : ` from ${s}`;
};

/**
 * Checks that `port` holds a tensor of one of `kinds` (and of `rank` when given): E_KIND.
 * Returns the tensor, or the issues.
 */
export const expectTensor = (
  ctx: RuleContext,
  inputs: Ports,
  port: string,
  kinds: ReadonlyArray<TensorKind>,
): Either<ReadonlyArray<Issue>, TensorType> => {
  const v = inputs[port];
  if (v === undefined) {
    return {
      _tag: 'Left',
      left: [
        issue('E_PORT', ctx.path, `input port '${port}' is missing`, {
          expected: port,
          got: Object.keys(inputs).join(', ') || 'no ports',
        }),
      ],
    };
  }
  if (v._tag === 'Tensor' && kinds.includes(v.kind)) return { _tag: 'Right', right: v };
  return {
    _tag: 'Left',
    left: [
      issue(
        'E_KIND',
        ctx.path,
        `port '${port}' expects ${kinds.join(' or ')}, got ${showType(v)}`,
        {
          expected: kinds.join(' | '),
          got: `${showType(v)}${fromSource(ctx, port)}`,
          hint: kindHint(kinds, v),
        },
      ),
    ],
  };
};

const kindHint = (kinds: ReadonlyArray<TensorKind>, v: ValueType): string | undefined => {
  if (v._tag === 'Struct')
    return `pick a field first, e.g. Net.field('${Object.keys(v.fields)[0] ?? 'name'}')`;
  if (kinds.includes('vector') && v.kind === 'tokens')
    return "pool the tokens first: Net.pool({ kind: 'mean' }) or 'cls'";
  if (kinds.includes('vector') && v.kind === 'image')
    return "pool the feature map first: Net.pool({ kind: 'mean' })";
  if (kinds.includes('tokens') && v.kind === 'image')
    return 'embed the image first: Net.patchEmbed(...)';
  return undefined;
};

/**
 * Checks the feature (last) dim of a tensor on `port`: E_SHAPE with expected/got and a hint
 * naming the fix (`fix`, e.g. `Net.mlp({ in: 4096, ... })`, plus "or give <source> out: n").
 */
export const expectLastDim = (
  ctx: RuleContext,
  t: TensorType,
  port: string,
  expected: number,
  fix: (got: number) => string,
): ReadonlyArray<Issue> => {
  const got = t.shape[t.shape.length - 1] as Dim;
  if (dimsCompatible(got, expected)) return [];
  const exp = [...t.shape.slice(0, -1), expected];
  const src = ctx.source(port);
  const hint = `${fix(got as number)}${src === undefined ? '' : ` or give the ${src} out: ${expected}`}`;
  return [
    issue('E_SHAPE', ctx.path, `port '${port}' expects feature dim ${expected}, got ${got}`, {
      expected: `${t.kind}[${exp.join(', ')}]`,
      got: `${showType(t)}${fromSource(ctx, port)}`,
      hint,
    }),
  ];
};

/** Checks `value % by === 0` for literal values: E_DIVISIBILITY. */
export const expectDivisible = (
  ctx: RuleContext,
  what: string,
  value: Dim,
  by: number,
  hint: string,
): ReadonlyArray<Issue> =>
  typeof value !== 'number' || (by > 0 && value % by === 0)
    ? []
    : [
        issue('E_DIVISIBILITY', ctx.path, `${what} ${value} is not divisible by ${by}`, {
          expected: `a multiple of ${by}`,
          got: `${value}`,
          hint,
        }),
      ];

/** Checks a positive integer hyperparameter: E_RANGE. */
export const expectPositive = (
  ctx: RuleContext,
  field: string,
  value: number,
): ReadonlyArray<Issue> =>
  Number.isInteger(value) && value > 0
    ? []
    : [
        issue(
          'E_RANGE',
          [...ctx.path, field],
          `${field} must be a positive integer, got ${value}`,
          { expected: '> 0', got: `${value}` },
        ),
      ];

/** `right` with the output and FLOPs, or `left` with the collected issues. */
export const done = (issues: ReadonlyArray<Issue>, make: () => Inferred): InferResult =>
  issues.length > 0 ? { _tag: 'Left', left: issues } : { _tag: 'Right', right: make() };

/** The issues of an Either (empty for a right). */
export const issuesOf = <A>(e: Either<ReadonlyArray<Issue>, A>): ReadonlyArray<Issue> =>
  e._tag === 'Left' ? e.left : [];
