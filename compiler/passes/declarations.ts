/**
 * Declaration checks of the resolve pass that need no graph: unique names (modules, values,
 * objectives, terms of an objective, phases, representations) and phase membership
 * (every phase an objective names exists; every declared phase has an objective that runs in it).
 */
import { type Issue, issue } from '../ir/issue.js';
import type { Method } from '../ir/node.js';
import type { SpecPath } from '../ir/graph.js';
import { didYouMean } from '../ir/suggest.js';

const duplicates = (
  what: string,
  names: ReadonlyArray<string>,
  at: (i: number) => SpecPath,
): ReadonlyArray<Issue> => {
  const first = new Map<string, number>();
  return names.flatMap((name, i) => {
    const previous = first.get(name);
    if (previous === undefined) {
      first.set(name, i);
      return [];
    }
    return [
      issue('E_DUPLICATE_NAME', at(i), `${what} "${name}" is declared twice`, {
        expected: 'a unique name',
        got: `"${name}", also at ${at(previous).join('.')}`,
        hint: `rename one of the two ${what}s`,
      }),
    ];
  });
};

/** Every duplicated name of the method. */
export const duplicateNames = (m: Method): ReadonlyArray<Issue> => [
  ...duplicates(
    'module',
    m.modules.map((x) => x.name),
    (i) => ['modules', i, 'name'],
  ),
  ...duplicates(
    'value',
    m.values.map((x) => x.name),
    (i) => ['values', i, 'name'],
  ),
  ...duplicates(
    'objective',
    m.objectives.map((x) => x.name),
    (i) => ['objectives', i, 'name'],
  ),
  ...m.objectives.flatMap((o, k) =>
    duplicates(
      'term',
      o.terms.map((x) => x.name),
      (i) => ['objectives', k, 'terms', i, 'name'],
    ),
  ),
  ...duplicates(
    'phase',
    m.phases.map((x) => x.name),
    (i) => ['phases', i, 'name'],
  ),
  ...duplicates(
    'representation',
    m.representations.map((x) => x.name),
    (i) => ['representations', i, 'name'],
  ),
];

/** Objectives naming unknown phases, and declared phases in which no objective runs. */
export const phaseIssues = (m: Method): ReadonlyArray<Issue> => {
  const declared = m.phases.map((p) => p.name);
  const unknown = m.objectives.flatMap((o, i) =>
    o.phases.flatMap((name, k) => {
      if (declared.includes(name)) return [];
      const hint = didYouMean(name, declared);
      return [
        issue(
          'E_PHASE',
          ['objectives', i, 'phases', k],
          `objective "${o.name}" runs in unknown phase "${name}"`,
          {
            expected:
              declared.length === 0
                ? 'no phases (the method declares none)'
                : `one of ${declared.join(', ')}`,
            got: `"${name}"`,
            ...(hint === undefined ? {} : { hint }),
          },
        ),
      ];
    }),
  );
  const idle = m.phases.flatMap((p, i) =>
    m.objectives.some((o) => o.phases.length === 0 || o.phases.includes(p.name))
      ? []
      : [
          issue('E_PHASE', ['phases', i], `no objective runs in phase "${p.name}"`, {
            hint: `add "${p.name}" to an objective's phases, or remove the phase`,
          }),
        ],
  );
  return [...unknown, ...idle];
};

/** All declaration issues. */
export const checkDeclarations = (m: Method): ReadonlyArray<Issue> => [
  ...duplicateNames(m),
  ...phaseIssues(m),
];
