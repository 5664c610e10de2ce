/** Training progress: the status text, a redrawn line that fits the terminal, sparse plain lines otherwise. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, makeProgress, progressLine, progressText } from '../../cli/progress.js';

const metrics = (step: number, terms: Readonly<Record<string, number>> = { a: 1.25, b: 1.25 }) => ({
  step,
  phase: undefined,
  loss: 2.5,
  weighted: 2.5,
  terms,
  lr: {},
  ema: {},
});

/** ST-STORM-like metrics: 16 loss terms with long names. */
const sixteen = Object.fromEntries(
  Array.from({ length: 16 }, (_, i) => [
    `term_${String(i).padStart(2, '0')}_name`,
    0.123 * (i + 1),
  ]),
);
const info = { totalSteps: 600, stepMs: 400, elapsed: 50, done: 120 };

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

  it('fits 16 loss terms into 80 columns: bar, step, total loss, the first terms, then how many are hidden', () => {
    const line = progressLine(metrics(119, sixteen), info, 80);
    expect(progressText(metrics(119, sixteen), info).length).toBeGreaterThan(300);
    expect(line.length).toBeLessThanOrEqual(79);
    expect(line).toBe(
      '[####................] step 120/600  2.40 it/s  ETA 3:20  loss 2.5000  +16 more',
    );
    const wide = progressLine(metrics(119, sixteen), info, 120);
    expect(wide).toBe(
      '[####................] step 120/600  2.40 it/s  ETA 3:20  loss 2.5000  term_00_name 0.1230  +15 more',
    );
    expect(wide.length).toBeLessThanOrEqual(119);
  });

  it('shows every term when they fit, and drops the bar, then cuts the head, when the terminal is narrow', () => {
    const all = progressLine(metrics(119), info, 200);
    expect(all).toBe(`[####................] ${progressText(metrics(119), info)}`);
    expect(progressLine(metrics(119), info, 60)).toBe(
      'step 120/600  2.40 it/s  ETA 3:20  loss 2.5000  +2 more',
    );
    expect(progressLine(metrics(119), info, 50)).toBe(
      'step 120/600  2.40 it/s  ETA 3:20  loss 2.5000',
    );
    expect(progressLine(metrics(119), info, 20)).toBe('step 120/600  2.40 ');
    expect(progressLine(metrics(119), info, Number.NaN).length).toBeLessThanOrEqual(79);
    expect(progressLine(metrics(119), info, 200, '  kNN content 31.2%')).toBe(
      `[####................] step 120/600  2.40 it/s  ETA 3:20  loss 2.5000  kNN content 31.2%  a 1.2500  b 1.2500`,
    );
    expect(progressLine(metrics(119), info, 90, '  kNN content 31.2%')).toBe(
      '[####................] step 120/600  2.40 it/s  ETA 3:20  loss 2.5000  kNN content 31.2%',
    );
  });

  it('never exceeds the width; shows the first terms in order and counts the rest (property)', () => {
    const terms = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 14 }).map((s) => s.replace(/\s/g, '_')),
      fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
      { maxKeys: 20 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), terms, (columns, t) => {
        const line = progressLine(metrics(119, t), info, columns);
        expect(line.length).toBeLessThanOrEqual(Math.max(1, columns - 1));
        const all = Object.keys(t);
        const shown = all.filter(
          (k, i) =>
            line.includes(`  ${k} `) && all.slice(0, i).every((p) => line.includes(`  ${p} `)),
        );
        const hidden = /\+(\d+) more$/.exec(line);
        if (hidden !== null) expect(shown.length + Number(hidden[1])).toBe(all.length);
        if (columns >= 200 && all.length <= 2) expect(hidden).toBeNull();
      }),
    );
  });

  it('prints the first step, every N-th and the last when not a TTY, with every term', () => {
    let out = '';
    const p = makeProgress({ out: (t) => (out += t), err: () => undefined, isTty: false }, 5);
    for (let s = 0; s < 12; s++)
      p.step(metrics(s, sixteen), { totalSteps: 12, stepMs: 1, elapsed: s + 1, done: s + 1 });
    p.end();
    const lines = out.split('\n').filter(Boolean);
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(['1/12', '5/12', '10/12', '12/12']);
    expect(lines.every((l) => l.includes('term_15_name'))).toBe(true);
  });

  it('redraws one line on a TTY within its width and moves events above it', () => {
    let out = '';
    const p = makeProgress(
      { out: (t) => (out += t), err: () => undefined, isTty: true, columns: 80 },
      5,
    );
    p.step(metrics(0, sixteen), { totalSteps: 2, stepMs: 1, elapsed: 1, done: 1 });
    p.event('checkpoint saved at step 1');
    p.step(metrics(1, sixteen), { totalSteps: 2, stepMs: 1, elapsed: 2, done: 2 });
    p.end();
    expect(out).toMatch(
      /^\[#{10}\.{10}\] step 1\/2 .*\r\x1b\[Kcheckpoint saved at step 1\n\[#{20}\] step 2\/2 .*\n$/,
    );
    const drawn = out.split(/\r\x1b\[K|\n/).filter(Boolean);
    expect(drawn.length).toBe(3);
    for (const l of drawn) expect(l.length).toBeLessThanOrEqual(79);
  });

  it('shows the note (unreadable images) on the plain and the redrawn line, as it changes', () => {
    let count = 0;
    const note = (): string => (count > 0 ? `  unreadable ${count}` : '');
    let out = '';
    const plain = makeProgress(
      { out: (t) => (out += t), err: () => undefined, isTty: false },
      1,
      note,
    );
    plain.step(metrics(0), { totalSteps: 3, stepMs: 1, elapsed: 1, done: 1 });
    count = 2;
    plain.step(metrics(1), { totalSteps: 3, stepMs: 1, elapsed: 2, done: 2 });
    const lines = out.split('\n').filter(Boolean);
    expect(lines[0]).not.toContain('unreadable');
    expect(lines[1]).toMatch(/loss 2\.5000  a 1\.2500  b 1\.2500  unreadable 2$/);
    out = '';
    const tty = makeProgress(
      { out: (t) => (out += t), err: () => undefined, isTty: true, columns: 80 },
      1,
      note,
    );
    tty.step(metrics(1, sixteen), { totalSteps: 2, stepMs: 1, elapsed: 2, done: 2 });
    expect(out).toMatch(/ETA 0:00  loss 2\.5000  unreadable 2/);
    expect(out.length).toBeLessThanOrEqual(79);
  });
});
