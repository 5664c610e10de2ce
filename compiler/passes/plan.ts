/**
 * The execution plan of a training step, derived from the checked graph (no TF.js here).
 *
 * For each objective: the nodes its terms need, split into
 * - `constant` nodes, computed *before* the gradient tape: everything that does not depend on
 *   the objective's trainable parameters, and everything under a `StopGradient`. This is how
 *   tessera implements stop-gradient (TF.js has none): targets are fed to the tape as constants,
 *   and their forward pass records nothing;
 * - `taped` nodes, computed inside `tf.variableGrads` over the trainable parameters.
 * And the EMA modules updated after the objective's optimizer step.
 *
 * The fusion pass records the plan in the graph (`graph.plan`); memory planning and the lowering
 * read it through `stepPlan`, so a compile plans the step once.
 */
import type { Graph, GraphNode, NodeId, ObjectivePlan } from '../ir/graph.js';
import type { NetNode } from '../ir/net.js';
import type { Objective, Phase } from '../ir/node.js';
import { subNet } from '../ir/ports.js';

/** The ancestors of `roots` (inclusive), in the graph's topological order. */
export const ancestors = (graph: Graph, roots: ReadonlyArray<NodeId>): ReadonlyArray<GraphNode> => {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const needed = new Set<NodeId>();
  const visit = (id: NodeId): void => {
    if (needed.has(id)) return;
    needed.add(id);
    for (const child of Object.values(byId.get(id)?.inputs ?? {})) visit(child);
  };
  roots.forEach(visit);
  return graph.nodes.filter((n) => needed.has(n.id));
};

/**
 * The net a node runs: an `Fn`'s inline net, or the applied module's net (its part at `path`,
 * e.g. a generator's `styleEncoder`); `undefined` for other nodes.
 */
export const appliedNet = (graph: Graph, node: GraphNode): NetNode | undefined => {
  if (node.expr._tag === 'Fn') return node.expr.net;
  if (node.expr._tag !== 'Apply') return undefined;
  const { module, path } = node.expr;
  const net = graph.modules.find((m) => m.decl.name === module)?.decl.net;
  if (net === undefined) return undefined;
  const part = subNet(net, path);
  return 'net' in part ? part.net : undefined;
};

/** Whether a node reads the parameters of a trainable module itself (not through its inputs). */
const readsTrainable = (node: GraphNode, trainable: ReadonlySet<string>): boolean => {
  switch (node.op) {
    case 'Apply':
    case 'Batched':
      return trainable.has(node.expr.module);
    case 'Loss':
      return (
        (node.expr._tag === 'R1' || node.expr._tag === 'SpadeGate') &&
        trainable.has(node.expr.module)
      );
    default:
      return false;
  }
};

/**
 * The nodes reachable from `roots` without crossing a `StopGradient` (the StopGradient nodes
 * themselves included): only these can be on the tape.
 */
const gradientSideOf = (graph: Graph, roots: ReadonlyArray<NodeId>): ReadonlySet<NodeId> => {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const side = new Set<NodeId>();
  const visit = (id: NodeId): void => {
    if (side.has(id)) return;
    side.add(id);
    const node = byId.get(id);
    if (node !== undefined && node.op !== 'StopGradient') Object.values(node.inputs).forEach(visit);
  };
  roots.forEach(visit);
  return side;
};

/** Plans one objective. */
export const planObjective = (graph: Graph, objective: Objective): ObjectivePlan => {
  const terms = graph.terms
    .filter((t) => t.objective === objective.name)
    .map((t) => ({
      name: t.term,
      node: t.node,
      weight: t.weight,
      ...(t.adaptive === undefined ? {} : { adaptive: t.adaptive }),
    }));
  const trainable = new Set(objective.params);
  const onTape = new Set<NodeId>();
  const nodes = ancestors(
    graph,
    terms.map((t) => t.node),
  );
  const gradientSide = gradientSideOf(
    graph,
    terms.map((t) => t.node),
  );
  for (const node of nodes) {
    // A node reading a taped value runs on the tape (after it); a StopGradient there is an
    // identity with zero gradient (the generated image, detached for one term and not another).
    // A trainable module applied only under a StopGradient to constant inputs (e.g. PatchNCE keys
    // from a trainable encoder) is a constant, computed before the tape.
    const fromInputs = Object.values(node.inputs).some((id) => onTape.has(id));
    if (
      fromInputs ||
      (node.op !== 'StopGradient' && gradientSide.has(node.id) && readsTrainable(node, trainable))
    )
      onTape.add(node.id);
  }
  const emaAfter = graph.method.modules.filter(
    (m) =>
      m.ema !== undefined &&
      (trainable.has(m.ema.source) || (m.ema.alsoAfter ?? []).includes(objective.name)),
  );
  return {
    objective,
    terms,
    constant: nodes.filter((n) => !onTape.has(n.id)).map((n) => n.id),
    taped: nodes.filter((n) => onTape.has(n.id)).map((n) => n.id),
    modules: objective.params,
    emaAfter,
  };
};

export type { ObjectivePlan } from '../ir/graph.js';

/** Plans every objective, in the method's order (the order they run within a step). */
export const planStep = (graph: Graph): ReadonlyArray<ObjectivePlan> =>
  graph.method.objectives.map((o) => planObjective(graph, o));

/**
 * The step plan of `graph`: the one the fusion pass recorded, or `planStep(graph)` for a graph
 * that did not go through it (the checking passes alone, a prefix of the pipeline).
 */
export const stepPlan = (graph: Graph): ReadonlyArray<ObjectivePlan> =>
  graph.plan ?? planStep(graph);

/** The phase active at `step` of a repeating cycle (undefined when the method has no phases). */
export const phaseAt = (phases: ReadonlyArray<Phase>, step: number): string | undefined => {
  const cycle = phases.reduce((s, p) => s + p.steps, 0);
  if (phases.length === 0 || cycle <= 0) return undefined;
  let at = step % cycle;
  for (const p of phases) {
    if (at < p.steps) return p.name;
    at -= p.steps;
  }
  return undefined;
};

/** Whether an objective runs at `step`: its phase is active and its cadence matches. */
export const isActive = (objective: Objective, phase: string | undefined, step: number): boolean =>
  (objective.phases.length === 0 || (phase !== undefined && objective.phases.includes(phase))) &&
  step >= objective.offset &&
  (step - objective.offset) % Math.max(1, objective.every) === 0;
