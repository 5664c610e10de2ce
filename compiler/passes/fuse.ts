/**
 * Pass 6: fusion. A node no objective differentiates through (a momentum/target encoder, an
 * evaluation-only representation) may run TF.js's fused inference kernels: matMul + bias (+
 * activation) in one `tf.fused.matMul`. Those kernels have no fast gradient on wasm (their
 * gradient uses the transposed products legalization avoids), so nodes on a gradient tape keep
 * the plain, legalized kernels.
 */
import { right } from 'fp-ts/lib/Either.js';
import type { Graph, NodeId } from '../ir/graph.js';
import type { Pass } from './pass.js';
import { planStep } from './plan.js';

/** The nodes some objective computes on its gradient tape. */
export const tapedNodes = (graph: Graph): ReadonlySet<NodeId> =>
  new Set(planStep(graph).flatMap((p) => p.taped));

/** Marks every Apply/Fn/Batched node that no objective differentiates through. */
export const markFusable = (graph: Graph): Graph => {
  const taped = tapedNodes(graph);
  let changed = false;
  const nodes = graph.nodes.map((n) => {
    const fusable = (n.op === 'Apply' || n.op === 'Fn' || n.op === 'Batched') && !taped.has(n.id);
    if (fusable === (n.fused === true)) return n;
    changed = true;
    return { ...n, fused: fusable };
  });
  return changed ? { ...graph, nodes } : graph;
};

/** The pass. */
export const fuse: Pass = {
  name: 'fuse',
  why: 'gradient-free forward passes (targets, probes) run fused matMul+bias kernels',
  run: (graph) => right(markFusable(graph)),
};
