/**
 * Issues drawn as a tree (DESIGN.md section 3):
 *
 * ```
 * Invalid spec "moco-v3":
 * ├─ modules.1.net._tag  [E_UNKNOWN_TAG]
 * │  unknown net "Mpl"; known: Linear, Mlp, ...
 * │  hint: did you mean "Mlp"?
 * └─ objectives.0.terms.0.loss.query  [E_SHAPE]
 *    expected input [batch, 256], got [batch, 4096] from projector
 *    hint: Net.mlp({ in: 4096, ... }) or give the projector out: 256
 * ```
 */
import type { Issue } from './issue.js';

/** A spec path as text: `objectives.0.terms.0.loss.query`, or `(spec)` for the root. */
export const showPath = (path: ReadonlyArray<string | number>): string =>
  path.length === 0 ? '(spec)' : path.join('.');

/** The body lines of one issue: message, expected/got, hint. */
export const issueLines = (i: Issue): ReadonlyArray<string> => {
  const expectation =
    i.expected !== undefined && i.got !== undefined
      ? [`expected ${i.expected}, got ${i.got}`]
      : i.expected !== undefined
        ? [`expected ${i.expected}`]
        : i.got !== undefined
          ? [`got ${i.got}`]
          : [];
  return [i.message, ...expectation, ...(i.hint === undefined ? [] : [`hint: ${i.hint}`])];
};

/** One issue as a tree branch; `last` draws the closing corner. */
export const renderIssue = (i: Issue, last: boolean): string => {
  const [head, pipe] = last ? ['└─ ', '   '] : ['├─ ', '│  '];
  return [
    `${head}${showPath(i.path)}  [${i.code}]`,
    ...issueLines(i).map((line) => `${pipe}${line}`),
  ].join('\n');
};

/** Every issue under a title naming the spec: `Invalid spec "moco-v3":`. */
export const renderIssues = (issues: ReadonlyArray<Issue>, specName: string): string =>
  [
    `Invalid spec "${specName}":`,
    ...issues.map((i, k) => renderIssue(i, k === issues.length - 1)),
  ].join('\n');
