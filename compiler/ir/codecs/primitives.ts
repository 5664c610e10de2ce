/**
 * io-ts building blocks for the IR codec. Each failure carries its issue code in the io-ts error
 * message (see `failWith`), so `codec.ts` turns io-ts errors into `Issue`s without guessing:
 * objects report every missing, mistyped and unexpected field; tagged unions report unknown
 * `_tag`s with the known list; numeric domains report `E_RANGE`.
 */
import * as t from 'io-ts';
import type { IssueCode } from '../issue.js';
import { didYouMean, quoteList } from '../suggest.js';

/** A codec of one IR value: decodes `unknown`, encodes to plain JSON data. */
export type Field<A> = t.Type<A, unknown, unknown>;

/** What a failure says, serialised into the io-ts error message. */
export interface FailureInfo {
  readonly code: IssueCode;
  readonly message: string;
  readonly expected?: string;
  readonly got?: string;
  readonly hint?: string;
}

/** An io-ts failure whose message is a serialised `FailureInfo`. */
export const failWith = <A>(u: unknown, c: t.Context, info: FailureInfo): t.Validation<A> =>
  t.failure(u, c, JSON.stringify(info));

/** A short description of a JSON value for `got`: `"abc"`, `12`, `an array of 3`, `an object`, `nothing`. */
export const describe = (u: unknown): string => {
  if (u === undefined) return 'nothing';
  if (u === null) return 'null';
  if (Array.isArray(u)) return `an array of ${u.length}`;
  if (typeof u === 'object') return 'an object';
  if (typeof u === 'number' && !Number.isFinite(u)) return String(u);
  const text = JSON.stringify(u) ?? String(u);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

const plainType = (u: unknown): string =>
  u === null ? 'null' : Array.isArray(u) ? 'array' : typeof u === 'number' ? 'number' : typeof u;

const typeError = <A>(u: unknown, c: t.Context, expected: string): t.Validation<A> =>
  failWith(u, c, {
    code: 'E_TYPE',
    message: `expected ${expected}, got ${plainType(u)}`,
    expected,
    got: describe(u),
  });

/** A JSON string. */
export const str: Field<string> = new t.Type<string, unknown, unknown>(
  'string',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' ? t.success(u) : typeError(u, c, 'a string')),
  (a) => a,
);

/** A JSON boolean. */
export const bool: Field<boolean> = new t.Type<boolean, unknown, unknown>(
  'boolean',
  (u): u is boolean => typeof u === 'boolean',
  (u, c) => (typeof u === 'boolean' ? t.success(u) : typeError(u, c, 'true or false')),
  (a) => a,
);

/**
 * A finite number satisfying `ok`; `domain` names the domain in messages (`an integer >= 1`).
 * A non-number is `E_TYPE`; a number outside the domain is `E_RANGE`.
 */
export const numberIn = (domain: string, ok: (x: number) => boolean): Field<number> =>
  new t.Type<number, unknown, unknown>(
    domain,
    (u): u is number => typeof u === 'number' && Number.isFinite(u) && ok(u),
    (u, c) =>
      typeof u !== 'number'
        ? typeError(u, c, `a number (${domain})`)
        : Number.isFinite(u) && ok(u)
          ? t.success(u)
          : failWith(u, c, {
              code: 'E_RANGE',
              message: `${describe(u)} is out of range`,
              expected: domain,
              got: describe(u),
            }),
    (a) => a,
  );

/** Largest size, dimension or count a spec may give (2^24): beyond it shape inference alone would run out of time or memory. */
export const MAX_SIZE = 2 ** 24;
/** Largest repeat count (layers, depth, levels, blocks): each repeat is a layer the checker and the lowering walk. */
export const MAX_REPEATS = 1024;

/** An integer from 1 to `max` (`domain` names it in messages); a larger one is `E_TOO_LARGE` with the number and `hint`. */
export const intUpTo = (domain: string, max: number, hint: string): Field<number> => {
  const base = numberIn(domain, (x) => Number.isInteger(x) && x >= 1);
  return new t.Type<number, unknown, unknown>(
    domain,
    (u): u is number => base.is(u) && u <= max,
    (u, c) =>
      typeof u === 'number' && (u > max || u === Number.POSITIVE_INFINITY)
        ? failWith(u, c, {
            code: 'E_TOO_LARGE',
            message: `${describe(u)} is too large`,
            expected: `at most ${max}`,
            got: describe(u),
            hint,
          })
        : base.validate(u, c),
    (a) => a,
  );
};

/** Any finite number. */
export const finite = numberIn('a finite number', () => true);
/** An integer from 1 to `MAX_SIZE` (sizes, dims, counts). */
export const posInt = intUpTo(
  'an integer >= 1',
  MAX_SIZE,
  'sizes and counts above 2^24 cannot be trained with TF.js; use a realistic value',
);
/** An integer from 1 to `MAX_REPEATS` (layers, depth, levels, blocks). */
export const repeats = intUpTo(
  `an integer from 1 to ${MAX_REPEATS}`,
  MAX_REPEATS,
  `networks deeper than ${MAX_REPEATS} repeats are out of reach; paper models use at most a few dozen`,
);
/** An integer >= 0. */
export const nonNegInt = numberIn('an integer >= 0', (x) => Number.isInteger(x) && x >= 0);
/** A number > 0. */
export const positive = numberIn('a number > 0', (x) => x > 0);
/** A number >= 0. */
export const nonNeg = numberIn('a number >= 0', (x) => x >= 0);
/** A probability or a fraction of training, in `[0, 1]`. */
export const unit = numberIn('a number in [0, 1]', (x) => x >= 0 && x <= 1);
/** A fraction in `(0, 1]` (crop scales, mask scales). */
export const fraction = numberIn('a number in (0, 1]', (x) => x > 0 && x <= 1);

/** One of a fixed set of strings (activation names, norm kinds, ...). */
export const oneOf = <A extends string>(name: string, values: ReadonlyArray<A>): Field<A> =>
  new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => typeof u === 'string' && (values as ReadonlyArray<string>).includes(u),
    (u, c) => {
      if (typeof u === 'string' && (values as ReadonlyArray<string>).includes(u))
        return t.success(u as A);
      const hint = typeof u === 'string' ? didYouMean(u, values) : undefined;
      return failWith(u, c, {
        code: 'E_TYPE',
        message: `expected one of ${quoteList(values)}, got ${describe(u)}`,
        expected: `one of ${quoteList(values)}`,
        got: describe(u),
        ...(hint === undefined ? {} : { hint }),
      });
    },
    (a) => a,
  );

