/**
 * Structural comparison of two methods, by name: modules, values, objectives, their loss terms,
 * phases and representations added, removed or changed (with the changed fields), plus the
 * top-level settings. Pure data; `tessera diff` renders it and adds parameter and FLOP deltas.
 */
import { type Difference, differences, showValue } from './difference.js';
import type { Method } from './node.js';

/** One entry of a named collection that differs between the two methods. */
export interface Change {
  /** `modules`, `values`, `objectives`, `terms`, `phases`, `representations` or `settings`. */
  readonly kind: string;
  /** The entry's name; terms are `objective/term`. */
  readonly name: string;
  readonly status: 'added' | 'removed' | 'changed';
  /** For `changed`: the differing fields. */
  readonly fields: ReadonlyArray<Difference>;
  /** For `added`/`removed`: the entry, in a few words. */
  readonly summary?: string;
}

interface Named {
  readonly name: string;
}

const summaryOf = (x: unknown): string => {
  const tagOf = (v: unknown): string | undefined =>
    typeof v === 'object' && v !== null ? (v as { _tag?: string })._tag : undefined;
  const r = x as Record<string, unknown>;
  return tagOf(r['loss']) ?? tagOf(r['net']) ?? tagOf(r['value']) ?? showValue(x);
};

const compareNamed = <A extends Named>(
  kind: string,
  a: ReadonlyArray<A>,
  b: ReadonlyArray<A>,
  omit: ReadonlyArray<string> = [],
): ReadonlyArray<Change> => {
  const strip = (x: A): unknown =>
    Object.fromEntries(Object.entries(x).filter(([k]) => !omit.includes(k)));
  const inB = new Map(b.map((x) => [x.name, x]));
  const inA = new Map(a.map((x) => [x.name, x]));
  const removed = a
    .filter((x) => !inB.has(x.name))
    .map((x): Change => ({
      kind,
      name: x.name,
      status: 'removed',
      fields: [],
      summary: summaryOf(x),
    }));
  const changed = a.flatMap((x): ReadonlyArray<Change> => {
    const y = inB.get(x.name);
    if (y === undefined) return [];
    const fields = differences(strip(x), strip(y));
    return fields.length === 0 ? [] : [{ kind, name: x.name, status: 'changed', fields }];
  });
  const added = b
    .filter((x) => !inA.has(x.name))
    .map((x): Change => ({
      kind,
      name: x.name,
      status: 'added',
      fields: [],
      summary: summaryOf(x),
    }));
  return [...removed, ...changed, ...added];
};

const compareTerms = (a: Method, b: Method): ReadonlyArray<Change> =>
  a.objectives.flatMap((o) => {
    const other = b.objectives.find((p) => p.name === o.name);
    if (other === undefined) return [];
    const prefix = (terms: typeof o.terms) =>
      terms.map((t) => ({ ...t, name: `${o.name}/${t.name}` }));
    return compareNamed('terms', prefix(o.terms), prefix(other.terms));
  });

/** Every difference between method `a` and method `b`. Empty when they are structurally equal. */
export const compareMethods = (a: Method, b: Method): ReadonlyArray<Change> => {
  const settings = differences(
    { name: a.name, input: a.input, training: a.training },
    { name: b.name, input: b.input, training: b.training },
  );
  return [
    ...(settings.length === 0
      ? []
      : [{ kind: 'settings', name: 'method', status: 'changed' as const, fields: settings }]),
    ...compareNamed('modules', a.modules, b.modules),
    ...compareNamed('values', a.values, b.values),
    ...compareNamed('objectives', a.objectives, b.objectives, ['terms']),
    ...compareTerms(a, b),
    ...compareNamed('phases', a.phases, b.phases),
    ...compareNamed('representations', a.representations, b.representations),
  ];
};

/** One changed field as text: `loss: InfoNCE -> L2`, `net.depth: 2 -> 3`. */
export const showField = (d: Difference): string => {
  const tag = (x: unknown): string | undefined =>
    typeof x === 'object' && x !== null ? (x as { _tag?: string })._tag : undefined;
  const before = tag(d.before) ?? showValue(d.before, 40);
  const after = tag(d.after) ?? showValue(d.after, 40);
  return `${d.path.join('.') || '(value)'}: ${before} -> ${after}`;
};
