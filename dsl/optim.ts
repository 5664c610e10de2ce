/**
 * `Optim`: optimizers as data. Learning rate and weight decay accept schedules or numbers.
 * Defaults follow PyTorch unless stated.
 */
import type * as IR from '../compiler/ir/optim.js';
import { of, type ScheduleLike } from './schedule.js';

/**
 * AdamW with decoupled weight decay. Defaults: betas (0.9, 0.999), eps 1e-8, weightDecay 0.05,
 * `decayAll: false` (no decay on biases and 1-D parameters; MoCo v3 ViT sets `true`).
 * @example
 * ```ts
 * const opt = Optim.adamw({ lr: 1.5e-4 * 4096 / 256, weightDecay: 0.1, decayAll: true });
 * ```
 */
export const adamw = (o: {
  readonly lr: ScheduleLike;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
  readonly weightDecay?: ScheduleLike;
  readonly decayAll?: boolean;
}): IR.AdamW => ({
  _tag: 'AdamW',
  lr: of(o.lr),
  betas: o.betas ?? [0.9, 0.999],
  eps: o.eps ?? 1e-8,
  weightDecay: of(o.weightDecay ?? 0.05),
  decayAll: o.decayAll ?? false,
});

/**
 * Adam without weight decay. Defaults: betas (0.9, 0.999), eps 1e-8. ST-STORM generators use
 * `{ lr: 2e-4, betas: [0.5, 0.999] }`.
 * @example
 * ```ts
 * const opt = Optim.adam({ lr: 2e-4, betas: [0.5, 0.999] });
 * ```
 */
export const adam = (o: {
  readonly lr: ScheduleLike;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
}): IR.Adam => ({ _tag: 'Adam', lr: of(o.lr), betas: o.betas ?? [0.9, 0.999], eps: o.eps ?? 1e-8 });

/**
 * LARS as in MoCo v3 (`u = g + wd p`, scaled by `trust |p| / |u|`, then momentum; ndim <= 1
 * params skip both). Defaults: momentum 0.9, weightDecay 1e-6, trust 0.001.
 * @example
 * ```ts
 * const opt = Optim.lars({ lr: 0.6 * 4096 / 256 });
 * ```
 */
export const lars = (o: {
  readonly lr: ScheduleLike;
  readonly momentum?: number;
  readonly weightDecay?: ScheduleLike;
  readonly trust?: number;
}): IR.Lars => ({
  _tag: 'Lars',
  lr: of(o.lr),
  momentum: o.momentum ?? 0.9,
  weightDecay: of(o.weightDecay ?? 1e-6),
  trust: o.trust ?? 0.001,
});

/**
 * SGD with momentum and L2 weight decay. Defaults: momentum 0.9, weightDecay 0, nesterov false.
 * @example
 * ```ts
 * const opt = Optim.sgd({ lr: 0.1, weightDecay: 0 });
 * ```
 */
export const sgd = (o: {
  readonly lr: ScheduleLike;
  readonly momentum?: number;
  readonly weightDecay?: ScheduleLike;
  readonly nesterov?: boolean;
}): IR.Sgd => ({
  _tag: 'Sgd',
  lr: of(o.lr),
  momentum: o.momentum ?? 0.9,
  weightDecay: of(o.weightDecay ?? 0),
  nesterov: o.nesterov ?? false,
});

/**
 * The `Optim` namespace: `adamw`, `adam`, `lars`, `sgd`.
 * @example
 * ```ts
 * const opt = Optim.adamw({ lr: Schedule.warmupCosine({ warmup: 0.1, peak: 1e-3 }) });
 * ```
 */
export const Optim = { adamw, adam, lars, sgd } as const;

/** An optimizer IR value (see `compiler/ir/optim.ts`). */
export type Optim = IR.Optimizer;