/** A fixed string, e.g. `_tag: "Method"` or `name: "images"`. */
export const exactly = <A extends string>(value: A): Field<A> => oneOf(`"${value}"`, [value]);

const collect = <A>(
  results: ReadonlyArray<t.Validation<unknown>>,
  build: () => A,
): t.Validation<A> => {
  const errors = results.flatMap((r) => (r._tag === 'Left' ? r.left : []));
  return errors.length > 0 ? t.failures(errors) : t.success(build());
};

const right = <A>(v: t.Validation<A>): A => (v as { readonly right: A }).right;

/** A JSON array of `item`, every element checked. */
export const list = <A>(item: Field<A>): Field<ReadonlyArray<A>> =>
  new t.Type<ReadonlyArray<A>, unknown, unknown>(
    `a list of ${item.name}`,
    (u): u is ReadonlyArray<A> => Array.isArray(u) && u.every(item.is),
    (u, c) => {
      if (!Array.isArray(u)) return typeError(u, c, 'an array');
      const results = u.map((x, i) => item.validate(x, t.appendContext(c, String(i), item, x)));
      return collect(results, () => results.map(right));
    },
    (a) => a.map(item.encode),
  );

/** `[lo, hi]` of `item` with `lo <= hi` (crop scales, sigma ranges, ...). */
export const range = (item: Field<number>): Field<readonly [number, number]> =>
  new t.Type<readonly [number, number], unknown, unknown>(
    `[${item.name}, ${item.name}]`,
    (u): u is readonly [number, number] =>
      Array.isArray(u) &&
      u.length === 2 &&
      u.every(item.is) &&
      (u[0] as number) <= (u[1] as number),
    (u, c) => {
      if (!Array.isArray(u) || u.length !== 2) return typeError(u, c, 'a pair [low, high]');
      const checked = list(item).validate(u, c);
      if (checked._tag === 'Left') return checked;
      const [lo, hi] = checked.right as readonly [number, number];
      return lo <= hi
        ? t.success([lo, hi] as const)
        : failWith(u, c, {
            code: 'E_RANGE',
            message: `low ${lo} is above high ${hi}`,
            expected: 'low <= high',
            got: `[${lo}, ${hi}]`,
          });
    },
    (a) => [a[0], a[1]],
  );

