/**
 * `--set PATH=VALUE`: spec overrides for ablations. `PATH` is a spec path with indices or names
 * (`objectives.0.terms.ctr_12.loss.temperature`); `VALUE` is JSON when it parses (a number, a
 * boolean, an array, a whole loss term `{"_tag": "InfoNCE", ...}`), a plain string otherwise. A
 * number given for a schedule becomes a constant schedule (`Method.tryOverride`, dsl/ablate.ts).
 */
import * as E from 'fp-ts/lib/Either.js';
import { issue, type Issue } from '../compiler/ir/issue.js';
import type { Method } from '../compiler/ir/node.js';
import { tryOverride } from '../dsl/ablate.js';

/** One parsed `--set`. */
export interface Override {
  readonly path: string;
  readonly value: unknown;
}

/** Parses `PATH=VALUE`; a missing `=` or an empty path is a usage error (returned as a message). */
export const parseOverride = (text: string): E.Either<string, Override> => {
  const eq = text.indexOf('=');
  if (eq <= 0)
    return E.left(
      `--set ${text}: expected PATH=VALUE\nhint: e.g. --set objectives.0.terms.0.loss.temperature=0.1`,
    );
  const path = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // not JSON: a plain string (e.g. an activation name)
  }
  return E.right({ path, value });
};

/**
 * Applies overrides in order. Every bad path or type becomes an issue located at the path (all
 * are collected); the spec with the good ones applied is returned with them.
 */
export const applyOverrides = (
  spec: unknown,
  overrides: ReadonlyArray<Override>,
): { readonly spec: unknown; readonly issues: ReadonlyArray<Issue> } => {
  const issues: Issue[] = [];
  let current = spec;
  for (const o of overrides) {
    if (typeof current !== 'object' || current === null) {
      issues.push(issue('E_JSON', [], 'the spec is not an object; --set cannot apply'));
      break;
    }
    const r = tryOverride(current as Method, o.path, o.value);
    if (E.isLeft(r)) issues.push({ ...r.left, message: `--set ${o.path}: ${r.left.message}` });
    else current = r.right;
  }
  return { spec: current, issues };
};
