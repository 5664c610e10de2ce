/**
 * Pass 1, resolve: `Method -> Graph`. Every value-expression occurrence becomes one node (in
 * topological order, children first), `Ref`s are resolved through `Method.values` (a named value
 * is one node however often it is referenced), children are replaced by node ids, and each node's
 * `origin` is its path in the spec. Loss terms become `Loss` nodes, representations point at
 * their value node.
 *
 * Issues: E_DUPLICATE_NAME (two modules / values / objectives / terms / phases /
 * representations with one name, or one random-stream name for two different views, masks,
 * permutations or memories), E_DANGLING_REF (unknown value, module, module part, EMA source,
 * parameter module; the hint names the closest known name), E_CYCLE (values referring to each
 * other), E_PORT (missing or unexpected input ports of an applied net), E_PHASE (an objective
 * names an unknown phase, or a phase no objective runs in), E_UNUSED_MODULE, E_FOLDS
 * (`pairedImages` without `training.folds`, or fewer than 2 folds; `folds.ts`).
 */
import * as E from 'fp-ts/lib/Either.js';
import { childPath, isRandomValue, lossChildren, valueChildren } from '../ir/children.js';
import {
  graphNode,
  type Graph,
  type GraphNode,
  type NodeId,
  type SpecPath,
  type TermRef,
} from '../ir/graph.js';
import { type Issue, issue } from '../ir/issue.js';
import type { LossNode } from '../ir/loss.js';
import type { NetNode } from '../ir/net.js';
import type { Method, ValueExpr } from '../ir/node.js';
import { netParts, netPorts, subNet } from '../ir/ports.js';
import { didYouMean } from '../ir/suggest.js';
import type { Pass } from './pass.js';
import { checkDeclarations } from './declarations.js';
import { foldIssues } from './folds.js';

/** The graph before resolution: the method and nothing else (the input of the pipeline). */
export const emptyGraph = (method: Method): Graph => ({
  method,
  nodes: [],
  modules: [],
  terms: [],
  representations: [],
});

type ValueState =
  { readonly state: 'pending' } | { readonly state: 'done'; readonly id: NodeId | undefined };

/** Mutable state of one resolution; discarded afterwards. */
class Resolver {
  readonly nodes: GraphNode[] = [];
  readonly issues: Issue[] = [];
  readonly applied = new Set<string>();
  private readonly values = new Map<string, ValueState>();
  private readonly stack: string[] = [];
  private readonly streams = new Map<
    string,
    { readonly attrs: string; readonly origin: SpecPath }
  >();
  private readonly modules: ReadonlyMap<string, NetNode>;
  private readonly valueIndex: ReadonlyMap<string, number>;

  constructor(readonly method: Method) {
    this.modules = new Map([...method.modules].reverse().map((m) => [m.name, m.net]));
    this.valueIndex = new Map([...method.values.entries()].reverse().map(([i, v]) => [v.name, i]));
  }

  /** Resolves a named value once; refs to it share its node. */
  value(name: string, origin: SpecPath): NodeId | undefined {
    const known = this.values.get(name);
    if (known?.state === 'done') return known.id;
    if (known?.state === 'pending') {
      const cycle = [...this.stack.slice(this.stack.indexOf(name)), name];
      this.issues.push(
        issue('E_CYCLE', origin, `values refer to each other: ${cycle.join(' -> ')}`, {
          hint: 'a value cannot depend on itself; break the cycle with a module input or a new value',
        }),
      );
      return undefined;
    }
    const index = this.valueIndex.get(name);
    if (index === undefined) {
      this.dangling(
        origin,
        'value',
        name,
        this.method.values.map((v) => v.name),
      );
      return undefined;
    }
    this.values.set(name, { state: 'pending' });
    this.stack.push(name);
    const id = this.expr(this.method.values[index]!.value, ['values', index, 'value']);
    this.stack.pop();
    this.values.set(name, { state: 'done', id });
    return id;
  }

  /** Resolves one expression occurrence; `undefined` when it (or a child) has issues. */
  expr(expr: ValueExpr, origin: SpecPath): NodeId | undefined {
    if (expr._tag === 'Ref') return this.value(expr.name, origin);
    const inputs = this.children(valueChildren(expr), expr, origin);
    const ok = this.checkValue(expr, origin);
    if (inputs === undefined || !ok) return undefined;
    return this.add((id) => graphNode(expr._tag, expr, { id, inputs, origin }));
  }

