/**
 * `Mask`: random masks. `multiBlock` is I-JEPA's sampler (methods.md 2.1), `tokens` the Style-JEPA
 * token mask (methods.md 3.5). The name identifies the random stream: every use of the same name in
 * a step is the same draw.
 */
import { valueOf, type Idx, type Msk, type Rec, type Value } from './types.js';

/** I-JEPA masks: `context` `index[batch, Kctx]` and `targets` `index[T, batch, Ktgt]`. */
export type MultiBlock = Rec<{ readonly context: Idx; readonly targets: Idx }>;

/**
 * I-JEPA multi-block masks on a `grid` of patches. Defaults (released configs): `targets: 4`,
 * `targetScale: [0.15, 0.2]`, `targetAspect: [0.75, 1.5]`, `contexts: 1`, `contextScale: [0.85, 1]`,
 * `contextAspect: [1, 1]`, `minKeep: 10`, `allowOverlap: false`, `name: 'masks'`.
 * @example
 * ```ts
 * const masks = Mask.multiBlock({ grid: [16, 16] });
 * const context = Value.field(masks, 'context');
 * ```
 */
export const multiBlock = (o: {
  readonly grid: readonly [number, number];
  readonly name?: string;
  readonly targets?: number;
  readonly targetScale?: readonly [number, number];
  readonly targetAspect?: readonly [number, number];
  readonly contexts?: number;
  readonly contextScale?: readonly [number, number];
  readonly contextAspect?: readonly [number, number];
  readonly minKeep?: number;
  readonly allowOverlap?: boolean;
}): Value<MultiBlock> =>
  valueOf({
    _tag: 'Masks',
    name: o.name ?? 'masks',
    spec: {
      grid: o.grid,
      targets: o.targets ?? 4,
      targetScale: o.targetScale ?? [0.15, 0.2],
      targetAspect: o.targetAspect ?? [0.75, 1.5],
      contexts: o.contexts ?? 1,
      contextScale: o.contextScale ?? [0.85, 1],
      contextAspect: o.contextAspect ?? [1, 1],
      minKeep: o.minKeep ?? 10,
      allowOverlap: o.allowOverlap ?? false,
    },
  });

/**
 * Style-JEPA token mask `mask[batch, count]`: position `s` is masked with probability `ratio * imp_s`,
 * `imp = linspace(bias, 1, count) / mean`. Defaults: `count: 6`, `ratio: 0.6`, `bias: 2`,
 * `name: 'tokenMask'`.
 * @example
 * ```ts
 * const m = Mask.tokens({ count: 6 }); // Value<Msk>
 * ```
 */
export const tokens = (
  o: {
    readonly name?: string;
    readonly count?: number;
    readonly ratio?: number;
    readonly bias?: number;
  } = {},
): Value<Msk> =>
  valueOf({
    _tag: 'TokenMask',
    name: o.name ?? 'tokenMask',
    count: o.count ?? 6,
    ratio: o.ratio ?? 0.6,
    bias: o.bias ?? 2,
  });

/**
 * The `Mask` namespace: `multiBlock`, `tokens`.
 * @example
 * ```ts
 * const targets = Value.field(Mask.multiBlock({ grid: [8, 8], targets: 2 }), 'targets');
 * ```
 */
export const Mask = { multiBlock, tokens } as const;
