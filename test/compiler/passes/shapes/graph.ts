/**
 * A tiny builder of resolved `Graph` values for the shape-pass tests, so they do not depend on the
 * resolve pass. Expressions carry their attributes; children are read through `inputs` only, so
 * the children inside `expr` are placeholders.
 */
import type {
  Graph,
  GraphNode,
  GraphOp,
  LossNode,
  Method,
  ModuleDecl,
  NetNode,
  NodeId,
  Objective,
  ValueExpr,
} from '../../../../compiler/ir/index.js';

const PLACEHOLDER: ValueExpr = { _tag: 'Input', name: 'images' };
const constant = (value: number) => ({ _tag: 'Constant' as const, value });

/** A module declaration. */
export const module = (name: string, net: NetNode, ema?: string): ModuleDecl => ({
  name,
  net,
  frozen: [],
  ...(ema === undefined ? {} : { ema: { source: ema, momentum: constant(0.99) } }),
});

/** An objective optimizing `params` (Adam, every step). */
export const objective = (params: ReadonlyArray<string>): Objective => ({
  name: 'main',
  terms: [],
  params,
  every: 1,
  offset: 0,
  phases: [],
  optimizer: { _tag: 'Adam', lr: constant(1e-3), betas: [0.9, 0.999], eps: 1e-8 },
});

/** Accumulates nodes in topological order. */
export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];

  constructor(
    private readonly modules: ReadonlyArray<ModuleDecl>,
    private readonly objectives: ReadonlyArray<Objective> = [],
    private readonly batch = 8,
    private readonly size = 32,
  ) {}

  private add(op: GraphOp, expr: ValueExpr | LossNode, inputs: Record<string, NodeId>): NodeId {
    const id = `n${this.nodes.length}`;
    this.nodes.push({ id, op, expr, inputs, origin: ['values', id] } as GraphNode);
    return id;
  }

  input(): NodeId {
    return this.add('Input', { _tag: 'Input', name: 'images' }, {});
  }
  view(
    name: string,
    source: NodeId,
    pipeline: Extract<ValueExpr, { _tag: 'View' }>['pipeline'],
  ): NodeId {
    return this.add('View', { _tag: 'View', name, source: PLACEHOLDER, pipeline }, { source });
  }
  apply(mod: string, inputs: Record<string, NodeId>, path: ReadonlyArray<string> = []): NodeId {
    const placeholders = Object.fromEntries(Object.keys(inputs).map((k) => [k, PLACEHOLDER]));
    return this.add('Apply', { _tag: 'Apply', module: mod, path, inputs: placeholders }, inputs);
  }
  fn(net: NetNode, x: NodeId): NodeId {
    return this.add('Fn', { _tag: 'Fn', net, inputs: { x: PLACEHOLDER } }, { x });
  }
  field(source: NodeId, name: string): NodeId {
    return this.add('FieldOf', { _tag: 'FieldOf', source: PLACEHOLDER, name }, { source });
  }
  stop(source: NodeId): NodeId {
    return this.add('StopGradient', { _tag: 'StopGradient', source: PLACEHOLDER }, { source });
  }
  masks(spec: Extract<ValueExpr, { _tag: 'Masks' }>['spec']): NodeId {
    return this.add('Masks', { _tag: 'Masks', name: 'masks', spec }, {});
  }
  tokenMask(count: number): NodeId {
    return this.add('TokenMask', { _tag: 'TokenMask', name: 'tm', count, ratio: 0.6, bias: 2 }, {});
  }
  gather(source: NodeId, index: NodeId): NodeId {
    return this.add(
      'Gather',
      { _tag: 'Gather', source: PLACEHOLDER, index: PLACEHOLDER },
      { source, index },
    );
  }
  permute(source: NodeId): NodeId {
    return this.add('Permute', { _tag: 'Permute', name: 'perm', source: PLACEHOLDER }, { source });
  }
  memory(source: NodeId): NodeId {
    return this.add(
      'Memory',
      { _tag: 'Memory', name: 'bank', source: PLACEHOLDER, size: 16, ratio: 0.3 },
      { source },
    );
  }
  concat(...sources: NodeId[]): NodeId {
    return this.add(
      'Concat',
      { _tag: 'Concat', sources: sources.map(() => PLACEHOLDER) },
      Object.fromEntries(sources.map((s, i) => [`${i}`, s])),
    );
  }
  /** A loss node; `inputs` maps the loss's value fields to node ids. */
  loss(loss: LossNode, inputs: Record<string, NodeId>): NodeId {
    return this.add('Loss', loss, inputs);
  }

  build(): Graph {
    const method: Method = {
      _tag: 'Method',
      name: 'test',
      input: { size: this.size, channels: 3 },
      training: { batch: this.batch, steps: 1 },
      modules: this.modules,
      values: [],
      objectives: this.objectives,
      phases: [],
      representations: [],
    };
    return {
      method,
      nodes: this.nodes,
      modules: this.modules.map((decl) => ({ decl })),
      terms: [],
      representations: [],
    };
  }
}

/** A loss placeholder for value fields. */
export const V = PLACEHOLDER;
