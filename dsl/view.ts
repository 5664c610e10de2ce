/**
 * `View`: random views of an image value. A view's name identifies its random stream: two views
 * with the same pipeline and different names are different draws.
 */
import type { AugNode } from '../compiler/ir/augment.js';
import { valueOf, type Img, type Value } from './types.js';

/** Steps with probability 0 do nothing; they are left out of the pipeline. */
const live = (pipeline: ReadonlyArray<AugNode>): ReadonlyArray<AugNode> =>
  pipeline.filter((step) => !('p' in step) || step.p > 0);

/**
 * A named random view of `source` through `pipeline` (steps with `p: 0` are dropped).
 * The output keeps the channel count; the size is the crop/resize size (checked by the shape pass).
 * @example
 * ```ts
 * const v = View.make('view', Value.images(), [Aug.randomResizedCrop({ size: 32 }), Aug.horizontalFlip()]);
 * ```
 */
export const make = <C extends number>(
  name: string,
  source: Value<Img<C>>,
  pipeline: ReadonlyArray<AugNode>,
): Value<Img<C>> =>
  valueOf({ _tag: 'View', name, source: source.expr, pipeline: live(pipeline) }, source);

/**
 * Two named views of one source from one pipeline recipe and per-view options, e.g. MoCo v3's
 * asymmetric blur / solarize. Default names `['view1', 'view2']`.
 * @example
 * ```ts
 * const [v1, v2] = View.pair(Value.images(), {
 *   options: [{ blur: 1, solarize: 0 }, { blur: 0.1, solarize: 0.2 }],
 *   pipeline: ({ blur, solarize }) => [
 *     Aug.randomResizedCrop({ size: 32 }),
 *     Aug.gaussianBlur({ p: blur }),
 *     Aug.solarize({ p: solarize }),
 *   ],
 * });
 * ```
 */
export const pair = <C extends number, O>(
  source: Value<Img<C>>,
  o: {
    readonly options: readonly [O, O];
    readonly pipeline: (options: O) => ReadonlyArray<AugNode>;
    readonly names?: readonly [string, string];
  },
): readonly [Value<Img<C>>, Value<Img<C>>] => {
  const [n1, n2] = o.names ?? ['view1', 'view2'];
  return [make(n1, source, o.pipeline(o.options[0])), make(n2, source, o.pipeline(o.options[1]))];
};

/**
 * The `View` namespace: `make`, `pair`.
 * @example
 * ```ts
 * const [a, b] = View.pair(Value.images(), { options: [0.5, 0.5], pipeline: (p) => [Aug.horizontalFlip({ p })] });
 * ```
 */
export const View = { make, pair } as const;
