/**
 * Evaluates graph nodes with TF.js: the rule table from value/loss nodes to kernels. Networks go
 * through `nets/`, losses through `losses/`, random views and masks through `augment/` and `masks/`.
 * Evaluation is synchronous and runs inside the caller's `tf.tidy` / gradient tape.
 */
import * as tf from '@tensorflow/tfjs';
import type { Graph, GraphNode, GraphOp, NodeId, NodeOf } from '../ir/graph.js';
import type { ModuleDecl } from '../ir/node.js';
import type { Rng } from '../ir/rng.js';
import { applyNet, subNet, type Lowered } from './nets/index.js';
import { stopGradient } from './nets/rule.js';
import { lowerLoss, type LossState } from './losses/index.js';
import type { Kernels } from './legalize/index.js';
import type { MemoryState } from './memory.js';
import { randomValues } from './random.js';

/** One module's parameters and buffers as evaluation reads them (the runtime's store provides them). */
export interface ModuleParams {
  readonly decl: ModuleDecl;
  readonly vars: Readonly<Record<string, tf.Tensor>>;
}

/** What evaluation needs besides the graph. */
export interface EvalContext {
  readonly graph: Graph;
  readonly store: ReadonlyMap<string, ModuleParams>;
  /** The batch of input images, NHWC in [0, 1]. */
  readonly images: tf.Tensor4D;
  /** The batch from the other pseudo-domain fold (`Input` `pairedImages`), when the graph reads one. */
  readonly paired?: tf.Tensor4D;
  readonly training: boolean;
  /** This step's random stream; each random node forks it by its name. */
  readonly rng: Rng;
  readonly step: number;
  readonly progress: number;
  readonly lossState: LossState;
  /** The style bank / replay memories (`Memory` nodes), state across steps. */
  readonly memory: MemoryState;
  /** New buffer values (BatchNorm statistics...) produced by this evaluation, `module/path` keyed. */
  readonly buffers: Map<string, tf.Tensor>;
  /** The legalized kernels of the graph's backend (pass 7), and their fused variant (pass 6). */
  readonly kernels: { readonly plain: Kernels; readonly fused: Kernels };
  /** Called with each node id before the node runs (and with step phases, see `StepOptions`); for profiling. */
  readonly trace?: (marker: string) => void;
}

type Values = Map<NodeId, Lowered>;
/** The value ops (every op but `Loss`). */
type ValueOp = Exclude<GraphOp, 'Loss'>;
/** How one op is evaluated; `node.expr` is that op's expression. */
type Rule<K extends ValueOp> = (
  node: NodeOf<K>,
  inputs: Readonly<Record<string, Lowered>>,
  ctx: EvalContext,
) => Lowered;

const asTensor = (v: Lowered | undefined, what: string): tf.Tensor => {
  if (v instanceof tf.Tensor) return v;
  throw new Error(`internal: ${what} is not a tensor`);
};

/**
 * The module's parameters, with buffers already updated earlier in this step (a module applied to
 * two views updates its BatchNorm statistics twice, in order, as PyTorch does).
 */
const withPendingBuffers = (
  ctx: EvalContext,
  module: string,
  vars: Readonly<Record<string, tf.Tensor>>,
): Readonly<Record<string, tf.Tensor>> => {
  const prefix = `${module}/`;
  const pending = [...ctx.buffers].filter(([k]) => k.startsWith(prefix));
  if (pending.length === 0) return vars;
  return { ...vars, ...Object.fromEntries(pending.map(([k, t]) => [k.slice(prefix.length), t])) };
};

/** Applies a module (or its part at `path`) to inputs, recording buffer updates. */
export const applyModule = (
  ctx: EvalContext,
  module: string,
  path: ReadonlyArray<string>,
  inputs: Readonly<Record<string, Lowered>>,
  fused = false,
  groups = 1,
): Lowered => {
  const m = ctx.store.get(module);
  if (m === undefined) throw new Error(`internal: unknown module ${module}`);
  const part = subNet(m.decl.net, path);
  const buffers = new Map<string, tf.Tensor>();
  const kernels = fused ? ctx.kernels.fused : ctx.kernels.plain;
  const out = applyNet(part.net, withPendingBuffers(ctx, module, m.vars), inputs, {
    training: ctx.training,
    buffers,
    prefix: part.prefix,
    kernels,
    groups,
  });
  for (const [p, t] of buffers) {
    const key = `${module}/${p}`;
    ctx.buffers.get(key)?.dispose();
    ctx.buffers.set(key, tf.keep(t));
  }
  return out;
};

/** `x.0`, `x.1`, `keep.0`, ... -> per port the groups concatenated along the batch. */
const groupedInputs = (
  i: Readonly<Record<string, Lowered>>,
): { ports: Record<string, Lowered>; groups: number } => {
  const byPort = new Map<string, Array<[number, tf.Tensor]>>();
  for (const [key, v] of Object.entries(i)) {
    const [port, group] = key.split('.') as [string, string];
    byPort.set(port, [
      ...(byPort.get(port) ?? []),
      [Number(group), asTensor(v, `batched input ${key}`)],
    ]);
  }
  const ports: Record<string, Lowered> = {};
  let groups = 1;
  for (const [port, parts] of byPort) {
    const ordered = parts.sort((a, b) => a[0] - b[0]).map(([, t]) => t);
    groups = ordered.length;
    ports[port] = tf.concat(ordered, 0);
  }
  return { ports, groups };
};

