/**
 * A method graph as a diagram, for `tessera graph`: views, branches (module applications), loss
 * terms with their weights, representations; stop-gradient and EMA edges dashed. Built once as
 * data (`diagramOf`), then written as Mermaid or Graphviz dot.
 */
import type { Graph, GraphNode, NodeId } from '../compiler/ir/graph.js';
import { showNet, showSchedule } from '../compiler/ir/printer.js';
import { showType } from '../compiler/ir/types.js';

/** How a diagram node is drawn. */
export type NodeStyle = 'input' | 'view' | 'branch' | 'ema' | 'op' | 'loss' | 'representation';

/** A diagram node. */
export interface DiagramNode {
  readonly id: string;
  readonly label: string;
  readonly style: NodeStyle;
}

/** A diagram edge; `dashed` for stop-gradient and EMA edges. */
export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
  readonly dashed: boolean;
}

/** A whole diagram. */
export interface Diagram {
  readonly title: string;
  readonly nodes: ReadonlyArray<DiagramNode>;
  readonly edges: ReadonlyArray<DiagramEdge>;
}

const labelOf = (g: Graph, n: GraphNode): string => {
  const e = n.expr;
  const type = n.type === undefined ? '' : `\n${showType(n.type)}`;
  switch (e._tag) {
    case 'Input':
      return `${e.name}${type}`;
    case 'View':
      return `view ${e.name}\n${e.pipeline.map((a) => a._tag).join(', ')}`;
    case 'Apply':
      return `${[e.module, ...e.path].join('.')}${type}`;
    case 'Fn':
      return `${showNet(e.net)}${type}`;
    case 'FieldOf':
      return `.${e.name}`;
    case 'Masks':
    case 'TokenMask':
    case 'Permute':
    case 'Memory':
      return `${e._tag} ${e.name}`;
    default:
      if (n.op !== 'Loss') return `${e._tag}${type}`;
      return (
        g.terms
          .filter((t) => t.node === n.id)
          .map((t) => `${t.objective}/${t.term}\n${e._tag} x ${showSchedule(t.weight)}`)
          .join('\n') || e._tag
      );
  }
};

const styleOf = (g: Graph, n: GraphNode): NodeStyle => {
  const e = n.expr;
  if (n.op === 'Loss') return 'loss';
  if (e._tag === 'Input') return 'input';
  if (e._tag === 'View') return 'view';
  if (e._tag === 'Apply')
    return g.method.modules.find((m) => m.name === e.module)?.ema === undefined ? 'branch' : 'ema';
  return 'op';
};

/** The diagram of a resolved graph: StopGradient nodes become dashed `stop-grad` edges. */
export const diagramOf = (g: Graph): Diagram => {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  // a StopGradient node is drawn as its source, with dashed out-edges
  const through = (id: NodeId): { readonly id: NodeId; readonly sg: boolean } => {
    const n = byId.get(id);
    return n?.op === 'StopGradient'
      ? { id: through(n.inputs['source'] ?? id).id, sg: true }
      : { id, sg: false };
  };
  const shown = g.nodes.filter((n) => n.op !== 'StopGradient');
  const nodes: DiagramNode[] = shown.map((n) => ({
    id: n.id,
    label: labelOf(g, n),
    style: styleOf(g, n),
  }));
  const edges: DiagramEdge[] = shown.flatMap((n) =>
    Object.entries(n.inputs).map(([port, input]) => {
      const src = through(input);
      const portLabel = Object.keys(n.inputs).length > 1 ? port : undefined;
      const label = src.sg
        ? portLabel === undefined
          ? 'stop-grad'
          : `${portLabel}, stop-grad`
        : portLabel;
      return { from: src.id, to: n.id, dashed: src.sg, ...(label === undefined ? {} : { label }) };
    }),
  );
  for (const d of g.method.modules) {
    if (d.ema === undefined) continue;
    const from = g.nodes.find((n) => n.expr._tag === 'Apply' && n.expr.module === d.ema?.source);
    const to = g.nodes.find((n) => n.expr._tag === 'Apply' && n.expr.module === d.name);
    if (from !== undefined && to !== undefined)
      edges.push({
        from: from.id,
        to: to.id,
        dashed: true,
        label: `EMA ${showSchedule(d.ema.momentum)}`,
      });
  }
  for (const r of g.representations) {
    const id = `rep_${r.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    nodes.push({ id, label: `representation ${r.name}`, style: 'representation' });
    edges.push({ from: through(r.node).id, to: id, dashed: false });
  }
  return { title: g.method.name, nodes, edges };
};

const mermaidText = (s: string): string => s.replace(/"/g, '#quot;').replace(/\n/g, '<br/>');

const MERMAID_SHAPES: Readonly<Record<NodeStyle, readonly [string, string]>> = {
  input: ['([', '])'],
  view: ['[/', '/]'],
  branch: ['[', ']'],
  ema: ['[', ']'],
  op: ['(', ')'],
  loss: ['{{', '}}'],
  representation: ['>', ']'],
};

/** The diagram as a Mermaid flowchart (left to right). */
export const toMermaid = (d: Diagram): string => {
  const lines = [`%% ${d.title}`, 'flowchart LR'];
  for (const n of d.nodes) {
    const [open, close] = MERMAID_SHAPES[n.style];
    lines.push(`  ${n.id}${open}"${mermaidText(n.label)}"${close}`);
  }
  for (const e of d.edges) {
    const arrow = e.dashed ? '-.->' : '-->';
    lines.push(
      `  ${e.from} ${arrow}${e.label === undefined ? '' : `|"${mermaidText(e.label)}"|`} ${e.to}`,
    );
  }
  lines.push(
    '  classDef ema fill:#eee,stroke:#888,stroke-dasharray: 4 2;',
    '  classDef loss fill:#fde,stroke:#c36;',
  );
  const ema = d.nodes.filter((n) => n.style === 'ema').map((n) => n.id);
  const loss = d.nodes.filter((n) => n.style === 'loss').map((n) => n.id);
  if (ema.length > 0) lines.push(`  class ${ema.join(',')} ema;`);
  if (loss.length > 0) lines.push(`  class ${loss.join(',')} loss;`);
  return `${lines.join('\n')}\n`;
};

const dotText = (s: string): string =>
  s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const DOT_SHAPES: Readonly<Record<NodeStyle, string>> = {
  input: 'shape=oval',
  view: 'shape=parallelogram',
  branch: 'shape=box',
  ema: 'shape=box, style=dashed',
  op: 'shape=box, style=rounded',
  loss: 'shape=hexagon, color="#cc3366"',
  representation: 'shape=cds',
};

/** The diagram as a Graphviz dot digraph (left to right). */
export const toDot = (d: Diagram): string =>
  [
    `digraph "${dotText(d.title)}" {`,
    '  rankdir=LR;',
    ...d.nodes.map((n) => `  ${n.id} [label="${dotText(n.label)}", ${DOT_SHAPES[n.style]}];`),
    ...d.edges.map((e) => {
      const attrs = [
        ...(e.dashed ? ['style=dashed'] : []),
        ...(e.label === undefined ? [] : [`label="${dotText(e.label)}"`]),
      ];
      return `  ${e.from} -> ${e.to}${attrs.length === 0 ? '' : ` [${attrs.join(', ')}]`};`;
    }),
    '}',
    '',
  ].join('\n');