/** `[a, b]` of `item`, e.g. a grid `[rows, cols]` or Adam's betas. */
export const pair = (item: Field<number>): Field<readonly [number, number]> =>
  new t.Type<readonly [number, number], unknown, unknown>(
    `[${item.name}, ${item.name}]`,
    (u): u is readonly [number, number] => Array.isArray(u) && u.length === 2 && u.every(item.is),
    (u, c) => {
      if (!Array.isArray(u) || u.length !== 2) return typeError(u, c, 'a pair [a, b]');
      const checked = list(item).validate(u, c);
      return checked._tag === 'Left' ? checked : t.success([u[0], u[1]] as const);
    },
    (a) => [a[0], a[1]],
  );

/** An object with string keys and `item` values (`Apply.inputs`). */
export const dict = <A>(item: Field<A>): Field<Readonly<Record<string, A>>> =>
  new t.Type<Readonly<Record<string, A>>, unknown, unknown>(
    `Record<string, ${item.name}>`,
    (u): u is Readonly<Record<string, A>> => isObject(u) && Object.values(u).every(item.is),
    (u, c) => {
      if (!isObject(u)) return typeError(u, c, 'an object');
      const entries = Object.entries(u);
      const results = entries.map(([k, x]) => item.validate(x, t.appendContext(c, k, item, x)));
      return collect(results, () =>
        Object.fromEntries(entries.map(([k], i) => [k, right(results[i] as t.Validation<A>)])),
      );
    },
    (a) => Object.fromEntries(Object.entries(a).map(([k, x]) => [k, item.encode(x)])),
  );

/** A plain JSON object (not null, not an array). */
export const isObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

const OPTIONAL = Symbol('optional');

/** Marks an object field as optional: absent is fine, present must decode. */
export const optional = <A>(field: Field<A>): Field<A | undefined> =>
  Object.assign(
    new t.Type<A | undefined, unknown, unknown>(
      field.name,
      (u): u is A | undefined => u === undefined || field.is(u),
      (u, c) => (u === undefined ? t.success(undefined) : field.validate(u, c)),
      (a) => (a === undefined ? undefined : field.encode(a)),
    ),
    { [OPTIONAL]: true },
  );

const isOptional = (f: Field<unknown>): boolean =>
  (f as unknown as Record<symbol, unknown>)[OPTIONAL] === true;

/** One codec per field of `A`, so that a field missing from a codec is a type error. */
export type Fields<A> = { readonly [K in keyof A]-?: Field<A[K]> };

/**
 * A JSON object with exactly the fields of `A`: reports every missing field (`E_MISSING_FIELD`),
 * every bad field, and every unexpected field (`E_TYPE`, with the closest known name), together.
 */
export const obj = <A>(name: string, fields: Fields<A>): Field<A> => {
  const entries = Object.entries(fields) as ReadonlyArray<[string, Field<unknown>]>;
  const known = entries.map(([k]) => k);
  const codec = new t.Type<A, unknown, unknown>(
    name,
    (u): u is A =>
      isObject(u) &&
      entries.every(([k, f]) => f.is(u[k])) &&
      Object.keys(u).every((k) => known.includes(k)),
    (u, c) => {
      if (!isObject(u)) return typeError(u, c, `an object (${name})`);
      const results = entries.map(([k, f]) => fieldResult(u, k, f, c, name));
      const extra = Object.keys(u)
        .filter((k) => !known.includes(k))
        .map((k) => unexpectedField(u[k], t.appendContext(c, k, str, u[k]), k, known, name));
      return collect(
        [...results, ...extra],
        () =>
          Object.fromEntries(
            entries.flatMap(([k], i) => {
              const v = right(results[i] as t.Validation<unknown>);
              return v === undefined ? [] : [[k, v]];
            }),
          ) as A,
      );
    },
    (a) =>
      Object.fromEntries(
        entries.flatMap(([k, f]) => {
          const v = f.encode((a as Record<string, unknown>)[k]);
          return v === undefined ? [] : [[k, v]];
        }),
      ),
  );
  return Object.assign(codec, { [OBJECT]: true });
};