  /** A loss term's node. */
  loss(loss: LossNode, origin: SpecPath): NodeId | undefined {
    const inputs = this.children(lossChildren(loss), loss, origin);
    if (loss._tag === 'R1' || loss._tag === 'SpadeGate') {
      if (this.modules.has(loss.module)) this.applied.add(loss.module);
      else this.dangling([...origin, 'module'], 'module', loss.module, [...this.modules.keys()]);
    }
    return inputs === undefined
      ? undefined
      : this.add((id) => graphNode('Loss', loss, { id, inputs, origin }));
  }

  private children(
    children: Readonly<Record<string, ValueExpr>>,
    parent: ValueExpr | LossNode,
    origin: SpecPath,
  ): Record<string, NodeId> | undefined {
    const ids = Object.entries(children).map(
      ([port, child]) => [port, this.expr(child, [...origin, ...childPath(parent, port)])] as const,
    );
    return ids.every(([, id]) => id !== undefined)
      ? (Object.fromEntries(ids) as Record<string, NodeId>)
      : undefined;
  }

  private add(node: (id: NodeId) => GraphNode): NodeId {
    const id = `n${this.nodes.length}`;
    this.nodes.push(node(id));
    return id;
  }

  private checkValue(expr: ValueExpr, origin: SpecPath): boolean {
    const before = this.issues.length;
    if (isRandomValue(expr)) this.checkStream(expr, origin);
    if (expr._tag === 'Apply') this.checkApply(expr, origin);
    if (expr._tag === 'Fn') this.checkPorts(expr.net, expr.inputs, origin);
    return this.issues.length === before;
  }

  private checkApply(expr: Extract<ValueExpr, { _tag: 'Apply' }>, origin: SpecPath): void {
    const net = this.modules.get(expr.module);
    if (net === undefined) {
      this.dangling([...origin, 'module'], 'module', expr.module, [...this.modules.keys()]);
      return;
    }
    this.applied.add(expr.module);
    const part = subNet(net, expr.path);
    if ('bad' in part) {
      const parent = subNet(net, expr.path.slice(0, part.bad));
      const known = 'net' in parent ? netParts(parent.net) : [];
      this.dangling(
        [...origin, 'path', part.bad],
        `part of module "${expr.module}"`,
        expr.path[part.bad] ?? '',
        known,
      );
      return;
    }
    this.checkPorts(part.net, expr.inputs, origin);
  }

  private checkPorts(
    net: NetNode,
    inputs: Readonly<Record<string, ValueExpr>>,
    origin: SpecPath,
  ): void {
    const ports = netPorts(net);
    const allowed = [...ports.required, ...ports.optional];
    for (const port of ports.required.filter((p) => !(p in inputs))) {
      this.issues.push(
        issue('E_PORT', [...origin, 'inputs'], `${net._tag} needs an input on port "${port}"`, {
          expected: `ports ${allowed.join(', ')}`,
          got: Object.keys(inputs).join(', ') || 'no inputs',
        }),
      );
    }
    for (const port of Object.keys(inputs).filter((p) => !allowed.includes(p))) {
      const hint = didYouMean(port, allowed);
      this.issues.push(
        issue('E_PORT', [...origin, 'inputs', port], `${net._tag} has no input port "${port}"`, {
          expected: `ports ${allowed.join(', ')}`,
          got: port,
          ...(hint === undefined ? {} : { hint }),
        }),
      );
    }
  }

  private checkStream(expr: ValueExpr & { readonly name: string }, origin: SpecPath): void {
    const attrs = JSON.stringify({ ...expr, source: undefined });
    const seen = this.streams.get(expr.name);
    if (seen === undefined) this.streams.set(expr.name, { attrs, origin });
    else if (seen.attrs !== attrs) {
      this.issues.push(
        issue(
          'E_DUPLICATE_NAME',
          [...origin, 'name'],
          `random stream "${expr.name}" is defined twice, differently`,
          {
            expected: `one definition (first at ${seen.origin.join('.')})`,
            got: `a different ${expr._tag}`,
            hint: 'give each view, mask, permutation and memory its own name, or reuse one value by Ref',
          },
        ),
      );
    }
  }

