/**
 * Ablations on a built method: swap or remove a loss term, or set any option by its spec path
 * (e.g. `objectives.0.terms.0.loss.temperature`, or by names: `objectives.main.terms.ctr_12.loss.temperature`).
 * Each is data-first (`Method.override(m, path, v)`) or data-last for `pipe`
 * (`pipe(m, Method.override(path, v))`). Modules no longer used after a swap/removal are dropped.
 */
import * as E from 'fp-ts/lib/Either.js';
import { issue, type Issue } from '../compiler/ir/issue.js';
import type { LossNode } from '../compiler/ir/loss.js';
import type * as IR from '../compiler/ir/node.js';
import type { Loss } from './loss.js';

/** A term by name (unique across objectives) or by objective and term name. */
export type TermLocator = string | { readonly objective: string; readonly term: string };

const SCHEDULE_TAGS = new Set(['Constant', 'Linear', 'Cosine', 'WarmupCosine']);
const isMethod = (x: unknown): x is IR.Method =>
  typeof x === 'object' && x !== null && (x as { _tag?: unknown })._tag === 'Method';
const fail = (i: Issue): never => {
  throw new Error(
    `${i.message} [${i.code}] at ${i.path.join('.') || '(root)'}${i.hint ? `\nhint: ${i.hint}` : ''}`,
  );
};

/** Every module name a JSON-like value mentions (`Apply.module`, `R1.module`, `SpadeGate.module`). */
const mentioned = (x: unknown, into: Set<string>): Set<string> => {
  if (Array.isArray(x)) x.forEach((y) => mentioned(y, into));
  else if (typeof x === 'object' && x !== null) {
    const o = x as Record<string, unknown>;
    if (['Apply', 'R1', 'SpadeGate'].includes(o._tag as string) && typeof o.module === 'string')
      into.add(o.module);
    Object.values(o).forEach((y) => mentioned(y, into));
  }
  return into;
};

/** Drops modules nothing uses any more (and their names from objective params). */
const prune = (m: IR.Method): IR.Method => {
  const used = mentioned(
    [m.values, m.objectives.map((o) => o.terms), m.representations],
    new Set(),
  );
  for (let grew = true; grew;) {
    grew = false;
    for (const d of m.modules)
      if (used.has(d.name) && d.ema !== undefined && !used.has(d.ema.source))
        (used.add(d.ema.source), (grew = true));
  }
  return {
    ...m,
    modules: m.modules.filter((d) => used.has(d.name)),
    objectives: m.objectives.map((o) => ({ ...o, params: o.params.filter((p) => used.has(p)) })),
  };
};

const locate = (m: IR.Method, at: TermLocator): E.Either<Issue, readonly [number, number]> => {
  const [obj, name] = typeof at === 'string' ? [undefined, at] : [at.objective, at.term];
  const hits = m.objectives.flatMap((o, i) =>
    obj !== undefined && o.name !== obj
      ? []
      : o.terms.flatMap((t, j) => (t.name === name ? [[i, j] as const] : [])),
  );
  const all = m.objectives.flatMap((o) => o.terms.map((t) => `${o.name}/${t.name}`)).join(', ');
  const [first] = hits;
  if (first === undefined)
    return E.left(
      issue('E_DANGLING_REF', ['objectives'], `no loss term named "${name}"`, {
        hint: `terms: ${all}`,
      }),
    );
  if (hits.length > 1)
    return E.left(
      issue('E_DUPLICATE_NAME', ['objectives'], `several terms are named "${name}"`, {
        hint: `name the objective: { objective, term } (terms: ${all})`,
      }),
    );
  return E.right(first);
};

/** Rewrites the terms of objective `i`; an objective left without terms is dropped. */
const mapTerms = (
  m: IR.Method,
  i: number,
  f: (ts: ReadonlyArray<IR.Term>) => ReadonlyArray<IR.Term>,
): IR.Method => ({
  ...m,
  objectives: m.objectives
    .map((o, k) => (k === i ? { ...o, terms: f(o.terms) } : o))
    .filter((o) => o.terms.length > 0),
});

