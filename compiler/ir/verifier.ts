/**
 * Graph invariants, checked after every pass in tests and in `checkMethod`: node ids are
 * unique; nodes are in topological order (every input is an earlier node); every input, term
 * representation and step-plan entry points at an existing node; loss nodes back the terms. A violation is a
 * compiler bug, reported as issues so it is never silent.
 */
import type { Graph, NodeId } from './graph.js';
import { type Issue, issue } from './issue.js';

/** Every invariant violation of `g` (empty when the graph is well formed). */
export const verifyGraph = (g: Graph): ReadonlyArray<Issue> => {
  const issues: Issue[] = [];
  const position = new Map<NodeId, number>();
  g.nodes.forEach((n, i) => {
    if (position.has(n.id))
      issues.push(issue('E_DUPLICATE_NAME', ['nodes', i, 'id'], `node id "${n.id}" is used twice`));
    else position.set(n.id, i);
  });
  g.nodes.forEach((n, i) => {
    for (const [port, id] of Object.entries(n.inputs)) {
      const at = position.get(id);
      if (at === undefined)
        issues.push(
          issue(
            'E_DANGLING_REF',
            ['nodes', i, 'inputs', port],
            `node ${n.id} reads missing node "${id}"`,
          ),
        );
      else if (at >= i)
        issues.push(
          issue(
            'E_CYCLE',
            ['nodes', i, 'inputs', port],
            `node ${n.id} reads ${id}, which comes after it`,
            { expected: 'topological order' },
          ),
        );
    }
  });
  g.terms.forEach((t, i) => {
    const at = position.get(t.node);
    if (at === undefined)
      issues.push(
        issue(
          'E_DANGLING_REF',
          ['terms', i, 'node'],
          `term ${t.objective}/${t.term} points at missing node "${t.node}"`,
        ),
      );
    else if (g.nodes[at]?.op !== 'Loss')
      issues.push(
        issue(
          'E_KIND',
          ['terms', i, 'node'],
          `term ${t.objective}/${t.term} points at a ${g.nodes[at]?.op} node`,
          { expected: 'a Loss node' },
        ),
      );
  });
  g.representations.forEach((r, i) => {
    if (!position.has(r.node))
      issues.push(
        issue(
          'E_DANGLING_REF',
          ['representations', i, 'node'],
          `representation ${r.name} points at missing node "${r.node}"`,
        ),
      );
  });
  (g.plan ?? []).forEach((p, i) => {
    const ids: ReadonlyArray<readonly [string, ReadonlyArray<NodeId>]> = [
      ['terms', p.terms.map((t) => t.node)],
      ['constant', p.constant],
      ['taped', p.taped],
    ];
    for (const [field, list] of ids)
      list.forEach((id, j) => {
        if (!position.has(id))
          issues.push(
            issue(
              'E_DANGLING_REF',
              ['plan', i, field, j],
              `the step plan of objective ${p.objective.name} reads missing node "${id}"`,
            ),
          );
      });
  });
  return issues;
};
