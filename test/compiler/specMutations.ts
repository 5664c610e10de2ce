/**
 * Mutated library specs for property tests (issue 12, item 3): the three methods' `tiny` specs as
 * JSON, every path inside them, and `mutate`, which sets 1-3 paths to values from a list.
 */
import fc from 'fast-check';
import { methods } from '../../library/index.js';

export type Json = unknown;

/** The three library methods' `tiny` specs, as plain JSON. */
export const specs: ReadonlyArray<Json> = (['moco-v3', 'i-jepa', 'st-storm'] as const).map(
  (n) => JSON.parse(JSON.stringify(methods[n]('tiny'))) as Json,
);

/** Every path to a value inside `v` (objects and arrays), iteratively. */
export const pathsOf = (v: Json): Array<ReadonlyArray<string | number>> => {
  const out: Array<ReadonlyArray<string | number>> = [];
  const stack: Array<{ value: Json; path: ReadonlyArray<string | number> }> = [
    { value: v, path: [] },
  ];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    for (const [k, x] of Object.entries(value)) {
      const p = [...path, Array.isArray(value) ? Number(k) : k];
      out.push(p);
      stack.push({ value: x, path: p });
    }
  }
  return out;
};

const allPaths = specs.map(pathsOf);

const valueAt = (root: Json, path: ReadonlyArray<string | number>): Json =>
  path.reduce<Json>((x, k) => (x as Record<string | number, unknown>)[k], root);

/** Per spec, the paths whose value is a number (sizes, rates, weights, counts). */
const numericPaths = specs.map((s, i) =>
  allPaths[i]!.filter((p) => typeof valueAt(s, p) === 'number'),
);

/** A copy of `root` with `value` at `path`; throws when a parent is gone. */
export const setAt = (root: Json, path: ReadonlyArray<string | number>, value: Json): Json => {
  const copy = JSON.parse(JSON.stringify(root)) as Record<string | number, unknown>;
  let x = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) x = x[k] as Record<string | number, unknown>;
  x[path[path.length - 1]!] = value;
  return copy;
};

/** A mutated spec and its edits (`path=value`, for messages). */
export interface Mutated {
  readonly spec: Json;
  readonly edits: ReadonlyArray<string>;
}

const shown = (v: Json): string => {
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
};

/**
 * Arbitrary: one library spec with 1-3 of its paths set to values made by `values`; with
 * `numericOnly`, only paths that hold a number are edited.
 */
export const mutatedSpecs = (
  values: ReadonlyArray<() => Json>,
  numericOnly = false,
): fc.Arbitrary<Mutated> => {
  const pathsFor = numericOnly ? numericPaths : allPaths;
  return fc
    .integer({ min: 0, max: specs.length - 1 })
    .chain((i) =>
      fc.tuple(
        fc.constant(i),
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: pathsFor[i]!.length - 1 }),
            fc.integer({ min: 0, max: values.length - 1 }),
          ),
          { minLength: 1, maxLength: 3 },
        ),
      ),
    )
    .map(([i, edits]) => {
      let spec = specs[i];
      const done: string[] = [];
      for (const [p, h] of edits) {
        const path = pathsFor[i]![p]!;
        const value = values[h]!();
        try {
          spec = setAt(spec, path, value);
          done.push(`${path.join('.')}=${shown(value)}`);
        } catch {
          // an earlier edit removed this path's parent: keep the spec as it is
        }
      }
      return { spec, edits: done };
    });
};
