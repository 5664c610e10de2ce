/**
 * Readable text of the IR: a graph, one node per line with its type when known
 * (`n7 = Apply online(x: n3)  : vector[B, 256]`), and a method summary. Used by
 * `checkMethod(spec, { dump: true })` (the IR after every pass) and the CLI.
 */
import type { Graph, GraphNode, ModuleInfo } from './graph.js';
import type { NetNode } from './net.js';
import type { AdaptiveWeight, FoldSpec, Method, ModuleDecl } from './node.js';
import type { Optimizer } from './optim.js';
import type { Schedule } from './schedule.js';
import { showType } from './types.js';

const num = (x: number): string =>
  x === 0 || Math.abs(x) >= 1e-3 ? String(Number(x.toPrecision(6))) : x.toExponential(2);

/** A schedule in a few words: `0.2`, `linear 0.996 -> 1`, `warmup 10% 0 -> 0.001, cosine -> 0`. */
export const showSchedule = (s: Schedule): string => {
  switch (s._tag) {
    case 'Constant':
      return num(s.value);
    case 'Linear':
    case 'Cosine': {
      const span = s.start === 0 && s.end === 1 ? '' : ` over [${num(s.start)}, ${num(s.end)}]`;
      return `${s._tag.toLowerCase()} ${num(s.from)} -> ${num(s.to)}${span}`;
    }
    case 'WarmupCosine':
      return `warmup ${num(s.warmup * 100)}% ${num(s.start)} -> ${num(s.peak)}, cosine -> ${num(s.end)}`;
  }
};

/** An optimizer in a few words: `AdamW(lr warmup ..., wd 0.1)`. */
export const showOptimizer = (o: Optimizer): string => {
  switch (o._tag) {
    case 'AdamW':
      return `AdamW(lr ${showSchedule(o.lr)}, wd ${showSchedule(o.weightDecay)}${o.decayAll ? ' on all params' : ''})`;
    case 'Adam':
      return `Adam(lr ${showSchedule(o.lr)}, betas ${o.betas.join('/')})`;
    case 'Lars':
      return `Lars(lr ${showSchedule(o.lr)}, wd ${showSchedule(o.weightDecay)}, momentum ${o.momentum})`;
    case 'Sgd':
      return `Sgd(lr ${showSchedule(o.lr)}, momentum ${o.momentum}${o.nesterov ? ', nesterov' : ''})`;
  }
};

/** A net in a few words: `Vit(dim 64, depth 2, heads 4, patch 8) -> Mlp(64 -> 128 -> 32, 3 layers)`. */
export const showNet = (n: NetNode): string => {
  switch (n._tag) {
    case 'Sequential':
      return n.layers.map(showNet).join(' -> ') || 'Sequential()';
    case 'Vit':
      return `Vit(dim ${n.dim}, depth ${n.depth}, heads ${n.heads}, patch ${n.patch}, ${n.output})`;
    case 'Mlp':
      return `Mlp(${n.in} -> ${n.hidden} -> ${n.out}, ${n.layers} layers)`;
    case 'Linear':
      return `Linear(${n.in} -> ${n.out})`;
    case 'ResNet':
      return `ResNet(${n.block}, ${n.stages.map((s) => s.blocks).join('-')})`;
    case 'Norm':
      return `Norm(${n.kind}, ${n.features}${n.affine ? '' : ', no affine'})`;
    case 'TransformerPredictor':
      return `TransformerPredictor(${n.inDim} -> ${n.dim}, depth ${n.depth})`;
    case 'Conv2d':
      return `Conv2d(${n.inChannels} -> ${n.outChannels}, k${n.kernel} s${n.stride})`;
    case 'Pool':
      return `Pool(${n.kind})`;
    case 'Field':
      return `Field(${n.name})`;
    case 'Activation':
      return `Activation(${n.fn})`;
    default:
      return n._tag;
  }
};

const ports = (node: GraphNode): string =>
  Object.entries(node.inputs)
    .map(([port, id]) => `${port}: ${id}`)
    .join(', ');

/** What a node computes, without its id and type: `Apply online(x: n3)`. */
export const showNode = (node: GraphNode): string => {
  const e = node.expr;
  switch (e._tag) {
    case 'Apply':
      return `Apply ${[e.module, ...e.path].join('.')}(${ports(node)})`;
    case 'Fn':
      return `Fn ${showNet(e.net)}(${ports(node)})`;
    case 'View':
      return `View "${e.name}"(${ports(node)}) [${e.pipeline.map((a) => a._tag).join(', ')}]`;
    case 'FieldOf':
      return `FieldOf .${e.name}(${ports(node)})`;
    case 'Input':
      return `Input ${e.name}`;
    case 'Masks':
      return `Masks "${e.name}" (${e.spec.targets} targets on ${e.spec.grid.join('x')})`;
    case 'TokenMask':
      return `TokenMask "${e.name}" (${e.count} tokens, ratio ${e.ratio})`;
    case 'Permute':
    case 'Memory':
      return `${e._tag} "${e.name}"(${ports(node)})`;
    default:
      return node.op === 'Loss' ? `Loss ${e._tag}(${ports(node)})` : `${e._tag}(${ports(node)})`;
  }
};

