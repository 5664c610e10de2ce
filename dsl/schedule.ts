/**
 * `Schedule`: numbers as functions of training progress `t` in `[0, 1]` (step / total steps), for
 * learning rates, weight decay, EMA momentum, temperatures and loss weights. Wherever a schedule is
 * expected a plain number is accepted and means a constant.
 */
import type * as IR from '../compiler/ir/schedule.js';

/** A schedule or a plain number (a constant). */
export type ScheduleLike = IR.Schedule | number;

/**
 * A fixed value.
 * @example
 * ```ts
 * const tau = Schedule.constant(0.2); // { _tag: 'Constant', value: 0.2 }
 * ```
 */
export const constant = (value: number): IR.Constant => ({ _tag: 'Constant', value });

/**
 * Normalises a number or a schedule to a schedule (numbers become constants).
 * @example
 * ```ts
 * const s = Schedule.of(0.1); // { _tag: 'Constant', value: 0.1 }
 * ```
 */
export const of = (s: ScheduleLike): IR.Schedule => (typeof s === 'number' ? constant(s) : s);

/**
 * Linear ramp from `from` at `t = start` to `to` at `t = end`, held outside. Defaults
 * `start = 0`, `end = 1`. I-JEPA's EMA momentum 0.996 -> 1.
 * @example
 * ```ts
 * const ema = Schedule.linear({ from: 0.996, to: 1 });
 * ```
 */
export const linear = (o: {
  readonly from: number;
  readonly to: number;
  readonly start?: number;
  readonly end?: number;
}): IR.LinearSchedule => ({
  _tag: 'Linear',
  from: o.from,
  to: o.to,
  start: o.start ?? 0,
  end: o.end ?? 1,
});

/**
 * Half-cosine from `from` at `t = start` to `to` at `t = end` (defaults 0 and 1). MoCo v3's
 * momentum `1 - (1 + cos(pi t))(1 - m0) / 2` is `cosine({ from: m0, to: 1 })`.
 * @example
 * ```ts
 * const momentum = Schedule.cosine({ from: 0.99, to: 1 });
 * ```
 */
export const cosine = (o: {
  readonly from: number;
  readonly to: number;
  readonly start?: number;
  readonly end?: number;
}): IR.CosineSchedule => ({
  _tag: 'Cosine',
  from: o.from,
  to: o.to,
  start: o.start ?? 0,
  end: o.end ?? 1,
});

/**
 * Linear warmup from `start` (default 0) to `peak` over the first `warmup` fraction of training,
 * then half-cosine to `end` (default 0) at `t = 1`. MoCo v3: `{ warmup: 40 / 300, peak }`.
 * @example
 * ```ts
 * const lr = Schedule.warmupCosine({ warmup: 40 / 300, start: 2e-4, peak: 1e-3, end: 1e-6 });
 * ```
 */
export const warmupCosine = (o: {
  readonly warmup: number;
  readonly peak: number;
  readonly start?: number;
  readonly end?: number;
}): IR.WarmupCosine => ({
  _tag: 'WarmupCosine',
  warmup: o.warmup,
  start: o.start ?? 0,
  peak: o.peak,
  end: o.end ?? 0,
});

/**
 * The `Schedule` namespace: `constant`, `linear`, `cosine`, `warmupCosine`, `of`.
 * @example
 * ```ts
 * const wd = Schedule.cosine({ from: 0.04, to: 0.4 });
 * ```
 */
export const Schedule = { constant, of, linear, cosine, warmupCosine } as const;

/** A schedule IR value (see `compiler/ir/schedule.ts`). */
export type Schedule = IR.Schedule;