const OBJECT = Symbol('object');

/** How a missing field is described: `an object (training)`, `a list of module`, `an integer >= 1`. */
const expectedOf = (f: Field<unknown>): string => {
  const marks = f as unknown as Record<symbol, unknown>;
  return marks[OBJECT] === true
    ? `an object (${f.name})`
    : marks[TAGGED] === true
      ? `a ${f.name}`
      : f.name;
};

const fieldResult = (
  u: Readonly<Record<string, unknown>>,
  k: string,
  f: Field<unknown>,
  c: t.Context,
  owner: string,
): t.Validation<unknown> => {
  const ctx = t.appendContext(c, k, f, u[k]);
  if (u[k] === undefined && !isOptional(f)) {
    return failWith(undefined, ctx, {
      code: 'E_MISSING_FIELD',
      message: `${owner} needs the field "${k}"`,
      expected: expectedOf(f),
    });
  }
  return f.validate(u[k], ctx);
};

const unexpectedField = (
  u: unknown,
  c: t.Context,
  k: string,
  known: ReadonlyArray<string>,
  owner: string,
): t.Validation<unknown> => {
  const hint = didYouMean(k, known);
  return failWith(u, c, {
    code: 'E_TYPE',
    message: `unexpected field "${k}" in ${owner}`,
    expected: `fields ${quoteList(known)}`,
    got: `"${k}"`,
    ...(hint === undefined ? {} : { hint }),
  });
};

/**
 * A union discriminated by `_tag`, one codec per tag (exhaustive: a missing tag is a type
 * error). `kind` names the union in messages (`net`, `loss`, ...). Members are a thunk so unions
 * can be recursive.
 */
export const tagged = <U extends { readonly _tag: string }>(
  kind: string,
  members: () => { readonly [K in U['_tag']]: Field<Extract<U, { readonly _tag: K }>> },
): Field<U> => {
  const pick = (tag: unknown): Field<U> | undefined =>
    typeof tag === 'string' && Object.prototype.hasOwnProperty.call(members(), tag)
      ? (members() as unknown as Record<string, Field<U>>)[tag]
      : undefined;
  const codec = new t.Type<U, unknown, unknown>(
    kind,
    (u): u is U =>
      isObject(u) && pick(u['_tag']) !== undefined && (pick(u['_tag']) as Field<U>).is(u),
    (u, c) => {
      if (!isObject(u)) return typeError(u, c, `an object (a ${kind})`);
      const codec = pick(u['_tag']);
      return codec !== undefined
        ? codec.validate(u, c)
        : unknownTag(u['_tag'], c, kind, Object.keys(members()));
    },
    (a) => (pick(a._tag) as Field<U>).encode(a),
  );
  return Object.assign(codec, { [TAGGED]: true });
};

const TAGGED = Symbol('tagged');

const unknownTag = (
  tag: unknown,
  c: t.Context,
  kind: string,
  tags: ReadonlyArray<string>,
): t.Validation<never> => {
  const ctx = t.appendContext(c, '_tag', str, tag);
  const expected = `one of ${quoteList(tags)}`;
  if (tag === undefined) {
    return failWith(tag, ctx, {
      code: 'E_MISSING_FIELD',
      message: `a ${kind} needs a "_tag"`,
      expected,
    });
  }
  const hint = typeof tag === 'string' ? didYouMean(tag, tags) : undefined;
  return failWith(tag, ctx, {
    code: 'E_UNKNOWN_TAG',
    message: `unknown ${kind} ${describe(tag)}; known: ${tags.join(', ')}`,
    expected: `a known ${kind}`,
    got: describe(tag),
    ...(hint === undefined ? {} : { hint }),
  });
};
