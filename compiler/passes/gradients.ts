/**
 * Pass 3, gradients and EMA (DESIGN.md section 3): checks, on the resolved graph, that training
 * can do what the spec says before any tensor exists.
 *
 * - E_EMA_OPTIMIZED: a module is both EMA-updated and in an objective's `params`.
 * - E_EMA_CHAIN: an EMA of itself or of another EMA module.
 * - E_EMA_MISMATCH: an EMA target's net differs from its source's (first differing field shown).
 * - E_NO_GRADIENT: an optimized module gets no gradient from any term of its objective: every
 *   path from the losses to its applications crosses a `StopGradient` or a `Memory` (detached
 *   replay). An EMA module's own weights are constants, but the lowering differentiates through
 *   it to its input (ST-STORM's `tok` term: `T_A(far)` trains `G_A`), so the walk continues past
 *   it. `R1` and `SpadeGate` reach the module they name directly.
 * - E_REPRESENTATION: a representation depends on a random or stateful value (View, Masks,
 *   TokenMask, Permute, Memory) or on `pairedImages`: evaluation features must come from clean
 *   `Input` `images`.
 * - E_PARAMS_IN_FN: a `Fn` applies a net that has parameters (it needs a named module).
 */
import * as E from 'fp-ts/lib/Either.js';
import { differences, showValue } from '../ir/difference.js';
import type { Graph, GraphNode, NodeId } from '../ir/graph.js';
import { type Issue, issue } from '../ir/issue.js';
import type { Method } from '../ir/node.js';
import { hasParams } from '../ir/ports.js';
import { isDeterministic } from '../ir/augment.js';
import type { Pass } from './pass.js';

const emaIssues = (m: Method): ReadonlyArray<Issue> => {
  const byName = new Map(m.modules.map((d) => [d.name, d]));
  const optimized = m.objectives.flatMap((o, i) =>
    o.params.flatMap((p, k) =>
      byName.get(p)?.ema === undefined
        ? []
        : [
            issue(
              'E_EMA_OPTIMIZED',
              ['objectives', i, 'params', k],
              `module "${p}" is EMA-updated and also optimized by objective "${o.name}"`,
              {
                hint: `remove "${p}" from the objective's params (its weights follow its EMA source)`,
              },
            ),
          ],
    ),
  );
  const targets = m.modules.flatMap((d, i) => {
    if (d.ema === undefined) return [];
    const source = byName.get(d.ema.source);
    if (source === undefined) return [];
    if (source.name === d.name || source.ema !== undefined) {
      return [
        issue(
          'E_EMA_CHAIN',
          ['modules', i, 'ema', 'source'],
          source.name === d.name
            ? `module "${d.name}" is an EMA of itself`
            : `module "${d.name}" is an EMA of "${source.name}", which is itself an EMA of "${source.ema?.source}"`,
          {
            hint:
              source.name === d.name
                ? 'name the online module it follows'
                : `use "${source.ema?.source}" as the source`,
          },
        ),
      ];
    }
    const diff = differences(source.net, d.net)[0];
    return diff === undefined
      ? []
      : [
          issue(
            'E_EMA_MISMATCH',
            ['modules', i, 'net', ...diff.path],
            `EMA target "${d.name}" differs from its source "${source.name}"`,
            {
              expected: `${showValue(diff.before)} (as in "${source.name}")`,
              got: showValue(diff.after),
              hint: `an EMA copies its source's weights, so both nets must be identical; give "${d.name}" the net of "${source.name}"`,
            },
          ),
        ];
  });
  return [...optimized, ...targets];
};

/** The modules that receive gradient from `roots`, walking inputs backwards (through EMA modules, not into their weights). */
export const gradientModules = (g: Graph, roots: ReadonlyArray<NodeId>): ReadonlySet<string> => {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const ema = new Set(g.method.modules.filter((d) => d.ema !== undefined).map((d) => d.name));
  const reached = new Set<string>();
  const seen = new Set<NodeId>();
  const visit = (id: NodeId): void => {
    const node = byId.get(id);
    if (node === undefined || seen.has(id)) return;
    seen.add(id);
    if (node.op === 'StopGradient' || node.op === 'Memory') return;
    if (node.expr._tag === 'Apply' && !ema.has(node.expr.module)) reached.add(node.expr.module);
    if ((node.expr._tag === 'R1' || node.expr._tag === 'SpadeGate') && !ema.has(node.expr.module))
      reached.add(node.expr.module);
    Object.values(node.inputs).forEach(visit);
  };
  roots.forEach(visit);
  return reached;
};

