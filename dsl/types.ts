/**
 * Phantom types of the DSL: what `tsc` can check about a composition before the compiler runs.
 *
 * Every DSL value is IR data plus a type that exists only for the checker:
 * - tensor kinds with literal feature dims: `Img<3>` (`[batch, h, w, 3]`), `Tok<384>`
 *   (`[batch, n, 384]`), `Vec<256>` (`[batch, 256]`), `Idx` (index lists), `Msk` (0/1 masks),
 *   `Rec<{...}>` (a struct of named values);
 * - `Net<In, Out, Arch>`: an IR `NetNode` whose input, output and architecture tag are known;
 * - `Value<T>`: a value expression of type `T`, carrying the modules and bindings it depends on,
 *   so `Method.make` can collect them.
 *
 * A dim that is a plain `number` (not a literal) matches any dim: the shape pass checks it later.
 */
import type { ModuleDecl, NetNode, ValueDecl, ValueExpr } from '../compiler/ir/node.js';

declare const phantom: unique symbol;

/** An image or feature map `[batch, height, width, C]` (NHWC). */
export interface Img<C extends number = number> {
  readonly kind: 'image';
  readonly channels: C;
}

/** Tokens `[batch, count, D]`. */
export interface Tok<D extends number = number> {
  readonly kind: 'tokens';
  readonly dim: D;
}

/** A vector per sample `[batch, D]`. */
export interface Vec<D extends number = number> {
  readonly kind: 'vector';
  readonly dim: D;
}

/** Integer positions, e.g. I-JEPA kept patches `[batch, K]` or `[targets, batch, K]`. */
export interface Idx {
  readonly kind: 'index';
}

/** Float 0/1 weights, e.g. a Style-JEPA token mask `[batch, count]`. */
export interface Msk {
  readonly kind: 'mask';
}

/** A struct of named values, e.g. a U-Net encoder's `{ bottleneck, skip1, ... }`. */
export interface Rec<F extends Readonly<Record<string, Ty>> = Readonly<Record<string, Ty>>> {
  readonly kind: 'struct';
  readonly fields: F;
}

/** Input marker: a net that accepts any value (norms, activations, pooling). */
export interface Any {
  readonly kind: 'any';
}

/** Output marker: the output has the type of the input (activations, norms, L2-normalise). */
export interface Same {
  readonly kind: 'same';
}

/** Output marker: tokens or an image pooled to a vector of the same feature dim. */
export interface Pooled {
  readonly kind: 'pooled';
}

/** Output marker: the field `K` of the input struct. */
export interface Pick<K extends string = string> {
  readonly kind: 'pick';
  readonly field: K;
}

/** Every type a value or a net port can have. */
export type Ty = Img | Tok | Vec | Idx | Msk | Rec | Any | Same | Pooled | Pick;

/** The type of the output of a net with output type `Out` fed a value of type `In`. */
export type Then<In, Out> = [Out] extends [Same]
  ? In
  : [Out] extends [Pooled]
    ? [In] extends [Tok<infer D>]
      ? Vec<D>
      : [In] extends [Img<infer C>]
        ? Vec<C>
        : Vec
    : [Out] extends [Pick<infer K>]
      ? [In] extends [Rec<infer F>]
        ? K extends keyof F
          ? F[K]
          : never
        : Ty
      : Out;

type DimFits<A extends number, B extends number> = number extends A
  ? true
  : number extends B
    ? true
    : [A] extends [B]
      ? true
      : false;

/** `true` when a value of type `O` can feed a port expecting `I` (kinds equal, literal dims equal). */
export type Fits<O, I> = [I] extends [Any]
  ? true
  : [O] extends [Any | Same | Pooled | Pick]
    ? true
    : [O] extends [Img<infer a>]
      ? [I] extends [Img<infer b>]
        ? DimFits<a, b>
        : false
      : [O] extends [Tok<infer a>]
        ? [I] extends [Tok<infer b>]
          ? DimFits<a, b>
          : false
        : [O] extends [Vec<infer a>]
          ? [I] extends [Vec<infer b>]
            ? DimFits<a, b>
            : false
          : [O] extends [I]
            ? true
            : false;

/** The error a mismatched composition shows: the value's type and the type the port expects. */
export interface Mismatch<Got, Expected> {
  readonly 'type error: value does not fit the input': {
    readonly got: Got;
    readonly expected: Expected;
  };
}

/** `unknown` (no constraint) when `O` fits `I`, otherwise a `Mismatch` the argument cannot satisfy. */
export type Check<O, I> = Fits<O, I> extends true ? unknown : Mismatch<O, I>;

/** Exact equality of two types (used for EMA architecture checks). */
export type Same2<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * A network: an IR `NetNode` with phantom input `In`, output `Out` and architecture `Arch`
 * (the IR tag, e.g. `'Vit'`). At run time it is exactly the IR node.
 */
export type Net<In extends Ty = Ty, Out extends Ty = Ty, Arch extends string = string> = NetNode & {
  readonly [phantom]?: { in(x: In): void; readonly out: Out; readonly arch: Arch };
};

/** Casts an IR node to a typed net (internal to the DSL: constructors state the types). */
export const asNet = <In extends Ty, Out extends Ty, A extends string>(
  node: NetNode,
): Net<In, Out, A> => node as Net<In, Out, A>;

/** What a value depends on: the modules it applies and the named values it references. */
export interface Deps {
  readonly modules: ReadonlyArray<ModuleDecl>;
  readonly bindings: ReadonlyArray<ValueDecl>;
}

/** A value expression of type `T` and what it depends on. */
export interface Value<T extends Ty = Ty> extends Deps {
  readonly expr: ValueExpr;
  readonly [phantom]?: T;
}

/** No dependencies. */
export const noDeps: Deps = { modules: [], bindings: [] };

const addUnique = <T extends { readonly name: string }>(
  into: Map<string, T>,
  item: T,
  what: string,
): void => {
  const seen = into.get(item.name);
  if (seen === undefined) into.set(item.name, item);
  else if (seen !== item && JSON.stringify(seen) !== JSON.stringify(item))
    throw new Error(
      `tessera DSL: two different ${what}s are named "${item.name}"\n` +
        `hint: give each ${what} its own name; reuse one ${what} value to share it`,
    );
};

/**
 * Merges dependencies in order of appearance. Throws when two different modules (or bindings)
 * share a name: weight sharing is by name, so that would silently tie unrelated weights.
 */
export const mergeDeps = (...all: ReadonlyArray<Deps>): Deps => {
  const modules = new Map<string, ModuleDecl>();
  const bindings = new Map<string, ValueDecl>();
  for (const d of all) {
    for (const m of d.modules) addUnique(modules, m, 'module');
    for (const b of d.bindings) addUnique(bindings, b, 'value binding');
  }
  return { modules: [...modules.values()], bindings: [...bindings.values()] };
};

/** Wraps an expression with the union of the dependencies of `parts`. */
export const valueOf = <T extends Ty>(
  expr: ValueExpr,
  ...parts: ReadonlyArray<Deps>
): Value<T> => ({
  expr,
  ...mergeDeps(...parts),
});
