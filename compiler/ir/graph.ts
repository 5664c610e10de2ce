/**
 * The resolved graph the passes work on: every value expression and loss becomes one node with
 * its children replaced by node ids. The `resolve` pass builds it from a `Method` (one node per
 * occurrence); later passes annotate (`type`, `flops`) or rewrite it (shared-forward elimination
 * merges identical nodes). Nodes are in topological order: inputs before users.
 */
import type { LossNode } from './loss.js';
import type { AdaptiveWeight, Method, ModuleDecl, Objective, ValueExpr, ValueTag } from './node.js';
import type { Schedule } from './schedule.js';
import type { ValueType } from './types.js';

/** A node id, unique in a graph (`n0`, `n1`, ...). */
export type NodeId = string;

/** A location in the user's spec. */
export type SpecPath = ReadonlyArray<string | number>;

/**
 * What a node computes: a value expression kind (refs are resolved away), a loss, or `Batched`:
 * one module applied once to several same-shaped inputs concatenated along the batch (created by
 * view batching, pass 5; its `expr` is the `Apply`, its inputs are `<port>.<group>`, its output a
 * struct of the groups `'0'`, `'1'`, ... read by `FieldOf` nodes).
 */
export type GraphOp = Exclude<ValueTag, 'Ref'> | 'Loss' | 'Batched';

/** What every node has, whatever its op. */
interface NodeBase {
  readonly id: NodeId;
  /**
   * Child ports to node ids. Value nodes: `View`/`FieldOf`/`StopGradient`/`Permute`/`Memory`:
   * `source`; `Apply`/`Fn`: their input ports; `Gather`: `source`, `index`; `Concat`: `'0'`, `'1'`...
   * Loss nodes: the loss's value fields (`query`, `key`, `pred`, `target`, `fake`, ...).
   */
  readonly inputs: Readonly<Record<string, NodeId>>;
  /** Where the node first appears in the spec. */
  readonly origin: SpecPath;
  /** Filled by shape inference. Loss nodes are `scalar[]`. */
  readonly type?: ValueType;
  /** Forward FLOPs per training step at the spec's batch size, filled by shape inference. */
  readonly flops?: number;
  /** No objective differentiates through this node: it may use fused inference kernels (pass 6). */
  readonly fused?: boolean;
}

/** The attributes of a node of op `K`: its value expression, the loss, or a batched `Apply`. */
export type ExprOfOp<K extends GraphOp> = {
  readonly [O in GraphOp]: O extends 'Loss'
    ? LossNode
    : O extends 'Batched'
      ? Extract<ValueExpr, { _tag: 'Apply' }>
      : Extract<ValueExpr, { _tag: O }>;
}[K];

/** A node of op `K`: `expr` is that op's expression. */
export type NodeOf<K extends GraphOp> = NodeBase & { readonly op: K; readonly expr: ExprOfOp<K> };

/**
 * One node, a union keyed by `op`: narrow on `op` (`if`, `switch`) to read `expr` without casts.
 * `expr` carries the attributes; read children through `inputs`, never through `expr`.
 */
export type GraphNode = { readonly [K in GraphOp]: NodeOf<K> }[GraphOp];

/**
 * A node from an op and an expression that the caller knows agree (`resolve` builds a node of
 * `expr._tag`; view batching a `Batched` node of an `Apply`): the one place that ties them.
 */
export const graphNode = <K extends GraphOp>(
  op: K,
  expr: ExprOfOp<K>,
  rest: NodeBase,
): GraphNode => {
  // keys in the order nodes always had (id, op, expr, inputs, origin, ...): dumps stay the same
  const { id, ...others } = rest;
  return { id, op, expr, ...others } as GraphNode;
};

/** One parameter tensor of a module. */
export interface ParamInfo {
  /** Path inside the net, e.g. `blocks.0.attn.qkv.weight`. */
  readonly path: string;
  readonly shape: ReadonlyArray<number>;
  /** Weight decay applies (false for biases and 1-D parameters such as norm scales). */
  readonly decay: boolean;
  /** A non-trainable buffer (BatchNorm running statistics, spectral-norm vectors). */
  readonly buffer: boolean;
}

