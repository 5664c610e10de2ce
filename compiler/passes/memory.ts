/**
 * Pass 8: memory planning. Predicts the peak bytes of one training step from the checked graph:
 * parameters (all modules, EMA copies and buffers included) + optimizer state (Adam-like: two
 * moments per trainable parameter; LARS/SGD: one) + the largest objective working set, where an
 * objective holds its constant outputs, the activations its taped nodes save for backward
 * (`activations.ts`), the activation gradients of the backward pass (as large again) and one
 * gradient per trainable parameter. Also records each node output's size and last reader
 * (lifetimes). TF.js keeps every saved tensor until its backward pass ends, so the estimate
 * counts saved tensors as live together; `tessera bench step` prints it beside the measured peak.
 */
import { right } from 'fp-ts/lib/Either.js';
import type { Graph, GraphNode, MemoryPlan, NodeId } from '../ir/graph.js';
import type { Optimizer } from '../ir/optim.js';
import { elementsOf, savedElements } from './activations.js';
import type { Pass } from './pass.js';
import { appliedNet, stepPlan } from './plan.js';
import type { DimEnv } from './shapes/dims.js';
import { graphEnv } from './shapes/pass.js';

const BYTES = 4;

const paramElements = (graph: Graph, module: string, trainableOnly: boolean): number =>
  (graph.modules.find((m) => m.decl.name === module)?.params ?? [])
    .filter((p) => !trainableOnly || !p.buffer)
    .reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);

const momentsPerParam = (o: Optimizer): number => (o._tag === 'Adam' || o._tag === 'AdamW' ? 2 : 1);

/** Elements an Apply node's net keeps for backward (input types from its inputs' annotations). */
const nodeSaved = (
  graph: Graph,
  env: DimEnv,
  node: GraphNode,
  byId: ReadonlyMap<NodeId, GraphNode>,
): number => {
  const out = elementsOf(node.type, env);
  const net = appliedNet(graph, node);
  const groups =
    node.op === 'Batched' ? Object.keys(node.inputs).filter((p) => p.startsWith('x.')).length : 1;
  const x = node.inputs[node.op === 'Batched' ? 'x.0' : 'x'];
  const input = x === undefined ? undefined : byId.get(x)?.type;
  return net === undefined ? 2 * out : groups * savedElements(net, input, out / groups, env);
};

/** The memory plan of a graph whose nodes carry types (after pass 2). */
export const planMemory = (graph: Graph): MemoryPlan => {
  const env = graphEnv(graph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const parameters =
    graph.modules.reduce((s, m) => s + paramElements(graph, m.decl.name, false), 0) * BYTES;
  const plans = stepPlan(graph);
  const optimizerState =
    plans.reduce(
      (s, p) =>
        s +
        momentsPerParam(p.objective.optimizer) *
          p.modules.reduce((a, m) => a + paramElements(graph, m, true), 0),
      0,
    ) * BYTES;
  const objectives = plans.map((p) => {
    const constants =
      p.constant.reduce((s, id) => s + elementsOf(byId.get(id)?.type, env), 0) * BYTES;
    const activations =
      p.taped.reduce((s, id) => s + nodeSaved(graph, env, byId.get(id)!, byId), 0) * BYTES;
    const gradients = p.modules.reduce((a, m) => a + paramElements(graph, m, true), 0) * BYTES;
    return {
      objective: p.objective.name,
      constants,
      activations,
      gradients,
      workingSet: constants + 2 * activations + gradients,
    };
  });
  const position = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const lastUse = new Map<NodeId, number>();
  graph.nodes.forEach((n, i) => Object.values(n.inputs).forEach((id) => lastUse.set(id, i)));
  const lifetimes = graph.nodes.map((n) => ({
    node: n.id,
    bytes: elementsOf(n.type, env) * BYTES,
    lastUse: lastUse.get(n.id) ?? position.get(n.id)!,
  }));
  const peakBytes =
    parameters + optimizerState + Math.max(0, ...objectives.map((o) => o.workingSet));
  return { peakBytes, parameters, optimizerState, objectives, lifetimes };
};

/** The pass. */
export const memoryPlanning: Pass = {
  name: 'plan-memory',
  why: 'predicts the peak bytes of a step (printed by check, compared with the measured peak by bench)',
  run: (graph) => right({ ...graph, memory: planMemory(graph) }),
};
