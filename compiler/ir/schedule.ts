/**
 * Schedules: a number as a function of training progress `t` in `[0, 1]` (step / total steps).
 * Used for learning rate, weight decay, EMA momentum, temperature and loss weights. Progress, not
 * steps, so that one spec serves any run length; presets convert epochs to fractions.
 */

/** A fixed value. */
export interface Constant {
  readonly _tag: 'Constant';
  readonly value: number;
}

/** Linear from `from` at `t = start` to `to` at `t = end` (held outside). I-JEPA's EMA 0.996 -> 1. */
export interface LinearSchedule {
  readonly _tag: 'Linear';
  readonly from: number;
  readonly to: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Half-cosine from `from` at `t = start` to `to` at `t = end`:
 * `to + (from - to) * (1 + cos(pi * u)) / 2`, `u` the clamped position. MoCo v3's momentum
 * `1 - (1 + cos(pi t))(1 - m0)/2` is `Cosine { from: m0, to: 1 }`.
 */
export interface CosineSchedule {
  readonly _tag: 'Cosine';
  readonly from: number;
  readonly to: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Linear warmup from `start` to `peak` over the first `warmup` fraction, then half-cosine from
 * `peak` to `end` at `t = 1`. MoCo v3 lr (`start = 0`, `end = 0`), I-JEPA lr (2e-4 -> 1e-3 -> 1e-6).
 */
export interface WarmupCosine {
  readonly _tag: 'WarmupCosine';
  readonly warmup: number;
  readonly start: number;
  readonly peak: number;
  readonly end: number;
}

/** Every schedule kind. */
export type Schedule = Constant | LinearSchedule | CosineSchedule | WarmupCosine;

/** The value of a schedule at progress `t` (clamped to `[0, 1]`). Pure; used by the runtime and the report. */
export const evaluateSchedule = (s: Schedule, t: number): number => {
  const p = Math.min(1, Math.max(0, t));
  const along = (start: number, end: number): number =>
    end <= start ? (p >= end ? 1 : 0) : Math.min(1, Math.max(0, (p - start) / (end - start)));
  const halfCos = (from: number, to: number, u: number): number =>
    to + ((from - to) * (1 + Math.cos(Math.PI * u))) / 2;
  switch (s._tag) {
    case 'Constant':
      return s.value;
    case 'Linear':
      return s.from + (s.to - s.from) * along(s.start, s.end);
    case 'Cosine':
      return halfCos(s.from, s.to, along(s.start, s.end));
    case 'WarmupCosine':
      return s.warmup > 0 && p < s.warmup
        ? s.start + ((s.peak - s.start) * p) / s.warmup
        : halfCos(s.peak, s.end, s.warmup >= 1 ? 1 : (p - s.warmup) / (1 - s.warmup));
  }
};
