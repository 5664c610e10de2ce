/**
 * io-ts codecs of the augmentation, schedule and optimizer IR (`augment.ts`, `schedule.ts`,
 * `optim.ts`). Probabilities are in `[0, 1]`; crop and mask scales in `(0, 1]`; ranges ordered.
 */
import * as t from 'io-ts';
import type * as A from '../augment.js';
import type * as O from '../optim.js';
import type * as S from '../schedule.js';
import {
  bool,
  exactly,
  failWith,
  type Field,
  finite,
  fraction,
  list,
  nonNeg,
  nonNegInt,
  numberIn,
  obj,
  pair,
  positive,
  posInt,
  range,
  tagged,
  unit,
} from './primitives.js';

/** Codec of any `Schedule`. Progress points (`start`, `end`, `warmup`) are in `[0, 1]`. */
export const scheduleCodec: Field<S.Schedule> = tagged<S.Schedule>('schedule', () => ({
  Constant: obj<S.Constant>('Constant', { _tag: exactly('Constant'), value: finite }),
  Linear: obj<S.LinearSchedule>('Linear', {
    _tag: exactly('Linear'),
    from: finite,
    to: finite,
    start: unit,
    end: unit,
  }),
  Cosine: obj<S.CosineSchedule>('Cosine', {
    _tag: exactly('Cosine'),
    from: finite,
    to: finite,
    start: unit,
    end: unit,
  }),
  WarmupCosine: obj<S.WarmupCosine>('WarmupCosine', {
    _tag: exactly('WarmupCosine'),
    warmup: unit,
    start: finite,
    peak: finite,
    end: finite,
  }),
}));

const scheduleValues = (s: S.Schedule): ReadonlyArray<number> =>
  s._tag === 'Constant'
    ? [s.value]
    : s._tag === 'WarmupCosine'
      ? [s.start, s.peak, s.end]
      : [s.from, s.to];

/**
 * A schedule whose every value lies in a domain (`lr >= 0`, `temperature > 0`, EMA momentum in
 * `[0, 1]`); the values checked are the ones it interpolates between, so the whole curve is in it.
 */
export const scheduleWithin = (domain: string, ok: (x: number) => boolean): Field<S.Schedule> =>
  new t.Type<S.Schedule, unknown, unknown>(
    `schedule (${domain})`,
    (u): u is S.Schedule => scheduleCodec.is(u) && scheduleValues(u).every(ok),
    (u, c) => {
      const r = scheduleCodec.validate(u, c);
      if (r._tag === 'Left') return r;
      const bad = scheduleValues(r.right).find((x) => !ok(x));
      return bad === undefined
        ? r
        : failWith(u, c, {
            code: 'E_RANGE',
            message: `a schedule value ${bad} is out of range`,
            expected: domain,
            got: String(bad),
          });
    },
    (a) => a,
  );

/** Learning rates and weight decays: never negative. */
export const nonNegSchedule = scheduleWithin('values >= 0', (x) => x >= 0);

/** The schedule tags, for messages. */
export const SCHEDULE_TAGS: ReadonlyArray<S.Schedule['_tag']> = [
  'Constant',
  'Linear',
  'Cosine',
  'WarmupCosine',
];

const beta = numberIn('a number in [0, 1)', (x) => x >= 0 && x < 1);

/** Codec of any `Optimizer`. */
export const optimizerCodec: Field<O.Optimizer> = tagged<O.Optimizer>('optimizer', () => ({
  AdamW: obj<O.AdamW>('AdamW', {
    _tag: exactly('AdamW'),
    lr: nonNegSchedule,
    betas: pair(beta),
    eps: positive,
    weightDecay: nonNegSchedule,
    decayAll: bool,
  }),
  Adam: obj<O.Adam>('Adam', {
    _tag: exactly('Adam'),
    lr: nonNegSchedule,
    betas: pair(beta),
    eps: positive,
  }),
  Lars: obj<O.Lars>('Lars', {
    _tag: exactly('Lars'),
    lr: nonNegSchedule,
    momentum: unit,
    weightDecay: nonNegSchedule,
    trust: positive,
  }),
  Sgd: obj<O.Sgd>('Sgd', {
    _tag: exactly('Sgd'),
    lr: nonNegSchedule,
    momentum: unit,
    weightDecay: nonNegSchedule,
    nesterov: bool,
  }),
}));

/** The optimizer tags, for messages. */
export const OPTIMIZER_TAGS: ReadonlyArray<O.Optimizer['_tag']> = ['AdamW', 'Adam', 'Lars', 'Sgd'];

const hue = numberIn('a number in [0, 0.5]', (x) => x >= 0 && x <= 0.5);

/** Codec of any `AugNode`. */
export const augCodec: Field<A.AugNode> = tagged<A.AugNode>('augmentation', () => ({
  RandomResizedCrop: obj<A.RandomResizedCrop>('RandomResizedCrop', {
    _tag: exactly('RandomResizedCrop'),
    size: posInt,
    scale: range(fraction),
    ratio: range(positive),
  }),
  HorizontalFlip: obj<A.HorizontalFlip>('HorizontalFlip', {
    _tag: exactly('HorizontalFlip'),
    p: unit,
  }),
  ColorJitter: obj<A.ColorJitter>('ColorJitter', {
    _tag: exactly('ColorJitter'),
    brightness: nonNeg,
    contrast: nonNeg,
    saturation: nonNeg,
    hue,
    p: unit,
  }),
  Grayscale: obj<A.Grayscale>('Grayscale', { _tag: exactly('Grayscale'), p: unit }),
  GaussianBlur: obj<A.GaussianBlur>('GaussianBlur', {
    _tag: exactly('GaussianBlur'),
    sigma: range(positive),
    kernel: numberIn(
      '0 or an odd integer >= 1',
      (x) => Number.isInteger(x) && (x === 0 || x % 2 === 1),
    ),
    p: unit,
  }),
  Solarize: obj<A.Solarize>('Solarize', { _tag: exactly('Solarize'), threshold: unit, p: unit }),
  SpectralNoise: obj<A.SpectralNoise>('SpectralNoise', {
    _tag: exactly('SpectralNoise'),
    sigma: nonNeg,
    gamma: nonNeg,
    p: unit,
  }),
  Resize: obj<A.Resize>('Resize', { _tag: exactly('Resize'), size: posInt }),
  Normalize: obj<A.Normalize>('Normalize', {
    _tag: exactly('Normalize'),
    mean: list(finite),
    std: list(positive),
  }),
}));

/** Codec of the I-JEPA multi-block mask settings. */
export const multiBlockCodec: Field<A.MultiBlockMask> = obj<A.MultiBlockMask>('MultiBlockMask', {
  grid: pair(posInt),
  targets: posInt,
  targetScale: range(fraction),
  targetAspect: range(positive),
  contexts: posInt,
  contextScale: range(fraction),
  contextAspect: range(positive),
  minKeep: nonNegInt,
  allowOverlap: bool,
});
