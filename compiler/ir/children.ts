/**
 * The child value expressions of a value expression or a loss, by port name: the one place that
 * knows which fields of an IR node are sub-expressions. The resolve pass turns these ports into
 * `GraphNode.inputs`; the printer, the graph views and the diff read them too.
 */
import type { LossNode, LossTag } from './loss.js';
import type { ValueExpr } from './node.js';

/**
 * The fields of each loss kind that hold value expressions, in port order. Other fields are
 * hyperparameters (or, for `R1` and `SpadeGate`, a module name).
 */
export const LOSS_PORTS: { readonly [K in LossTag]: ReadonlyArray<string> } = {
  InfoNCE: ['query', 'key'],
  InfoNCEQueue: ['query', 'key'],
  SmoothL1: ['pred', 'target'],
  L2: ['pred', 'target'],
  L1: ['pred', 'target'],
  LsganGenerator: ['fake'],
  LsganDiscriminator: ['real', 'fake'],
  R1: ['real'],
  PatchNce: ['query', 'key'],
  TokenL1: ['pred', 'target'],
  FftAmplitudeL1: ['pred', 'target'],
  SlicedWasserstein: ['pred', 'target'],
  VicregVariance: ['x'],
  VicregCovariance: ['x'],
  SpadeGate: [],
  MaskedTokenL2: ['pred', 'target', 'mask'],
};

/** The value-expression inputs of a loss, keyed by field name (`query`, `key`, ...). */
export const lossChildren = (loss: LossNode): Readonly<Record<string, ValueExpr>> => {
  const fields = loss as unknown as Readonly<Record<string, ValueExpr>>;
  return Object.fromEntries(LOSS_PORTS[loss._tag].map((port) => [port, fields[port] as ValueExpr]));
};

/**
 * The direct sub-expressions of a value expression, keyed by port: `source` for
 * View/FieldOf/StopGradient/Permute/Memory, the input ports for Apply/Fn, `source` and `index`
 * for Gather, `'0'`, `'1'`... for Concat; none for Input/Ref/Masks/TokenMask.
 */
export const valueChildren = (expr: ValueExpr): Readonly<Record<string, ValueExpr>> => {
  switch (expr._tag) {
    case 'Input':
    case 'Ref':
    case 'Masks':
    case 'TokenMask':
      return {};
    case 'View':
    case 'FieldOf':
    case 'StopGradient':
    case 'Permute':
    case 'Memory':
      return { source: expr.source };
    case 'Apply':
    case 'Fn':
      return expr.inputs;
    case 'Gather':
      return { source: expr.source, index: expr.index };
    case 'Concat':
      return Object.fromEntries(expr.sources.map((s, i) => [String(i), s]));
  }
};

/**
 * `expr` with its children replaced by `children` (keyed by port, as `valueChildren` gives them):
 * the inverse of `valueChildren`, so a rewrite of the tree needs no knowledge of the fields.
 */
export const withChildren = (
  expr: ValueExpr,
  children: Readonly<Record<string, ValueExpr>>,
): ValueExpr => {
  const at = (port: string): ValueExpr => {
    const child = children[port];
    if (child === undefined) throw new Error(`internal: ${expr._tag} has no child "${port}"`);
    return child;
  };
  switch (expr._tag) {
    case 'Input':
    case 'Ref':
    case 'Masks':
    case 'TokenMask':
      return expr;
    case 'View':
    case 'FieldOf':
    case 'StopGradient':
    case 'Permute':
    case 'Memory':
      return { ...expr, source: at('source') };
    case 'Apply':
    case 'Fn':
      return {
        ...expr,
        inputs: Object.fromEntries(Object.keys(expr.inputs).map((p) => [p, at(p)])),
      };
    case 'Gather':
      return { ...expr, source: at('source'), index: at('index') };
    case 'Concat':
      return { ...expr, sources: expr.sources.map((_, i) => at(String(i))) };
  }
};

/**
 * `expr` rewritten bottom-up: each node's children are rewritten first, then `f` maps the node
 * (with its new children). `f` returning its argument leaves the node as it is.
 */
export const rewriteValue = (expr: ValueExpr, f: (e: ValueExpr) => ValueExpr): ValueExpr => {
  const children = valueChildren(expr);
  const ports = Object.keys(children);
  const rebuilt =
    ports.length === 0
      ? expr
      : withChildren(
          expr,
          Object.fromEntries(ports.map((p) => [p, rewriteValue(children[p]!, f)])),
        );
  return f(rebuilt);
};

/** Every node of an expression tree, parents before children (refs are not followed). */
export const subExpressions = (expr: ValueExpr): ReadonlyArray<ValueExpr> => [
  expr,
  ...Object.values(valueChildren(expr)).flatMap(subExpressions),
];

/** The spec-path segments from a node to its child at `port` (`['inputs', 'x']`, `['sources', 0]`, ...). */
export const childPath = (
  expr: ValueExpr | LossNode,
  port: string,
): ReadonlyArray<string | number> => {
  switch (expr._tag) {
    case 'Apply':
    case 'Fn':
      return ['inputs', port];
    case 'Concat':
      return ['sources', Number(port)];
    default:
      return [port];
  }
};

/** The value kinds that draw random numbers or hold state across steps: each names its stream. */
export type RandomValue = Extract<
  ValueExpr,
  { _tag: 'View' | 'Masks' | 'TokenMask' | 'Permute' | 'Memory' }
>;

/** True for the value kinds that draw random numbers or hold state across steps (views, masks, permutations, memories). */
export const isRandomValue = (expr: ValueExpr): expr is RandomValue =>
  expr._tag === 'View' ||
  expr._tag === 'Masks' ||
  expr._tag === 'TokenMask' ||
  expr._tag === 'Permute' ||
  expr._tag === 'Memory';
