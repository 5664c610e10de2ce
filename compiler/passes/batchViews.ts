/**
 * Pass 5: view batching. The same module applied to several same-shaped values (MoCo v3's
 * backbone on view 1 and view 2, its momentum encoder on both) becomes one call on their
 * concatenation along the batch axis: fewer, larger kernels. Batch-coupled layers stay correct:
 * BatchNorm computes its statistics per view group (`NetContext.groups`). The original nodes
 * become `FieldOf` reads of the batched result, so nothing downstream changes.
 *
 * Only applications whose inputs and output lead with the batch axis `B` are batched (not, e.g.,
 * the I-JEPA predictor, whose output is target-major `[T*B, ...]`), and never two applications
 * where one feeds the other.
 */
import { right } from 'fp-ts/lib/Either.js';
import type { Graph, GraphNode, NodeId, NodeOf } from '../ir/graph.js';
import { struct, type ValueType } from '../ir/types.js';
import type { Pass } from './pass.js';
import { ancestors } from './plan.js';

const leadsWithBatch = (t: ValueType | undefined): boolean =>
  t !== undefined &&
  (t._tag === 'Struct' ? Object.values(t.fields).every(leadsWithBatch) : t.shape[0] === 'B');

/**
 * Applications that may share a call: same module, part, ports, primary-input type, other input
 * types, and the same use (all computed by the training step, or all evaluation-only: batching a
 * representation with training views would compute it every step).
 */
const groupKey = (
  byId: ReadonlyMap<NodeId, GraphNode>,
  n: NodeOf<'Apply'>,
  inStep: ReadonlySet<NodeId>,
): string | undefined => {
  if (!leadsWithBatch(n.type)) return undefined;
  const ports = Object.keys(n.inputs).sort();
  if (!ports.every((p) => leadsWithBatch(byId.get(n.inputs[p]!)?.type))) return undefined;
  const x = byId.get(n.inputs['x'] ?? '')?.type;
  const others = ports
    .filter((p) => p !== 'x')
    .map((p) => `${p}:${JSON.stringify(byId.get(n.inputs[p]!)?.type)}`);
  return [
    n.expr.module,
    n.expr.path.join('.'),
    ports.join(','),
    JSON.stringify(x),
    inStep.has(n.id),
    ...others,
  ].join('|');
};

/** Topological order that keeps the original order where it can (Kahn, by original position). */
const topoSort = (nodes: ReadonlyArray<GraphNode>): ReadonlyArray<GraphNode> => {
  const position = new Map(nodes.map((n, i) => [n.id, i]));
  const done = new Set<NodeId>();
  const out: GraphNode[] = [];
  const pending = [...nodes];
  while (pending.length > 0) {
    const i = pending.findIndex((n) =>
      Object.values(n.inputs).every((id) => done.has(id) || !position.has(id)),
    );
    if (i < 0) throw new Error('internal: view batching created a cycle');
    const [n] = pending.splice(i, 1);
    done.add(n!.id);
    out.push(n!);
  }
  return out;
};

/** Rewrites one group of applications into a `Batched` node and `FieldOf` reads. */
const batchGroup = (group: ReadonlyArray<NodeOf<'Apply'>>): ReadonlyArray<GraphNode> => {
  const first = group[0]!;
  const id = `${first.id}x${group.length}`;
  const inputs = Object.fromEntries(
    group.flatMap((n, g) => Object.entries(n.inputs).map(([p, src]) => [`${p}.${g}`, src])),
  );
  const batched: GraphNode = {
    id,
    op: 'Batched',
    expr: first.expr,
    inputs,
    origin: first.origin,
    type: struct(Object.fromEntries(group.map((n, g) => [String(g), n.type!]))),
    flops: group.reduce((s, n) => s + (n.flops ?? 0), 0),
  };
  const reads = group.map((n, g): GraphNode => ({
    ...n,
    op: 'FieldOf',
    expr: {
      _tag: 'FieldOf',
      name: String(g),
      source: n.expr,
    },
    inputs: { source: id },
    flops: 0,
  }));
  return [batched, ...reads];
};

/** Batches every group of two or more independent applications; the same graph when there is none. */
export const batchViewsOf = (graph: Graph): Graph => {
  const groups = new Map<string, Array<NodeOf<'Apply'>>>();
  const inStep = new Set(
    ancestors(
      graph,
      graph.terms.map((t) => t.node),
    ).map((n) => n.id),
  );
  const byId = new Map(graph.nodes.map((m) => [m.id, m]));
  for (const n of graph.nodes) {
    if (n.op !== 'Apply') continue;
    const key = groupKey(byId, n, inStep);
    if (key !== undefined) groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  const independent = [...groups.values()].filter((g) => {
    if (g.length < 2) return false;
    const ids = new Set(g.map((n) => n.id));
    return g.every((n) => ancestors(graph, Object.values(n.inputs)).every((a) => !ids.has(a.id)));
  });
  if (independent.length === 0) return graph;
  const rewritten = new Map(
    independent.flatMap((g) => {
      const nodes = batchGroup(g);
      return g.map((n) => [n.id, nodes] as const);
    }),
  );
  const emitted = new Set<NodeId>();
  const nodes = graph.nodes.flatMap((n) => {
    const replacement = rewritten.get(n.id);
    if (replacement === undefined) return [n];
    const batchedId = replacement[0]!.id;
    const own = replacement.filter((r) => r.id === n.id);
    if (emitted.has(batchedId)) return own;
    emitted.add(batchedId);
    return [replacement[0]!, ...own];
  });
  return { ...graph, nodes: topoSort(nodes) };
};

/** The pass. */
export const batchViews: Pass = {
  name: 'batch-views',
  why: 'one call on concatenated views instead of one per view (BatchNorm statistics stay per view)',
  run: (graph) => right(batchViewsOf(graph)),
};
