import { describe, expect, it } from 'vitest';
import { evaluateSchedule, type Schedule } from '../../../compiler/ir/schedule.js';

// Every expected number below is computed by hand from the formulas in methods.md.
describe('evaluateSchedule', () => {
  it('Constant is its value everywhere, progress clamped', () => {
    const s: Schedule = { _tag: 'Constant', value: 0.2 };
    expect([0, 0.5, 1, -3, 7].map((t) => evaluateSchedule(s, t))).toEqual([
      0.2, 0.2, 0.2, 0.2, 0.2,
    ]);
  });

  it('Linear: I-JEPA EMA momentum 0.996 -> 1 over the run', () => {
    const s: Schedule = { _tag: 'Linear', from: 0.996, to: 1, start: 0, end: 1 };
    expect(evaluateSchedule(s, 0)).toBeCloseTo(0.996, 12);
    expect(evaluateSchedule(s, 0.25)).toBeCloseTo(0.997, 12);
    expect(evaluateSchedule(s, 0.5)).toBeCloseTo(0.998, 12);
    expect(evaluateSchedule(s, 1)).toBeCloseTo(1, 12);
    expect(evaluateSchedule(s, 2)).toBeCloseTo(1, 12); // clamped
  });

  it('Linear holds its end values outside [start, end], and a zero-length ramp is a step', () => {
    const s: Schedule = { _tag: 'Linear', from: 2, to: 4, start: 0.2, end: 0.6 };
    expect(evaluateSchedule(s, 0.1)).toBe(2);
    expect(evaluateSchedule(s, 0.4)).toBeCloseTo(3, 12);
    expect(evaluateSchedule(s, 0.9)).toBe(4);
    const step: Schedule = { _tag: 'Linear', from: 1, to: 0, start: 0.5, end: 0.5 };
    expect(evaluateSchedule(step, 0.49)).toBe(1);
    expect(evaluateSchedule(step, 0.5)).toBe(0);
  });

  it('Cosine: MoCo v3 momentum m(t) = 1 - (1 + cos(pi t)) (1 - m0) / 2 with m0 = 0.99', () => {
    const s: Schedule = { _tag: 'Cosine', from: 0.99, to: 1, start: 0, end: 1 };
    expect(evaluateSchedule(s, 0)).toBeCloseTo(0.99, 12);
    expect(evaluateSchedule(s, 0.5)).toBeCloseTo(0.995, 12); // cos(pi/2) = 0
    expect(evaluateSchedule(s, 0.25)).toBeCloseTo(1 - ((1 + Math.SQRT1_2) * 0.01) / 2, 12); // 0.991464...
    expect(evaluateSchedule(s, 0.25)).toBeCloseTo(0.9914644660940673, 12);
    expect(evaluateSchedule(s, 1)).toBeCloseTo(1, 12);
  });

  it('Cosine: I-JEPA weight decay 0.04 -> 0.4', () => {
    const s: Schedule = { _tag: 'Cosine', from: 0.04, to: 0.4, start: 0, end: 1 };
    expect(evaluateSchedule(s, 0)).toBeCloseTo(0.04, 12);
    expect(evaluateSchedule(s, 0.5)).toBeCloseTo(0.22, 12);
    expect(evaluateSchedule(s, 0.75)).toBeCloseTo(0.4 - (0.36 * (1 - Math.SQRT1_2)) / 2, 12); // 0.347279...
    expect(evaluateSchedule(s, 1)).toBeCloseTo(0.4, 12);
  });

  it('WarmupCosine: MoCo v3 ViT lr, 40 warmup epochs of 300, peak 1.5e-4 * 4096 / 256 = 2.4e-3, to 0', () => {
    const w = 40 / 300;
    const s: Schedule = { _tag: 'WarmupCosine', warmup: w, start: 0, peak: 2.4e-3, end: 0 };
    expect(evaluateSchedule(s, 0)).toBe(0);
    expect(evaluateSchedule(s, 20 / 300)).toBeCloseTo(1.2e-3, 15); // half way up
    expect(evaluateSchedule(s, w)).toBeCloseTo(2.4e-3, 15);
    expect(evaluateSchedule(s, w + (1 - w) / 2)).toBeCloseTo(1.2e-3, 15); // epoch 170: cos(pi/2)
    expect(evaluateSchedule(s, 1)).toBeCloseTo(0, 15);
  });

  it('WarmupCosine: I-JEPA lr 2e-4 -> 1e-3 over 40 of 300 epochs, then cosine to 1e-6', () => {
    const w = 40 / 300;
    const s: Schedule = { _tag: 'WarmupCosine', warmup: w, start: 2e-4, peak: 1e-3, end: 1e-6 };
    expect(evaluateSchedule(s, 0)).toBeCloseTo(2e-4, 15);
    expect(evaluateSchedule(s, 10 / 300)).toBeCloseTo(4e-4, 15); // a quarter of the warmup
    expect(evaluateSchedule(s, w)).toBeCloseTo(1e-3, 15);
    // epoch 235: u = 0.75 of the cosine, 1e-6 + (1e-3 - 1e-6)(1 + cos(3 pi / 4)) / 2
    expect(evaluateSchedule(s, 235 / 300)).toBeCloseTo(
      1e-6 + (0.999e-3 * (1 - Math.SQRT1_2)) / 2,
      15,
    );
    expect(evaluateSchedule(s, 1)).toBeCloseTo(1e-6, 15);
  });

  it('WarmupCosine without warmup starts at the peak; with warmup 1 it is the ramp', () => {
    const none: Schedule = { _tag: 'WarmupCosine', warmup: 0, start: 5, peak: 1, end: 0 };
    expect(evaluateSchedule(none, 0)).toBe(1);
    expect(evaluateSchedule(none, 0.5)).toBeCloseTo(0.5, 12);
    const all: Schedule = { _tag: 'WarmupCosine', warmup: 1, start: 0, peak: 2, end: 9 };
    expect(evaluateSchedule(all, 0.5)).toBeCloseTo(1, 12);
    expect(evaluateSchedule(all, 0.999)).toBeCloseTo(1.998, 12);
  });
});
