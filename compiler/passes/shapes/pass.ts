/**
 * Pass 2 over a resolved graph: types every node, counts its forward FLOPs at the spec's batch,
 * lists every module's parameters, and collects all issues. A node whose input failed is left
 * unknown (no type, no issue), so one mistake is reported once rather than cascading.
 */
import { left, right } from 'fp-ts/lib/Either.js';
import type { Graph, GraphNode, NodeId } from '../../ir/graph.js';
import type { Issue } from '../../ir/issue.js';
import type { MultiBlockMask } from '../../ir/augment.js';
import type { ValueType } from '../../ir/types.js';
import type { Pass } from '../pass.js';
import type { DimEnv } from './dims.js';
import { inferLoss } from './losses.js';
import { netParams } from './net.js';
import { inferValue, type GraphContext } from './values.js';

const mean = ([a, b]: readonly [number, number]): number => (a + b) / 2;

/**
 * Estimated I-JEPA mask counts for FLOP counting: `Ktgt = floor(HW mean(targetScale))`,
 * `Kctx = max(minKeep, floor(HW mean(contextScale) (1 - mean(targetScale))^targets))`
 * (context minus independently placed targets).
 */
export const maskEstimates = (
  spec: MultiBlockMask,
): { readonly Kctx: number; readonly Ktgt: number } => {
  const area = spec.grid[0] * spec.grid[1];
  const free = spec.allowOverlap ? 1 : (1 - mean(spec.targetScale)) ** spec.targets;
  return {
    Ktgt: Math.floor(area * mean(spec.targetScale)),
    Kctx: Math.max(spec.minKeep, Math.floor(area * mean(spec.contextScale) * free)),
  };
};

/** `B` = the spec's batch, plus the mask-count estimates of the graph's `Masks` nodes. */
export const graphEnv = (graph: Graph): DimEnv => {
  const masks = graph.nodes.find((n) => n.op === 'Masks');
  const est =
    masks !== undefined && masks.expr._tag === 'Masks' ? maskEstimates(masks.expr.spec) : {};
  return { ...est, B: graph.method.training.batch };
};

/** Says where a node's value comes from, for hints: `projector` for an Apply, else its op. */
const describe = (n: GraphNode): string | undefined =>
  n.expr._tag === 'Apply' ? [n.expr.module, ...n.expr.path].join('.') : undefined;

/** The annotated graph and every issue found (the graph is annotated as far as possible). */
export interface ShapeReport {
  readonly graph: Graph;
  readonly issues: ReadonlyArray<Issue>;
}

/** Runs shape inference and keeps the partial annotations even when there are issues. */
export const annotateShapes = (graph: Graph): ShapeReport => {
  const env = graphEnv(graph);
  const modules = new Map(graph.method.modules.map((m) => [m.name, m]));
  const byId = new Map<NodeId, GraphNode>();
  const types = new Map<NodeId, ValueType>();
  const issues: Issue[] = [];
  const nodes = graph.nodes.map((node): GraphNode => {
    const ids = Object.entries(node.inputs);
    const inputs: Record<string, ValueType> = {};
    for (const [port, id] of ids) {
      const t = types.get(id);
      if (t === undefined) return node; // an input failed: unknown, already reported
      inputs[port] = t;
    }
    const ctx: GraphContext = {
      modules,
      input: graph.method.input,
      batch: graph.method.training.batch,
      env,
      source: (port) => {
        const src = node.inputs[port];
        const n = src === undefined ? undefined : byId.get(src);
        return n === undefined ? undefined : describe(n);
      },
    };
    if (node.op === 'Batched')
      throw new Error(`internal: shape inference runs before view batching`);
    const r =
      node.op === 'Loss'
        ? inferLoss(node.expr, inputs, node.origin, ctx)
        : inferValue(node, inputs, ctx);
    byId.set(node.id, node);
    if (r._tag === 'Left') {
      issues.push(...r.left);
      return node;
    }
    types.set(node.id, r.right.type);
    return { ...node, type: r.right.type, flops: r.right.flops };
  });
  const annotated: Graph = {
    ...graph,
    nodes,
    modules: graph.modules.map((m) => ({ ...m, params: netParams(m.decl.net) })),
  };
  return { graph: annotated, issues };
};

/** Pass 2: shape inference, parameter and FLOP counting. */
export const inferShapes: Pass = {
  name: 'shapes',
  why: 'every tensor shape, parameter list and FLOP count is known before any tensor exists, so mismatches fail here with a path and a hint',
  run: (graph) => {
    const r = annotateShapes(graph);
    return r.issues.length > 0 ? left(r.issues) : right(r.graph);
  },
};

/** Forward and training FLOPs of one step. */
export interface StepFlops {
  /** Sum of the forward FLOPs of the nodes a step computes (the losses and their inputs). */
  readonly forward: number;
  /** Forward FLOPs of the nodes that gradient flows through. */
  readonly differentiated: number;
  /** `forward + 2 * differentiated`: backward costs ~2x forward where gradients flow. */
  readonly training: number;
}

/** The ids of the loss nodes and everything they depend on: what a training step computes. */
const stepNodes = (graph: Graph): ReadonlySet<NodeId> => {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const seen = new Set<NodeId>();
  const stack = graph.nodes.filter((n) => n.op === 'Loss').map((n) => n.id);
  while (stack.length > 0) {
    const id = stack.pop() as NodeId;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...Object.values(byId.get(id)?.inputs ?? {}));
  }
  return seen;
};

/**
 * FLOPs of one training step of an annotated graph: the loss nodes and what they depend on
 * (representations computed only for evaluation are not counted). A node is differentiated when
 * it applies a module some objective optimizes (and that is not an EMA), or consumes a
 * differentiated node; `StopGradient` and `Memory` cut the flow. Backward ~ 2x forward there
 * (input and weight gradients): an upper estimate, since first layers need no input gradient.
 * Run it after shared-forward elimination (pass 4) for a graph where each forward is one node.
 */
export const stepFlops = (graph: Graph): StepFlops => {
  const optimized = new Set(graph.method.objectives.flatMap((o) => o.params));
  const emas = new Set(graph.method.modules.filter((m) => m.ema !== undefined).map((m) => m.name));
  const inStep = stepNodes(graph);
  const grad = new Set<NodeId>();
  let forward = 0;
  let differentiated = 0;
  for (const n of graph.nodes) {
    if (!inStep.has(n.id)) continue;
    const flops = n.flops ?? 0;
    forward += flops;
    if (n.op === 'StopGradient' || n.op === 'Memory') continue;
    const own = n.expr._tag === 'Apply' && optimized.has(n.expr.module) && !emas.has(n.expr.module);
    if (own || Object.values(n.inputs).some((id) => grad.has(id))) {
      grad.add(n.id);
      differentiated += flops;
    }
  }
  return { forward, differentiated, training: forward + 2 * differentiated };
};
