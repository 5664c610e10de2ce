/**
 * `Value`: helpers that build value expressions: the input images, struct fields, gathers,
 * batch permutations and concatenations, replay memories, parameter-free nets inline (`fn`,
 * `layerNorm`), and named bindings (`bind`, referenced by name in the IR).
 */
import type { NetNode } from '../compiler/ir/net.js';
import {
  asNet,
  valueOf,
  type Any,
  type Idx,
  type Img,
  type Net,
  type Rec,
  type Then,
  type Tok,
  type Ty,
  type Value as V,
} from './types.js';

/** A value expression of type `T` (see `dsl/types.ts`). */
export type Value<T extends Ty = Ty> = V<T>;

/**
 * The batch of images from the data, NHWC in `[0, 1]`: `[batch, H, W, C]` (default 3 channels).
 * @example
 * ```ts
 * const x = Value.images(); // Value<Img<3>>
 * ```
 */
export const images = <const C extends number = 3>(): V<Img<C>> =>
  valueOf({ _tag: 'Input', name: 'images' });

/**
 * A batch of images from the other pseudo-domain fold, the same size as `images()` (`[batch, H,
 * W, C]`): with `training.folds`, `images()` come from fold `i` and these from fold
 * `(i + 1) mod k`, so no image meets itself (ST-STORM's style images `y`). The checker asks for
 * `training.folds` (E_FOLDS) and refuses it in representations (E_REPRESENTATION).
 * @example
 * ```ts
 * const y = Value.pairedImages(); // Value<Img<3>>
 * ```
 */
export const pairedImages = <const C extends number = 3>(): V<Img<C>> =>
  valueOf({ _tag: 'Input', name: 'pairedImages' });

/**
 * One field of a struct value (`tsc` knows the field's type).
 * @example
 * ```ts
 * const masks = Mask.multiBlock({ name: 'masks', grid: [8, 8] });
 * const context = Value.field(masks, 'context'); // Value<Idx>
 * ```
 */
export const field = <F extends Readonly<Record<string, Ty>>, K extends keyof F & string>(
  source: V<Rec<F>>,
  name: K,
): V<F[K]> => valueOf({ _tag: 'FieldOf', source: source.expr, name }, source);

/**
 * Gathers tokens: `tokens[batch, N, D]` with `index[batch, K]` -> `[batch, K, D]`, or with
 * `index[T, batch, K]` -> `[T*batch, K, D]` (I-JEPA target blocks).
 * @example
 * ```ts
 * const masks = Mask.multiBlock({ name: 'masks', grid: [8, 8] });
 * const encoder = Branch.make('encoder', Net.vit({ imageSize: 32, patch: 4, dim: 64, depth: 2, heads: 4, output: 'tokens' }));
 * const picked = Value.gather(encoder.apply(Value.images()), Value.field(masks, 'targets')); // Value<Tok<64>>
 * ```
 */
export const gather = <D extends number>(source: V<Tok<D>>, index: V<Idx>): V<Tok<D>> =>
  valueOf({ _tag: 'Gather', source: source.expr, index: index.expr }, source, index);

/**
 * A random permutation of the batch without self-pairs (each sample is paired with another one);
 * `name` identifies the random stream.
 * @example
 * ```ts
 * const y = Value.permute('style', Value.images());
 * ```
 */
export const permute = <T extends Ty>(name: string, source: V<T>): V<T> =>
  valueOf({ _tag: 'Permute', name, source: source.expr }, source);

/**
 * Concatenation along the batch axis; every part has the first part's type.
 * @example
 * ```ts
 * const both = Value.concat(Value.images(), Value.permute('p', Value.images()));
 * ```
 */
export const concat = <T extends Ty>(first: V<T>, ...rest: ReadonlyArray<V<T>>): V<T> =>
  valueOf({ _tag: 'Concat', sources: [first, ...rest].map((v) => v.expr) }, first, ...rest);

/**
 * A replay memory: keeps the last `size` samples of `source` (detached) and returns a batch where a
 * fraction `ratio` of the positions (random ones) hold samples drawn uniformly from what it stored
 * before this step (an empty memory returns `source`). State of the compiled step: seeded by the
 * step, saved in checkpoints, restored by `--resume` (`compiler/lower/memory.ts`). Defaults: `size: 50`, `ratio: 0.3` (ST-STORM replay).
 * @example
 * ```ts
 * const replay = Value.memory('replay', Value.images(), { size: 50, ratio: 0.3 });
 * ```
 */
export const memory = <T extends Ty>(
  name: string,
  source: V<T>,
  o: { readonly size?: number; readonly ratio?: number } = {},
): V<T> =>
  valueOf(
    { _tag: 'Memory', name, source: source.expr, size: o.size ?? 50, ratio: o.ratio ?? 0.3 },
    source,
  );

/**
 * A parameter-free net (pool, L2-normalise, LayerNorm without affine, flatten, field) applied
 * inline on port `x`, without a module. Nets with parameters need `Branch.make`.
 * @example
 * ```ts
 * const pooled = Value.fn(Net.pool({ kind: 'mean' }), Value.images()); // Value<Vec<3>>
 * ```
 */
export const fn = <In extends Ty, Out extends Ty, T extends Ty>(
  net: Net<In, Out>,
  x: V<T>,
): V<Then<T, Out>> => valueOf({ _tag: 'Fn', net: net as NetNode, inputs: { x: x.expr } }, x);

/**
 * LayerNorm without affine parameters over the last axis (I-JEPA's target normalisation),
 * inline. Default `eps: 1e-5` (PyTorch's `F.layer_norm`, as the I-JEPA reference calls it).
 * @example
 * ```ts
 * const t = Value.layerNorm(Value.fn(Net.pool(), Value.images()), { features: 3 });
 * ```
 */
export const layerNorm = <T extends Ty>(
  x: V<T>,
  o: { readonly features: number; readonly eps?: number },
): V<T> =>
  fn(
    asNet<Any, T, 'Norm'>({
      _tag: 'Norm',
      kind: 'layer',
      features: o.features,
      affine: false,
      eps: o.eps ?? 1e-5,
    }),
    x,
  ) as V<T>;

/**
 * Names a value: the method lists it once in `values` and every use refers to it by name.
 * @example
 * ```ts
 * const x = Value.bind('clean', Value.images());
 * ```
 */
export const bind = <T extends Ty>(name: string, value: V<T>): V<T> =>
  valueOf({ _tag: 'Ref', name }, value, { modules: [], bindings: [{ name, value: value.expr }] });

/**
 * The `Value` namespace: `images`, `pairedImages`, `field`, `gather`, `permute`, `concat`, `memory`, `fn`,
 * `layerNorm`, `bind`.
 * @example
 * ```ts
 * const feature = Value.fn(Net.l2Normalize(), Value.fn(Net.pool(), Value.images()));
 * ```
 */
export const Value = {
  images,
  pairedImages,
  field,
  gather,
  permute,
  concat,
  memory,
  fn,
  layerNorm,
  bind,
} as const;
