/**
 * Training progress for the terminal: on a TTY, one line redrawn in place (at most 10 times a
 * second) with step, bar, rate, ETA and the loss terms; otherwise one plain line every `every`
 * steps (and at the last step), so logs stay short.
 */
import type { StepMetrics } from '../runtime/compiled.js';
import type { Io } from './command.js';
import type { StepInfo } from '../runtime/train.js';

/** Seconds as `m:ss` (or `h:mm:ss`). */
export const formatDuration = (seconds: number): string => {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
};

const num = (x: number): string => (Math.abs(x) >= 100 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(2) : x.toFixed(4));

/** The status text of a step: `step 120/600  2.1 it/s  ETA 3:48  loss 2.8312  ctr_12 1.4101 ...`. */
export const progressText = (m: StepMetrics, info: StepInfo): string => {
  const rate = info.done / Math.max(info.elapsed, 1e-9);
  const eta = (info.totalSteps - (m.step + 1)) / rate;
  const terms = Object.entries(m.terms).map(([k, v]) => `${k} ${num(v)}`).join('  ');
  const width = String(info.totalSteps).length;
  return `step ${String(m.step + 1).padStart(width)}/${info.totalSteps}  ${rate.toFixed(2)} it/s  ETA ${formatDuration(eta)}  loss ${num(m.loss)}${terms ? `  ${terms}` : ''}`;
};

const bar = (fraction: number, width = 20): string => {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
};

/** A progress reporter: `step` after each step, `event` for messages, `end` when training ends. */
export interface Progress {
  readonly step: (m: StepMetrics, info: StepInfo) => void;
  readonly event: (message: string) => void;
  readonly end: () => void;
}

/** The reporter for `io`: a redrawn bar on a TTY, a line every `every` steps otherwise. */
export const makeProgress = (io: Io, every: number): Progress => {
  let drawn = false;
  let lastDraw = 0;
  const clear = (): void => {
    if (drawn) io.out('\r\x1b[K');
    drawn = false;
  };
  return {
    step: (m, info) => {
      const last = m.step + 1 === info.totalSteps;
      if (io.isTty) {
        const now = Date.now();
        if (now - lastDraw < 100 && !last) return;
        lastDraw = now;
        clear();
        io.out(`${bar((m.step + 1) / info.totalSteps)} ${progressText(m, info)}`);
        drawn = true;
      } else if ((m.step + 1) % every === 0 || last || info.done === 1) {
        io.out(`${progressText(m, info)}\n`);
      }
    },
    event: (message) => {
      clear();
      io.out(`${message}\n`);
    },
    end: () => {
      if (drawn) io.out('\n');
      drawn = false;
    },
  };
};
