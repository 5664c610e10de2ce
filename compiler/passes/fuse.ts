/**
 * Pass 6: fusion. A node no objective differentiates through (a momentum/target encoder, an
 * evaluation-only representation) may run TF.js's fused inference kernels: matMul + bias (+
 * activation) in one `tf.fused.matMul`. Those kernels have no fast gradient on wasm (their
 * gradient uses the transposed products legalization avoids), so nodes on a gradient tape keep
 * the plain, legalized kernels. The pass records the step plan it reads (`graph.plan`): memory
 * planning and the lowering reuse it.
 */
import { right } from 'fp-ts/lib/Either.js';
import type { Graph } from '../ir/graph.js';
import type { Pass } from './pass.js';
import { planStep } from './plan.js';

/**
 * Marks every Apply/Fn/Batched node that no objective differentiates through, and records the step
 * plan (the `fused` marks do not change it: planning reads ops, expressions and inputs).
 */
export const markFusable = (graph: Graph): Graph => {
  const plan = planStep(graph);
  const taped = new Set(plan.flatMap((p) => p.taped));
  let changed = false;
  const nodes = graph.nodes.map((n) => {
    const fusable = (n.op === 'Apply' || n.op === 'Fn' || n.op === 'Batched') && !taped.has(n.id);
    if (fusable === (n.fused === true)) return n;
    changed = true;
    return { ...n, fused: fusable };
  });
  return { ...graph, ...(changed ? { nodes } : {}), plan };
};

/** The pass. */
export const fuse: Pass = {
  name: 'fuse',
  why: 'gradient-free forward passes (targets, probes) run fused matMul+bias kernels',
  run: (graph) => right(markFusable(graph)),
};