const noGradientIssues = (g: Graph): ReadonlyArray<Issue> => {
  const ema = new Set(g.method.modules.filter((d) => d.ema !== undefined).map((d) => d.name));
  return g.method.objectives.flatMap((o, i) => {
    const reached = gradientModules(
      g,
      g.terms.filter((t) => t.objective === o.name).map((t) => t.node),
    );
    if (o.params.length === 0)
      return [
        issue(
          'E_NO_GRADIENT',
          ['objectives', i, 'params'],
          `objective "${o.name}" trains no module (its params list is empty)`,
          {
            expected: 'the names of the modules this objective optimizes',
            got: '[]',
            hint: `list them, e.g. params: ["${g.method.modules[0]?.name ?? 'backbone'}"], or remove the objective`,
          },
        ),
      ];
    return o.params.flatMap((p, k) =>
      ema.has(p) || reached.has(p)
        ? []
        : [
            issue(
              'E_NO_GRADIENT',
              ['objectives', i, 'params', k],
              `module "${p}" receives no gradient from objective "${o.name}"`,
              {
                expected: `a loss term of "${o.name}" computed from "${p}" without StopGradient or an EMA module in between`,
                got:
                  o.terms.length === 0
                    ? 'no terms'
                    : `terms ${o.terms.map((t) => t.name).join(', ')} do not reach "${p}"`,
                hint: `apply "${p}" on the gradient side of a loss, or remove it from the objective's params`,
              },
            ),
          ],
    );
  });
};

const RANDOM_OPS: ReadonlySet<string> = new Set([
  'View',
  'Masks',
  'TokenMask',
  'Permute',
  'Memory',
]);

/** A `View` whose pipeline draws nothing at random (e.g. only `Normalize`). */
const isFixedView = (node: GraphNode): boolean =>
  node.expr._tag === 'View' && isDeterministic(node.expr.pipeline);

/** The other fold's batch: training data only (evaluation embeds one batch of images). */
const isPaired = (node: GraphNode): boolean =>
  node.expr._tag === 'Input' && node.expr.name === 'pairedImages';

/** The random or stateful nodes a node depends on (itself included; fixed views are not random). */
const randomAncestors = (
  byId: ReadonlyMap<NodeId, GraphNode>,
  root: NodeId,
): ReadonlyArray<GraphNode> => {
  const found: GraphNode[] = [];
  const seen = new Set<NodeId>();
  const visit = (id: NodeId): void => {
    const node = byId.get(id);
    if (node === undefined || seen.has(id)) return;
    seen.add(id);
    if ((RANDOM_OPS.has(node.op) && !isFixedView(node)) || isPaired(node)) found.push(node);
    Object.values(node.inputs).forEach(visit);
  };
  visit(root);
  return found;
};

const representationIssues = (g: Graph): ReadonlyArray<Issue> => {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  return g.representations.flatMap((r) => {
    const index = g.method.representations.findIndex((d) => d.name === r.name);
    const bad = randomAncestors(byId, r.node);
    return bad.length === 0
      ? []
      : [
          issue(
            'E_REPRESENTATION',
            ['representations', index, 'value'],
            `representation "${r.name}" depends on random or stateful values`,
            {
              expected: 'a value computed from clean Input images only',
              got: bad
                .map(
                  (n) =>
                    `${n.op} "${'name' in n.expr ? n.expr.name : ''}" at ${n.origin.join('.')}`,
                )
                .join('; '),
              hint: 'apply the module to { _tag: "Input", name: "images" } directly (evaluation sees no augmentation)',
            },
          ),
        ];
  });
};

const fnIssues = (g: Graph): ReadonlyArray<Issue> =>
  g.nodes.flatMap((n) =>
    n.expr._tag === 'Fn' && hasParams(n.expr.net)
      ? [
          issue(
            'E_PARAMS_IN_FN',
            [...n.origin, 'net'],
            `inline ${n.expr.net._tag} has parameters but belongs to no module`,
            {
              hint: 'declare it as a module and use Apply, so its weights have a name and an optimizer',
            },
          ),
        ]
      : [],
  );

/** Every gradient-flow and EMA issue of a resolved graph. */
export const gradientIssues = (g: Graph): ReadonlyArray<Issue> => [
  ...emaIssues(g.method),
  ...fnIssues(g),
  ...noGradientIssues(g),
  ...representationIssues(g),
];

/** Pass 3 (see the module comment). Annotates nothing: returns the same graph or the issues. */
export const gradients: Pass = {
  name: 'gradients',
  why: 'prove that every optimized module gets gradient, EMA targets mirror their sources, and evaluation features are deterministic, before any compute',
  run: (graph) => {
    const issues = gradientIssues(graph);
    return issues.length > 0 ? E.left(issues) : E.right(graph);
  },
};
