/**
 * Structural difference of two plain JSON-like values (IR nodes): every leaf that differs, with
 * its path. Used by the EMA check (a target must be structurally identical to its source) and by
 * `tessera diff`.
 */

/** One differing leaf: `before` is absent (undefined) for an added field, `after` for a removed one. */
export interface Difference {
  readonly path: ReadonlyArray<string | number>;
  readonly before: unknown;
  readonly after: unknown;
}

const isRecord = (x: unknown): x is Readonly<Record<string, unknown>> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Every difference between `a` and `b`. Objects are compared key by key, arrays index by index;
 * a node whose `_tag` changed is reported as one difference (its whole value), not field by field.
 */
export const differences = (
  a: unknown,
  b: unknown,
  path: ReadonlyArray<string | number> = [],
): ReadonlyArray<Difference> => {
  if (Object.is(a, b)) return [];
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    return Array.from({ length: n }, (_, i) => differences(a[i], b[i], [...path, i])).flat();
  }
  if (isRecord(a) && isRecord(b) && a['_tag'] === b['_tag']) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differences(a[k], b[k], [...path, k]));
  }
  return [{ path, before: a, after: b }];
};

/** A compact rendering of a value for messages: JSON, cut at `max` characters. */
export const showValue = (x: unknown, max = 60): string => {
  if (x === undefined) return '(none)';
  const text = JSON.stringify(x) ?? String(x);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
};
