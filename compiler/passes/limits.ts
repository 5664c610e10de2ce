/**
 * Pass 2b: size limits. After shape inference every parameter and every value has a size; a spec
 * whose parameters or any single tensor (at the spec's batch size) are beyond what TF.js can hold
 * is rejected here with `E_TOO_LARGE`, the number and a hint, rather than failing inside TF.js
 * (or running for minutes) after the checker said yes. Machine-dependent limits (the wasm heap,
 * free memory) are checked before training (`runtime/resources.ts`).
 */
import { left, right } from 'fp-ts/lib/Either.js';
import type { Graph } from '../ir/graph.js';
import { issue, type Issue } from '../ir/issue.js';
import { MAX_PARAMETERS, MAX_TENSOR_ELEMENTS } from '../ir/limits.js';
import { elementsOf } from './activations.js';
import type { Pass } from './pass.js';
import { graphEnv } from './shapes/pass.js';

const fmt = (n: number): string => (Number.isFinite(n) ? n.toExponential(2) : String(n));
const tooMany = (n: number, max: number): boolean => !Number.isFinite(n) || n > max;

const parameterIssues = (graph: Graph): Issue[] => {
  const counts = graph.modules.map((m, i) => ({
    i,
    name: m.decl.name,
    n: (m.params ?? []).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0),
  }));
  const total = counts.reduce((s, c) => s + c.n, 0);
  if (!tooMany(total, MAX_PARAMETERS)) return [];
  const biggest = counts.reduce((a, b) => (b.n > a.n ? b : a));
  return [
    issue(
      'E_TOO_LARGE',
      ['modules', biggest.i],
      `the method has ${fmt(total)} parameters (module "${biggest.name}" ${fmt(biggest.n)})`,
      {
        expected: `at most ${fmt(MAX_PARAMETERS)} parameters`,
        got: fmt(total),
        hint: 'reduce the widths (dim, hidden, channels) or the depth; ViT-B has 8.6e7 parameters',
      },
    ),
  ];
};

/** The largest value beyond `MAX_TENSOR_ELEMENTS` (one issue: its inputs and readers are as large). */
const tensorIssues = (graph: Graph): Issue[] => {
  const env = graphEnv(graph);
  const sized = graph.nodes
    .map((n) => ({ n, elements: elementsOf(n.type, env) }))
    .filter((x) => tooMany(x.elements, MAX_TENSOR_ELEMENTS));
  if (sized.length === 0) return [];
  const { n, elements } = sized.reduce((a, b) => (!(b.elements <= a.elements) ? b : a));
  return [
    issue(
      'E_TOO_LARGE',
      n.origin,
      `this value has ${fmt(elements)} elements at batch ${graph.method.training.batch}`,
      {
        expected: `at most ${fmt(MAX_TENSOR_ELEMENTS)} elements per tensor`,
        got: fmt(elements),
        hint: 'lower the batch, the image size or the widths',
      },
    ),
  ];
};

/** The size-limit pass (runs after shape inference). */
export const limits: Pass = {
  name: 'limits',
  why: 'a spec TF.js cannot hold is rejected with its numbers, before any tensor exists',
  run: (graph) => {
    const issues = [...parameterIssues(graph), ...tensorIssues(graph)];
    return issues.length > 0 ? left(issues) : right(graph);
  },
};
