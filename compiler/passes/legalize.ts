/**
 * Pass 7: legalization for the chosen backend. Records which rewrites the graph needs there and
 * where; the lowering then uses that backend's kernel table (`compiler/lower/legalize`). On wasm
 * (facts in DESIGN.md section 4): conv filter gradients are missing (rewritten as forward
 * convolutions), matMul with a transposed operand is ~13x slower (explicit transposes, plain-
 * product gradients), gather has no gradient (scatterND), and there is no FFT on any path we can
 * differentiate there (DFT as two matmuls with constant cos/sin matrices, used on every backend).
 */
import { right } from 'fp-ts/lib/Either.js';
import type { Graph, GraphNode, LegalRule, LegalTarget } from '../ir/graph.js';
import type { NetNode } from '../ir/net.js';
import type { Pass } from './pass.js';
import { appliedNet } from './plan.js';

type Op = 'conv' | 'matmul';

const CONV: ReadonlySet<string> = new Set([
  'Conv2d',
  'ResNet',
  'UNetEncoder',
  'StylePyramidEncoder',
  'SpadeResBlock',
  'UNetDecoder',
  'PatchGan',
]);
const MATMUL: ReadonlySet<string> = new Set([
  'Linear',
  'Mlp',
  'Attention',
  'TransformerBlock',
  'Vit',
  'TransformerPredictor',
  'TokenPredictor',
  'FusionHead',
  'PatchEmbed',
  'StylePyramidEncoder',
  'SpadeResBlock',
]);

/** The heavy operations a net performs. */
export const netOps = (net: NetNode): ReadonlySet<Op> => {
  if (net._tag === 'Sequential') return new Set(net.layers.flatMap((l) => [...netOps(l)]));
  if (net._tag === 'Generator')
    return new Set([net.encoder, net.styleEncoder, net.decoder].flatMap((l) => [...netOps(l)]));
  const ops = new Set<Op>();
  if (CONV.has(net._tag)) ops.add('conv');
  if (MATMUL.has(net._tag)) ops.add('matmul');
  return ops;
};

const needsGather = (graph: Graph, n: GraphNode): boolean => {
  if (n.op === 'Gather') return true;
  const net = appliedNet(graph, n);
  return (
    net?._tag === 'TransformerPredictor' || (net?._tag === 'Vit' && n.inputs['keep'] !== undefined)
  );
};

const needsDft = (n: GraphNode): boolean =>
  (n.expr._tag === 'View' && n.expr.pipeline.some((a) => a._tag === 'SpectralNoise')) ||
  n.expr._tag === 'FftAmplitudeL1';

const rule = (
  graph: Graph,
  name: LegalRule['rule'],
  why: string,
  test: (n: GraphNode) => boolean,
): LegalRule | undefined => {
  const nodes = graph.nodes.filter(test).map((n) => n.id);
  return nodes.length === 0 ? undefined : { rule: name, why, nodes };
};

/** The rewrite rules `graph` needs on `backend`. */
export const legalTarget = (graph: Graph, backend: string): LegalTarget => {
  const wasm = backend === 'wasm';
  const has =
    (op: Op) =>
    (n: GraphNode): boolean =>
      netOps(appliedNet(graph, n) ?? { _tag: 'Flatten' }).has(op);
  const rules = [
    wasm
      ? rule(
          graph,
          'conv2d-gradients-as-convs',
          'wasm has no Conv2DBackpropFilter; backprop-input is slow',
          has('conv'),
        )
      : undefined,
    wasm
      ? rule(
          graph,
          'matmul-explicit-transposes',
          'wasm matMul with a transposed operand is ~13x slower than plain',
          has('matmul'),
        )
      : undefined,
    wasm
      ? rule(
          graph,
          'gather-scatter-gradient',
          'wasm has no UnsortedSegmentSum, so gather has no gradient',
          (n) => needsGather(graph, n),
        )
      : undefined,
    rule(
      graph,
      'dft-as-matmuls',
      'no differentiable FFT on wasm; a small 2-D DFT is two matmuls on every backend',
      needsDft,
    ),
  ];
  return { backend, rules: rules.filter((r): r is LegalRule => r !== undefined) };
};

/** The pass for one backend. */
export const legalize = (backend: string): Pass => ({
  name: `legalize-${backend}`,
  why: 'every op the step needs has a fast, differentiable kernel on the chosen backend',
  run: (graph) => right({ ...graph, target: legalTarget(graph, backend) }),
});