/** A FLOP count with a unit: `1.23 GFLOP`. */
export const showFlops = (flops: number): string => {
  const units: ReadonlyArray<readonly [number, string]> = [
    [1e12, 'TFLOP'],
    [1e9, 'GFLOP'],
    [1e6, 'MFLOP'],
    [1e3, 'kFLOP'],
  ];
  const unit = units.find(([scale]) => flops >= scale);
  return unit === undefined ? `${flops} FLOP` : `${(flops / unit[0]).toFixed(2)} ${unit[1]}`;
};

/** A parameter count with a unit: `21.67M`. */
export const showCount = (n: number): string =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(2)}B`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(2)}M`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(1)}k`
        : String(n);

/** One line per node: `n7 = Apply online(x: n3)  : vector[B, 256]  (1.20 MFLOP)`. */
export const printNode = (node: GraphNode): string =>
  `${node.id} = ${showNode(node)}${node.type === undefined ? '' : `  : ${showType(node.type)}`}${node.flops === undefined || node.flops === 0 ? '' : `  (${showFlops(node.flops)})`}`;

/** ` adaptive(...)` after a weight, or nothing. */
const showAdaptive = (a: AdaptiveWeight | undefined): string =>
  a === undefined
    ? ''
    : ` adaptive(target ${a.target}, rate ${a.rate}, [${a.min}, ${a.max}], every ${a.every})`;

const showModule = (d: ModuleDecl, info?: ModuleInfo): string => {
  const count =
    info?.params === undefined
      ? ''
      : `  [${showCount(info.params.filter((p) => !p.buffer).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0))} params]`;
  const ema =
    d.ema === undefined
      ? ''
      : `  EMA of ${d.ema.source} (momentum ${showSchedule(d.ema.momentum)})${
          (d.ema.alsoAfter ?? []).length > 0 ? `, also after ${d.ema.alsoAfter!.join(', ')}` : ''
        }`;
  const frozen = d.frozen.length === 0 ? '' : `  frozen ${d.frozen.join(', ')}`;
  return `  ${d.name} = ${showNet(d.net)}${ema}${frozen}${count}`;
};

/** The whole graph: modules, nodes in order, terms and representations. */
export const printGraph = (g: Graph): string =>
  [
    `graph of "${g.method.name}" (${g.nodes.length} nodes)`,
    'modules:',
    ...g.method.modules.map((d) =>
      showModule(
        d,
        g.modules.find((m) => m.decl.name === d.name),
      ),
    ),
    'nodes:',
    ...g.nodes.map((n) => `  ${printNode(n)}`),
    'terms:',
    ...g.terms.map(
      (t) =>
        `  ${t.objective}/${t.term} = ${t.node} x ${showSchedule(t.weight)}${showAdaptive(t.adaptive)}`,
    ),
    'representations:',
    ...g.representations.map((r) => `  ${r.name} = ${r.node}`),
  ].join('\n');

const showFolds = (f: FoldSpec | undefined): string =>
  f === undefined ? '' : `, ${f.k} folds (pair rotates every ${f.rotateEvery} epochs)`;

/** A summary of a method: input, modules, objectives with their terms, phases, representations. */
export const printMethod = (m: Method): string =>
  [
    `method "${m.name}": input ${m.input.size}x${m.input.size}x${m.input.channels}, batch ${m.training.batch}, ${m.training.steps} steps${showFolds(m.training.folds)}`,
    'modules:',
    ...m.modules.map((d) => showModule(d)),
    `values: ${m.values.map((v) => v.name).join(', ') || '(none)'}`,
    'objectives:',
    ...m.objectives.flatMap((o) => [
      `  ${o.name}: ${showOptimizer(o.optimizer)} on ${o.params.join(', ') || '(nothing)'}` +
        `${o.every === 1 ? '' : `, every ${o.every} steps (offset ${o.offset})`}${o.phases.length === 0 ? '' : `, phases ${o.phases.join(', ')}`}`,
      ...o.terms.map(
        (t) =>
          `    ${t.name}: ${t.loss._tag} x ${showSchedule(t.weight)}${showAdaptive(t.adaptive)}`,
      ),
    ]),
    ...(m.phases.length === 0
      ? []
      : [`phases: ${m.phases.map((p) => `${p.name} (${p.steps} steps)`).join(', ')}`]),
    `representations: ${m.representations.map((r) => r.name).join(', ') || '(none)'}`,
  ].join('\n');