/** The inverse: a batched output split into the struct `{ '0': ..., '1': ... }` of its groups. */
const splitGroups = (out: Lowered, groups: number): Lowered => {
  const split = (v: Lowered): Lowered[] =>
    v instanceof tf.Tensor
      ? tf.split(v, groups, 0)
      : Array.from({ length: groups }, (_, g) =>
          Object.fromEntries(Object.entries(v).map(([k, f]) => [k, split(f)[g]!])),
        );
  return Object.fromEntries(split(out).map((v, g) => [String(g), v]));
};

/** The value with a zero gradient (TF.js has no stop-gradient op); structs field by field. */
const detach = (v: Lowered): Lowered =>
  v instanceof tf.Tensor
    ? stopGradient(v)
    : Object.fromEntries(Object.entries(v).map(([k, f]) => [k, detach(f)]));

const pairedOf = (ctx: EvalContext): tf.Tensor4D => {
  if (ctx.paired === undefined)
    throw new Error(
      'this step reads pairedImages but was given no paired batch (StepOptions.paired)',
    );
  return ctx.paired;
};

const valueRules: { readonly [K in ValueOp]: Rule<K> } = {
  Input: (n, _i, ctx) => (n.expr.name === 'images' ? ctx.images : pairedOf(ctx)),
  View: (n, i, ctx) => randomValues.view(n.expr, asTensor(i.source, 'view source'), ctx.rng),
  Apply: (n, i, ctx) => applyModule(ctx, n.expr.module, n.expr.path, i, n.fused === true),
  Fn: (n, i, ctx) =>
    applyNet(n.expr.net, {}, i, {
      training: ctx.training,
      buffers: new Map(),
      prefix: '',
      kernels: n.fused === true ? ctx.kernels.fused : ctx.kernels.plain,
    }),
  FieldOf: ({ expr: { name } }, i) => {
    const src = i.source;
    if (src === undefined || src instanceof tf.Tensor || !(name in src))
      throw new Error(`internal: no field ${name}`);
    return src[name]!;
  },
  StopGradient: (_n, i) => detach(i.source!),
  Masks: (n, _i, ctx) => randomValues.masks(n.expr, ctx.images.shape[0], ctx.rng),
  TokenMask: (n, _i, ctx) => randomValues.tokenMask(n.expr, ctx.images.shape[0], ctx.rng),
  Gather: (_n, i, ctx) =>
    ctx.kernels.plain.gatherTokens(
      asTensor(i.source, 'gather source') as tf.Tensor3D,
      asTensor(i.index, 'gather index'),
    ),
  Permute: (n, i, ctx) =>
    randomValues.permute(n.expr, asTensor(i.source, 'permute source'), ctx.rng),
  Concat: (n, i) =>
    tf.concat(
      Object.keys(n.inputs)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => asTensor(i[k], 'concat part')),
      0,
    ),
  Batched: (n, i, ctx) => {
    const { module, path } = n.expr;
    const { ports, groups } = groupedInputs(i);
    return splitGroups(applyModule(ctx, module, path, ports, n.fused === true, groups), groups);
  },
  Memory: (n, i, ctx) => ctx.memory.sample(n.expr, asTensor(i.source, 'memory source'), ctx.rng),
};

/** Evaluates a value node by its op's rule (the table is keyed by op, so the rule fits the node). */
const evaluateValue = <K extends ValueOp>(
  node: NodeOf<K>,
  inputs: Readonly<Record<string, Lowered>>,
  ctx: EvalContext,
): Lowered => {
  const rule: Rule<K> = valueRules[node.op];
  return rule(node, inputs, ctx);
};

const evaluateLoss = (
  node: NodeOf<'Loss'>,
  inputs: Readonly<Record<string, Lowered>>,
  ctx: EvalContext,
): tf.Scalar => {
  return lowerLoss(node.expr, inputs, {
    term: node.id,
    progress: ctx.progress,
    step: ctx.step,
    rng: ctx.rng.fork(`loss:${node.id}`),
    state: ctx.lossState,
    module: (name: string) => ({
      apply: (moduleInputs: Readonly<Record<string, Lowered>>) =>
        applyModule(ctx, name, [], moduleInputs),
      params: ctx.store.get(name)?.vars ?? {},
    }),
  });
};

const indexes = new WeakMap<Graph, ReadonlyMap<NodeId, GraphNode>>();

/** The graph's nodes by id, built once per graph (not on every step). */
const nodeIndex = (graph: Graph): ReadonlyMap<NodeId, GraphNode> => {
  let index = indexes.get(graph);
  if (index === undefined) {
    index = new Map(graph.nodes.map((n) => [n.id, n]));
    indexes.set(graph, index);
  }
  return index;
};

/** Evaluates `ids` in order into `values` (inputs must already be there or come earlier in `ids`). */
export const evaluateNodes = (
  ids: ReadonlyArray<NodeId>,
  values: Values,
  ctx: EvalContext,
): void => {
  const byId = nodeIndex(ctx.graph);
  for (const id of ids) {
    const node = byId.get(id)!;
    ctx.trace?.(id);
    const inputs: Record<string, Lowered> = {};
    for (const [port, child] of Object.entries(node.inputs)) {
      const v = values.get(child);
      if (v === undefined) throw new Error(`internal: ${id} needs ${child}, not yet computed`);
      inputs[port] = v;
    }
    // One scope per node: its intermediates are freed as soon as it is computed (tensors the
    // gradient tape needs are kept by the tape itself).
    values.set(
      id,
      tf.tidy(() =>
        node.op === 'Loss' ? evaluateLoss(node, inputs, ctx) : evaluateValue(node, inputs, ctx),
      ),
    );
  }
};
