/**
 * Pass 4: shared-forward elimination. Two nodes that compute the same operation with the same
 * attributes on the same inputs (e.g. the target encoder applied to the same view in two loss
 * terms, or in a loss and a probe) become one node, computed once per step. Views, masks and
 * permutations are identified by their names, so two *random* draws are never merged.
 */
import { right } from 'fp-ts/lib/Either.js';
import type { Graph, GraphNode, NodeId } from '../ir/graph.js';
import { VALUE_TAGS } from '../ir/node.js';
import type { Pass } from './pass.js';

const valueTags: ReadonlySet<string> = new Set(VALUE_TAGS);

const isValueExpr = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && valueTags.has((v as { _tag?: string })._tag ?? '');

/** The attributes of a node's expression, with child value expressions blanked out (children are in `inputs`). */
const attributesOf = (expr: unknown): unknown => {
  if (Array.isArray(expr)) return expr.map((x) => (isValueExpr(x) ? '#' : attributesOf(x)));
  if (typeof expr !== 'object' || expr === null) return expr;
  const out: Record<string, unknown> = {};
  const fields: ReadonlyArray<[string, unknown]> = Object.entries(expr);
  for (const [key, v] of [...fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out[key] = isValueExpr(v) ? '#' : key === 'inputs' || key === 'sources' ? '#' : attributesOf(v);
  }
  return out;
};

/** A key equal for two nodes exactly when they compute the same thing. */
export const nodeKey = (node: GraphNode, rename: (id: NodeId) => NodeId): string => {
  const inputs = Object.keys(node.inputs)
    .sort()
    .map((port) => `${port}=${rename(node.inputs[port]!)}`);
  return `${node.op}|${JSON.stringify(attributesOf(node.expr))}|${inputs.join(',')}`;
};

/** Merges duplicate nodes; returns the same graph object when there is none. */
export const eliminateSharedForward = (graph: Graph): Graph => {
  const canonical = new Map<NodeId, NodeId>();
  const byKey = new Map<string, NodeId>();
  const rename = (id: NodeId): NodeId => canonical.get(id) ?? id;
  const kept: GraphNode[] = [];
  for (const node of graph.nodes) {
    const key = nodeKey(node, rename);
    const existing = byKey.get(key);
    if (existing !== undefined) {
      canonical.set(node.id, existing);
      continue;
    }
    byKey.set(key, node.id);
    const inputs = Object.fromEntries(
      Object.entries(node.inputs).map(([p, id]) => [p, rename(id)]),
    );
    kept.push({ ...node, inputs });
  }
  if (canonical.size === 0) return graph;
  return {
    ...graph,
    nodes: kept,
    terms: graph.terms.map((t) => ({ ...t, node: rename(t.node) })),
    representations: graph.representations.map((r) => ({ ...r, node: rename(r.node) })),
  };
};

/** The pass. */
export const cse: Pass = {
  name: 'eliminate-shared-forward',
  why: 'the same parameters on the same input are computed once across loss terms and probes',
  run: (graph) => right(eliminateSharedForward(graph)),
};
