/**
 * `Branch`: named parameter scopes (modules) and how values flow through them. A module is a net
 * with a name; applying it twice shares its weights, explicitly, by that name. `Branch.ema` makes a
 * momentum copy; `Branch.stopGradient` cuts gradient flow.
 */
import type { ModuleDecl } from '../compiler/ir/node.js';
import { of, type ScheduleLike } from './schedule.js';
import {
  mergeDeps,
  valueOf,
  type Any,
  type Check,
  type Deps,
  type Mismatch,
  type Net,
  type Same2,
  type Then,
  type Ty,
  type Value,
} from './types.js';

/** Extra input ports of an application, e.g. `{ keep: masks.context }` for an I-JEPA context encoder. */
export type Ports = Readonly<Record<string, Value>>;

/** A named module: its declaration, its typed net, and the modules it depends on (itself, its EMA source). */
export interface Module<
  In extends Ty = Ty,
  Out extends Ty = Ty,
  Arch extends string = string,
> extends Deps {
  readonly name: string;
  readonly decl: ModuleDecl;
  readonly net: Net<In, Out, Arch>;
  /** Applies the module to `value` (port `x`) and optional extra `ports`; see `Branch.apply`. */
  apply<V extends Ty>(value: Value<V> & Check<V, In>, ports?: Ports): Value<Then<V, Out>>;
}

const applyTo = (m: Module, path: ReadonlyArray<string>, inputs: Ports): Value<Any> =>
  valueOf(
    {
      _tag: 'Apply',
      module: m.name,
      path,
      inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.expr])),
    },
    ...Object.values(inputs),
    m,
  );

const moduleOf = <In extends Ty, Out extends Ty, A extends string>(
  decl: ModuleDecl,
  deps: Deps,
): Module<In, Out, A> => {
  const self: Module<In, Out, A> = {
    name: decl.name,
    decl,
    net: decl.net as Net<In, Out, A>,
    ...mergeDeps(deps, { modules: [decl], bindings: [] }),
    apply: (value, ports = {}) => applyTo(self as Module, [], { x: value, ...ports }) as never,
  };
  return self;
};

/**
 * Makes a named module from a net. `frozen`: parameter-path prefixes that keep their initial values
 * (default none).
 * @example
 * ```ts
 * const online = Branch.make('online', Net.vit({ imageSize: 32, patch: 4, dim: 64, depth: 2, heads: 4 }));
 * ```
 */
export const make = <In extends Ty, Out extends Ty, A extends string>(
  name: string,
  net: Net<In, Out, A>,
  o: { readonly frozen?: ReadonlyArray<string> } = {},
): Module<In, Out, A> =>
  moduleOf({ name, net, frozen: o.frozen ?? [] }, { modules: [], bindings: [] });

/**
 * Applies a module to a value on port `x`, plus optional extra ports; checked by `tsc`: the value's
 * kind and literal dim must fit the module's input. Same as `module.apply(value, ports)`.
 * @example
 * ```ts
 * const backbone = Branch.make('backbone', Net.vit({ imageSize: 32, patch: 4, dim: 64, depth: 2, heads: 4 }));
 * const proj = Branch.make('proj', Net.mlp({ in: 64, hidden: 128, out: 32 }));
 * const z = Branch.apply(proj, Branch.apply(backbone, Value.images())); // Value<Vec<32>>
 * ```
 */
export const apply = <In extends Ty, Out extends Ty, A extends string, V extends Ty>(
  module: Module<In, Out, A>,
  value: Value<V> & Check<V, In>,
  ports: Ports = {},
): Value<Then<V, Out>> => module.apply(value, ports);

/**
 * Applies a part of a module (a path such as `['styleEncoder']` of a generator) to named inputs.
 * The output type is given explicitly (default `Any`): parts are not typed.
 * @example
 * ```ts
 * const g = Branch.make('G', Net.generator({ ngf: 16, levels: 3 }));
 * const style = Branch.applyPart(g, ['styleEncoder'], { x: Value.images() });
 * ```
 */
export const applyPart = <T extends Ty = Any>(
  module: Module,
  path: ReadonlyArray<string>,
  inputs: Ports,
): Value<T> => applyTo(module, path, inputs) as Value<never>;

type SameArch<I, O, A, I2, O2, A2> =
  Same2<[I, O, A], [I2, O2, A2]> extends true ? unknown : Mismatch<[I2, O2, A2], [I, O, A]>;

/**
 * A momentum (EMA) copy of `source`: `target <- m target + (1 - m) source` after the source's
 * optimizer step, starting as a copy; never optimized. `momentum`: a schedule or number. The
 * optional `net` states the architecture explicitly and must have exactly the source's type (and,
 * at run time, equal the source's net).
 * @example
 * ```ts
 * const online = Branch.make('online', Net.mlp({ in: 8, hidden: 16, out: 4 }));
 * const target = Branch.ema('target', online, { momentum: Schedule.cosine({ from: 0.99, to: 1 }) });
 * ```
 */
export const ema = <
  In extends Ty,
  Out extends Ty,
  A extends string,
  I2 extends Ty,
  O2 extends Ty,
  A2 extends string,
>(
  name: string,
  source: Module<In, Out, A>,
  o: {
    readonly momentum: ScheduleLike;
    readonly net?: Net<I2, O2, A2> & SameArch<In, Out, A, I2, O2, A2>;
    /** Objectives after whose optimizer step the EMA also updates (besides its source's). */
    readonly alsoAfter?: ReadonlyArray<string>;
  },
): Module<In, Out, A> => {
  if (o.net !== undefined && JSON.stringify(o.net) !== JSON.stringify(source.net))
    throw new Error(
      `Branch.ema("${name}"): the given net differs from the net of its source "${source.name}"\n` +
        'hint: an EMA target must be structurally identical to its source; omit `net` to copy it',
    );
  const decl: ModuleDecl = {
    name,
    net: source.net,
    ema: {
      source: source.name,
      momentum: of(o.momentum),
      ...(o.alsoAfter === undefined ? {} : { alsoAfter: o.alsoAfter }),
    },
    frozen: [],
  };
  return moduleOf(decl, source);
};

/**
 * The same value, but no gradient flows back through it.
 * @example
 * ```ts
 * const key = Branch.stopGradient(Value.images());
 * ```
 */
export const stopGradient = <T extends Ty>(value: Value<T>): Value<T> =>
  valueOf({ _tag: 'StopGradient', source: value.expr }, value);

/**
 * The `Branch` namespace: `make`, `apply`, `applyPart`, `ema`, `stopGradient`.
 * @example
 * ```ts
 * const enc = Branch.make('enc', Net.resnetTiny());
 * const feats = enc.apply(Value.images()); // Value<Vec<128>>
 * ```
 */
export const Branch = { make, apply, applyPart, ema, stopGradient } as const;
