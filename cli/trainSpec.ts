/**
 * What `tessera train` trains: the spec (a library method, a spec file, or the spec of the run
 * being resumed), with `--batch`, `--steps` and every `--set` applied, checked by the checker
 * before any tensor exists. The result is the fully resolved spec written to `DIR/spec.json`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { checkMethod, type CheckedGraph } from '../compiler/check.js';
import type { Issue } from '../compiler/ir/issue.js';
import type { Method } from '../compiler/ir/node.js';
import { renderIssues } from '../compiler/ir/render.js';
import type { MethodName } from '../library/index.js';
import { applyOverrides, type Override } from './overrides.js';
import { fromLibrary, loadSpec } from './specSource.js';

/**
 * What `tessera train` trains without `--method` or `--spec`: MoCo v3, whose `tiny` preset learns
 * content on the built-in data within the main job's ~5 minutes (docs/learning.md). ST-STORM, the
 * flagship definition, does not yet at that budget (its semantic branch learns from an untrained
 * generator's images at batch 8; measured in docs/learning.md): `--method st-storm` trains it.
 */
export const DEFAULT_METHOD: MethodName = 'moco-v3';

/** Where the spec comes from. */
export interface SpecRequest {
  readonly method?: string | undefined;
  readonly spec?: string | undefined;
  /** Default `tiny` (training the paper preset needs a GPU and ImageNet). */
  readonly preset?: string | undefined;
  /** A spec already loaded (the run folder's, when resuming). */
  readonly loaded?: { readonly spec: unknown; readonly name: string };
  readonly batch?: number | undefined;
  readonly overrides: ReadonlyArray<Override>;
}

/**
 * A resolved spec (its checked graph, which `train` takes without checking it again, and the
 * graph's `method`), or why not: an error message with its exit code, or the issues (exit 1).
 */
export type Resolved =
  | {
      readonly ok: true;
      readonly method: Method;
      readonly checked: CheckedGraph;
      readonly name: string;
    }
  | { readonly ok: false; readonly code: 1 | 2; readonly message: string };

const issuesOf = (name: string, issues: ReadonlyArray<Issue>): Resolved => ({
  ok: false,
  code: 1,
  message: renderIssues(issues, name),
});

const source = async (r: SpecRequest) => {
  if (r.loaded !== undefined) return { ok: true as const, ...r.loaded };
  if (r.method !== undefined && r.spec !== undefined)
    return {
      ok: false as const,
      code: 2 as const,
      error: 'give either --method or --spec, not both',
    };
  if (r.spec !== undefined) {
    if (r.preset !== undefined)
      return { ok: false as const, code: 2 as const, error: '--preset goes with --method' };
    return loadSpec(r.spec);
  }
  return fromLibrary(r.method ?? DEFAULT_METHOD, r.preset ?? 'tiny');
};

/** Loads, overrides (`--batch` is `training.batch`, then every `--set` in order) and checks the spec. */
export const resolveSpec = async (r: SpecRequest): Promise<Resolved> => {
  const loaded = await source(r);
  if (!loaded.ok)
    return 'error' in loaded
      ? { ok: false, code: loaded.code, message: loaded.error }
      : issuesOf(loaded.name, loaded.issues);
  const sized: Override[] =
    r.batch !== undefined ? [{ path: 'training.batch', value: r.batch }] : [];
  const { spec, issues } = applyOverrides(loaded.spec, [...sized, ...r.overrides]);
  const name =
    typeof (spec as { name?: unknown })?.name === 'string'
      ? (spec as { name: string }).name
      : loaded.name;
  if (issues.length > 0) return issuesOf(name, issues);
  const checked = checkMethod(spec);
  if (E.isLeft(checked)) return issuesOf(name, checked.left);
  return { ok: true, method: checked.right.method, checked: checked.right, name: loaded.name };
};
