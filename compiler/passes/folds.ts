/**
 * Pseudo-domain fold checks of the resolve pass (`TrainingSpec.folds`, ST-STORM's `--k_folds`):
 * an `Input` `pairedImages` needs folds to be drawn from, and folds need at least two parts (one
 * fold has no other fold to pair with).
 */
import type { GraphNode } from '../ir/graph.js';
import { type Issue, issue } from '../ir/issue.js';
import type { Method } from '../ir/node.js';

const tooFew = (m: Method): ReadonlyArray<Issue> => {
  const k = m.training.folds?.k;
  if (k === undefined || k >= 2) return [];
  return [
    issue('E_FOLDS', ['training', 'folds', 'k'], `${k} fold cannot pair images across folds`, {
      expected: 'k >= 2 (pairedImages come from the fold after the one images come from)',
      got: String(k),
      hint: 'training: { folds: { k: 2, rotateEvery } } splits the data into two pseudo-domains',
    }),
  ];
};

const pairedWithoutFolds = (m: Method, nodes: ReadonlyArray<GraphNode>): ReadonlyArray<Issue> => {
  if (m.training.folds !== undefined) return [];
  const paired = nodes.find((n) => n.expr._tag === 'Input' && n.expr.name === 'pairedImages');
  if (paired === undefined) return [];
  return [
    issue('E_FOLDS', paired.origin, 'pairedImages needs pseudo-domain folds to draw from', {
      expected: 'training.folds: { k, rotateEvery }',
      got: 'no training.folds',
      hint: 'add training: { folds: { k: 2, rotateEvery: 1 } } to the method, or read Value.images()',
    }),
  ];
};

/** The fold issues of `m`, whose values resolved to `nodes`. */
export const foldIssues = (m: Method, nodes: ReadonlyArray<GraphNode>): ReadonlyArray<Issue> => [
  ...tooFew(m),
  ...pairedWithoutFolds(m, nodes),
];