const swap = (m: IR.Method, at: TermLocator, loss: Loss | LossNode): IR.Method => {
  const [node, modules] = 'node' in loss ? [loss.node, loss.modules] : [loss, []];
  const pos = E.getOrElseW(fail)(locate(m, at));
  const known = new Set(m.modules.map((d) => d.name));
  const added = { ...m, modules: [...m.modules, ...modules.filter((d) => !known.has(d.name))] };
  return prune(
    mapTerms(added, pos[0], (ts) => ts.map((t, k) => (k === pos[1] ? { ...t, loss: node } : t))),
  );
};

const remove = (m: IR.Method, at: TermLocator): IR.Method => {
  const pos = E.getOrElseW(fail)(locate(m, at));
  return prune(mapTerms(m, pos[0], (ts) => ts.filter((_, k) => k !== pos[1])));
};

/**
 * Replaces the loss of one term (kept name and weight). New modules the loss applies are added;
 * modules no longer used are dropped. Throws on an unknown or ambiguous term name.
 * @example
 * ```ts
 * const x = Value.fn(Net.pool(), Value.images());
 * const base = Method.make({
 *   name: 'm', input: { size: 32 }, training: { batch: 8, steps: 10 },
 *   objectives: [{ name: 'main', terms: [Loss.term('reg', Loss.vicregVariance({ x }))], optimizer: Optim.sgd({ lr: 0.1 }), params: [] }],
 *   representations: { pooled: x },
 * });
 * const ablated = Method.swapLoss(base, 'reg', Loss.vicregCovariance({ x }));
 * ```
 */
export function swapLoss(method: IR.Method, term: TermLocator, loss: Loss | LossNode): IR.Method;
export function swapLoss(
  term: TermLocator,
  loss: Loss | LossNode,
): (method: IR.Method) => IR.Method;
export function swapLoss(...a: ReadonlyArray<unknown>): IR.Method | ((m: IR.Method) => IR.Method) {
  return isMethod(a[0])
    ? swap(a[0], a[1] as TermLocator, a[2] as Loss)
    : (m: IR.Method) => swap(m, a[0] as TermLocator, a[1] as Loss);
}

/**
 * Removes one term; an objective left without terms is removed, and so are unused modules.
 * Throws on an unknown or ambiguous term name.
 * @example
 * ```ts
 * const x = Value.fn(Net.pool(), Value.images());
 * const base = Method.make({
 *   name: 'm', input: { size: 32 }, training: { batch: 8, steps: 10 },
 *   objectives: [{ name: 'main', optimizer: Optim.sgd({ lr: 0.1 }), params: [],
 *     terms: [Loss.term('var', Loss.vicregVariance({ x })), Loss.term('cov', Loss.vicregCovariance({ x }))] }],
 *   representations: { pooled: x },
 * });
 * const noCov = pipe(base, Method.removeLoss('cov'));
 * ```
 */
export function removeLoss(method: IR.Method, term: TermLocator): IR.Method;
export function removeLoss(term: TermLocator): (method: IR.Method) => IR.Method;
export function removeLoss(
  ...a: ReadonlyArray<unknown>
): IR.Method | ((m: IR.Method) => IR.Method) {
  return isMethod(a[0])
    ? remove(a[0], a[1] as TermLocator)
    : (m: IR.Method) => remove(m, a[0] as TermLocator);
}

type Json = unknown;

const step = (
  here: Json,
  seg: string,
  at: ReadonlyArray<string | number>,
): E.Either<Issue, string | number> => {
  if (Array.isArray(here)) {
    if (/^\d+$/.test(seg) && Number(seg) < here.length) return E.right(Number(seg));
    const k = here.findIndex(
      (x) => typeof x === 'object' && x !== null && (x as { name?: unknown }).name === seg,
    );
    const names = here.map((x, i) =>
      typeof x === 'object' && x !== null && 'name' in x ? String(x.name) : String(i),
    );
    return k >= 0
      ? E.right(k)
      : E.left(
          issue('E_MISSING_FIELD', at, `no element "${seg}" in this list`, {
            hint: `use an index 0..${here.length - 1} or a name: ${names.join(', ')}`,
          }),
        );
  }
  if (typeof here === 'object' && here !== null && Object.prototype.hasOwnProperty.call(here, seg))
    return E.right(seg);
  const keys =
    typeof here === 'object' && here !== null ? Object.keys(here).join(', ') : `a ${typeof here}`;
  return E.left(
    issue('E_MISSING_FIELD', at, `no field "${seg}" here`, { hint: `fields here: ${keys}` }),
  );
};