  dangling(path: SpecPath, what: string, name: string, known: ReadonlyArray<string>): void {
    const hint = didYouMean(name, known);
    this.issues.push(
      issue('E_DANGLING_REF', path, `unknown ${what} "${name}"`, {
        expected: known.length === 0 ? `a declared ${what}` : `one of ${known.join(', ')}`,
        got: `"${name}"`,
        ...(hint === undefined ? {} : { hint }),
      }),
    );
  }
}

const resolveTerms = (r: Resolver, method: Method): ReadonlyArray<TermRef> =>
  method.objectives.flatMap((o, i) =>
    o.terms.flatMap((term, j) => {
      const origin = ['objectives', i, 'terms', j, 'loss'];
      const node = r.loss(term.loss, origin);
      return node === undefined
        ? []
        : [
            {
              objective: o.name,
              term: term.name,
              node,
              weight: term.weight,
              ...(term.adaptive === undefined ? {} : { adaptive: term.adaptive }),
              origin,
            },
          ];
    }),
  );

const checkModuleRefs = (r: Resolver, method: Method): void => {
  const names = method.modules.map((m) => m.name);
  method.modules.forEach((m, i) => {
    if (m.ema !== undefined && !names.includes(m.ema.source))
      r.dangling(['modules', i, 'ema', 'source'], 'EMA source module', m.ema.source, names);
  });
  method.objectives.forEach((o, i) =>
    o.params.forEach((p, k) => {
      if (!names.includes(p)) r.dangling(['objectives', i, 'params', k], 'module', p, names);
    }),
  );
  const objectives = method.objectives.map((o) => o.name);
  method.modules.forEach((m, i) =>
    (m.ema?.alsoAfter ?? []).forEach((o, k) => {
      if (!objectives.includes(o))
        r.dangling(['modules', i, 'ema', 'alsoAfter', k], 'objective', o, objectives);
    }),
  );
};

/** An adaptive weight starts from a `Constant` weight inside `[min, max]`. */
const checkAdaptive = (r: Resolver, method: Method): void =>
  method.objectives.forEach((o, i) =>
    o.terms.forEach((t, j) => {
      const a = t.adaptive;
      if (a === undefined) return;
      const start = t.weight._tag === 'Constant' ? t.weight.value : undefined;
      if (start === undefined || start < a.min || start > a.max || a.min > a.max)
        r.issues.push(
          issue('E_RANGE', ['objectives', i, 'terms', j, 'adaptive'], 'adaptive weight start', {
            expected: `a Constant weight in [min, max], min <= max`,
            got: `${t.weight._tag === 'Constant' ? t.weight.value : t.weight._tag} in [${a.min}, ${a.max}]`,
            hint: 'Loss.term(name, loss, { weight: 0.005, adaptive: { min: 1e-4, max: 2, ... } })',
          }),
        );
    }),
  );

const checkUnused = (r: Resolver, method: Method): void =>
  method.modules.forEach((m, i) => {
    if (!r.applied.has(m.name)) {
      r.issues.push(
        issue('E_UNUSED_MODULE', ['modules', i], `module "${m.name}" is never applied`, {
          hint: 'apply it in a value, a loss or a representation, or remove it',
        }),
      );
    }
  });

/** Resolves a method into a graph, or returns every issue found. */
export const resolveMethod = (method: Method): E.Either<ReadonlyArray<Issue>, Graph> => {
  const r = new Resolver(method);
  r.issues.push(...checkDeclarations(method));
  method.values.forEach((v, i) => r.value(v.name, ['values', i, 'name']));
  const terms = resolveTerms(r, method);
  const representations = method.representations.flatMap((rep, i) => {
    const node = r.expr(rep.value, ['representations', i, 'value']);
    return node === undefined ? [] : [{ name: rep.name, node }];
  });
  checkModuleRefs(r, method);
  checkAdaptive(r, method);
  checkUnused(r, method);
  r.issues.push(...foldIssues(method, r.nodes));
  if (r.issues.length > 0) return E.left(r.issues);
  return E.right({
    method,
    nodes: r.nodes,
    modules: method.modules.map((decl) => ({ decl })),
    terms,
    representations,
  });
};

/** Pass 1 (see the module comment); reads `graph.method` and ignores any nodes already there. */
export const resolve: Pass = {
  name: 'resolve',
  why: 'turn the nested spec into a flat graph of named nodes, so every later pass sees each value once and every name points at something',
  run: (graph) => resolveMethod(graph.method),
};