/** A module with what the passes learnt about it. */
export interface ModuleInfo {
  readonly decl: ModuleDecl;
  /** Filled by shape inference. */
  readonly params?: ReadonlyArray<ParamInfo>;
}

/** A loss term, pointing at its loss node. */
export interface TermRef {
  readonly objective: string;
  readonly term: string;
  readonly node: NodeId;
  readonly weight: Schedule;
  readonly adaptive?: AdaptiveWeight;
  readonly origin: SpecPath;
}

/** A representation, pointing at its value node. */
export interface RepresentationRef {
  readonly name: string;
  readonly node: NodeId;
}

/** One backend rewrite a graph needs, and the nodes that need it. */
export interface LegalRule {
  readonly rule:
    | 'conv2d-gradients-as-convs'
    | 'matmul-explicit-transposes'
    | 'gather-scatter-gradient'
    | 'dft-as-matmuls';
  readonly why: string;
  readonly nodes: ReadonlyArray<NodeId>;
}

/** The backend a graph is lowered for, and the rules legalization applies there. */
export interface LegalTarget {
  readonly backend: string;
  readonly rules: ReadonlyArray<LegalRule>;
}

/** Predicted memory of one training step (bytes, float32), filled by the memory-planning pass. */
export interface MemoryPlan {
  /** The predicted peak of a step: `parameters + optimizerState + max over objectives of its working set`. */
  readonly peakBytes: number;
  /** Weights and buffers of every module (EMA copies included). */
  readonly parameters: number;
  /** Optimizer moments of every objective. */
  readonly optimizerState: number;
  /** Per objective: its constant outputs, its taped activations, its parameter gradients, their sum. */
  readonly objectives: ReadonlyArray<{
    readonly objective: string;
    readonly constants: number;
    readonly activations: number;
    readonly gradients: number;
    readonly workingSet: number;
  }>;
  /** Per node: bytes of its output, and the position (in `nodes`) of its last reader. */
  readonly lifetimes: ReadonlyArray<{
    readonly node: NodeId;
    readonly bytes: number;
    readonly lastUse: number;
  }>;
}

/**
 * The plan of one objective within a training step (`compiler/passes/plan.ts` derives it): the
 * nodes its terms need, split into those computed before the gradient tape (`constant`) and those
 * on it (`taped`), and the EMA modules refreshed after its optimizer step.
 */
export interface ObjectivePlan {
  readonly objective: Objective;
  readonly terms: ReadonlyArray<{
    readonly name: string;
    readonly node: NodeId;
    readonly weight: Objective['terms'][number]['weight'];
    readonly adaptive?: AdaptiveWeight;
  }>;
  /** Nodes to compute before the tape, in topological order. */
  readonly constant: ReadonlyArray<NodeId>;
  /** Nodes to compute inside the tape, in topological order. */
  readonly taped: ReadonlyArray<NodeId>;
  /** Modules whose parameters this objective optimizes. */
  readonly modules: ReadonlyArray<string>;
  /** EMA modules whose source this objective updates: refreshed right after its optimizer step. */
  readonly emaAfter: ReadonlyArray<ModuleDecl>;
}

/** The whole resolved method. */
export interface Graph {
  readonly method: Method;
  readonly nodes: ReadonlyArray<GraphNode>;
  readonly modules: ReadonlyArray<ModuleInfo>;
  readonly terms: ReadonlyArray<TermRef>;
  readonly representations: ReadonlyArray<RepresentationRef>;
  /**
   * The step plan, one entry per objective in the method's order, recorded by the fusion pass (6)
   * that reads it; memory planning and the lowering reuse it (`stepPlan` in
   * `compiler/passes/plan.ts`). Later passes do not change nodes, so it stays valid.
   */
  readonly plan?: ReadonlyArray<ObjectivePlan>;
  /** The backend the graph is legalized for and the rewrite rules it needs (pass 7). */
  readonly target?: LegalTarget;
  /** Filled by the memory-planning pass (8). */
  readonly memory?: MemoryPlan;
}
