/** Training progress: the status text, a redrawn line on a TTY, sparse plain lines otherwise. */
import { describe, expect, it } from 'vitest';
import { formatDuration, makeProgress, progressText } from '../../cli/progress.js';

const metrics = (step: number) => ({ step, phase: undefined, loss: 2.5, weighted: 2.5, terms: { a: 1.25, b: 1.25 }, lr: {}, ema: {} });

describe('progress', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(125)).toBe('2:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(Infinity)).toBe('?');
  });

  it('shows step, rate, ETA and each loss term', () => {
    expect(progressText(metrics(9), { totalSteps: 100, stepMs: 400, elapsed: 5, done: 10 })).toBe(
      'step  10/100  2.00 it/s  ETA 0:45  loss 2.5000  a 1.2500  b 1.2500',
    );
  });

  it('prints the first step, every N-th and the last when not a TTY', () => {
    let out = '';
    const p = makeProgress({ out: (t) => (out += t), err: () => undefined, isTty: false }, 5);
    for (let s = 0; s < 12; s++) p.step(metrics(s), { totalSteps: 12, stepMs: 1, elapsed: s + 1, done: s + 1 });
    p.end();
    expect(out.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[1])).toEqual(['1/12', '5/12', '10/12', '12/12']);
  });

  it('redraws one line on a TTY and moves events above it', () => {
    let out = '';
    const p = makeProgress({ out: (t) => (out += t), err: () => undefined, isTty: true }, 5);
    p.step(metrics(0), { totalSteps: 2, stepMs: 1, elapsed: 1, done: 1 });
    p.event('checkpoint saved at step 1');
    p.step(metrics(1), { totalSteps: 2, stepMs: 1, elapsed: 2, done: 2 });
    p.end();
    expect(out).toMatch(/^\[#{10}\.{10}\] step 1\/2 .*\r\x1b\[Kcheckpoint saved at step 1\n\[#{20}\] step 2\/2 .*\n$/);
  });
});