const coerce = (
  old: Json,
  value: Json,
  at: ReadonlyArray<string | number>,
): E.Either<Issue, Json> => {
  const isSchedule =
    typeof old === 'object' &&
    old !== null &&
    SCHEDULE_TAGS.has((old as { _tag?: string })._tag ?? '');
  if (isSchedule && typeof value === 'number') return E.right({ _tag: 'Constant', value });
  const kind = (x: Json): string => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
  return kind(old) === kind(value)
    ? E.right(value)
    : E.left(
        issue('E_TYPE', at, 'the new value has the wrong type', {
          expected: kind(old),
          got: kind(value),
        }),
      );
};

const setAt = (
  here: Json,
  segs: ReadonlyArray<string>,
  value: Json,
  at: ReadonlyArray<string | number>,
): E.Either<Issue, Json> => {
  const [seg, ...rest] = segs;
  if (seg === undefined) return coerce(here, value, at);
  return E.chain((k: string | number) => {
    const path = [...at, k];
    const child = (here as Record<string | number, Json>)[k];
    return E.map((v: Json) =>
      Array.isArray(here) ? here.map((x, i) => (i === k ? v : x)) : { ...(here as object), [k]: v },
    )(setAt(child, rest, value, path));
  })(step(here, seg, at));
};

/**
 * Sets one option by its spec path and returns `Either<Issue, Method>`; never throws. List elements
 * are addressed by index or by `name`; a number given for a schedule becomes a constant schedule;
 * the new value must have the old value's JSON type.
 * @example
 * ```ts
 * const x = Value.fn(Net.pool(), Value.images());
 * const m = Method.make({
 *   name: 'm', input: { size: 32 }, training: { batch: 8, steps: 10 },
 *   objectives: [{ name: 'main', terms: [Loss.term('var', Loss.vicregVariance({ x }))], optimizer: Optim.sgd({ lr: 0.1 }), params: [] }],
 *   representations: { pooled: x },
 * });
 * const r = Method.tryOverride(m, 'objectives.0.optimizer.lr', 0.05); // right(method)
 * const bad = Method.tryOverride(m, 'objectives.0.optimizer.learningRate', 0.05); // left(issue E_MISSING_FIELD)
 * ```
 */
export const tryOverride = (
  method: IR.Method,
  path: string,
  value: unknown,
): E.Either<Issue, IR.Method> =>
  setAt(
    method,
    path.split('.').filter((s) => s.length > 0),
    value,
    [],
  ) as E.Either<Issue, IR.Method>;

/**
 * Sets one option by its spec path (see `tryOverride`); throws a clear error on a bad path or type.
 * @example
 * ```ts
 * const x = Value.fn(Net.pool(), Value.images());
 * const m = Method.make({
 *   name: 'm', input: { size: 32 }, training: { batch: 8, steps: 10 },
 *   objectives: [{ name: 'main', terms: [Loss.term('var', Loss.vicregVariance({ x }))], optimizer: Optim.sgd({ lr: 0.1 }), params: [] }],
 *   representations: { pooled: x },
 * });
 * const a = Method.override(m, 'objectives.main.terms.var.weight', 0.5);
 * const b = pipe(m, Method.override('training.batch', 16));
 * ```
 */
export function override(method: IR.Method, path: string, value: unknown): IR.Method;
export function override(path: string, value: unknown): (method: IR.Method) => IR.Method;
export function override(...a: ReadonlyArray<unknown>): IR.Method | ((m: IR.Method) => IR.Method) {
  const run = (m: IR.Method, path: string, v: unknown): IR.Method =>
    E.getOrElseW(fail)(tryOverride(m, path, v));
  return isMethod(a[0])
    ? run(a[0], a[1] as string, a[2])
    : (m: IR.Method) => run(m, a[0] as string, a[1]);
}
