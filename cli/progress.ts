/**
 * Training progress for the terminal: on a TTY, one line redrawn in place (at most 10 times a
 * second) with bar, step, rate, ETA, the total loss and the loss terms that fit the terminal's
 * width (`progressLine`); otherwise one plain line with every term every `every` steps (and at
 * the last step), so logs stay short. `metrics.jsonl` always has every term.
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

const num = (x: number): string =>
  Math.abs(x) >= 100 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(2) : x.toFixed(4);

/** `step 120/600  2.10 it/s  ETA 3:48  loss 2.8312`: the part of a status line every step has. */
const statusHead = (m: StepMetrics, info: StepInfo): string => {
  const rate = info.done / Math.max(info.elapsed, 1e-9);
  const eta = (info.totalSteps - (m.step + 1)) / rate;
  const width = String(info.totalSteps).length;
  return `step ${String(m.step + 1).padStart(width)}/${info.totalSteps}  ${rate.toFixed(2)} it/s  ETA ${formatDuration(eta)}  loss ${num(m.loss)}`;
};

const termTexts = (m: StepMetrics): ReadonlyArray<string> =>
  Object.entries(m.terms).map(([k, v]) => `${k} ${num(v)}`);

/** The status text of a step with every loss term: `step 120/600  2.10 it/s  ETA 3:48  loss 2.8312  ctr_12 1.4101 ...`. */
export const progressText = (m: StepMetrics, info: StepInfo): string =>
  [statusHead(m, info), ...termTexts(m)].join('  ');

/** Online kNN accuracies as `content/content 31.2%  style/appearance 48.0%` (the `knn/` prefix dropped). */
export const onlineText = (values: Readonly<Record<string, number>>): string =>
  Object.entries(values)
    .map(([k, v]) => `${k.startsWith('knn/') ? k.slice(4) : k} ${(100 * v).toFixed(1)}%`)
    .join('  ');

const bar = (fraction: number, width = 20): string => {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
};

const more = (n: number): string => `  +${n} more`;

/**
 * The redrawn status line of a step for a terminal `columns` wide: it stays under the width (one
 * column is left free so the cursor never wraps). Bar, step, rate, ETA and the total loss first,
 * and `online` (the last online kNN, `  kNN ...`), then as many loss terms as fit in their order,
 * then `+K more` for the rest. When even the head does not fit, the bar goes, then the head is cut.
 */
export const progressLine = (
  m: StepMetrics,
  info: StepInfo,
  columns: number,
  online = '',
): string => {
  const max = Number.isFinite(columns) ? Math.max(1, Math.floor(columns) - 1) : 79;
  const head = statusHead(m, info) + online;
  const withBar = `${bar((m.step + 1) / info.totalSteps)} ${head}`;
  let line = withBar.length <= max ? withBar : head.slice(0, max);
  const terms = termTexts(m);
  for (let i = 0; i < terms.length; i++) {
    const next = `${line}  ${terms[i]}`;
    const left = terms.length - i - 1;
    if (next.length + (left > 0 ? more(left).length : 0) > max) {
      const hidden = more(terms.length - i);
      return line.length + hidden.length <= max ? line + hidden : line;
    }
    line = next;
  }
  return line;
};

/** A progress reporter: `step` after each step, `event` for messages, `end` when training ends. */
export interface Progress {
  readonly step: (m: StepMetrics, info: StepInfo) => void;
  readonly event: (message: string) => void;
  /** An online evaluation after `done` steps: printed as its own line and kept on the progress line. */
  readonly online: (
    done: number,
    values: Readonly<Record<string, number>>,
    seconds: number,
  ) => void;
  readonly end: () => void;
}

/**
 * The reporter for `io`: a redrawn bar on a TTY, a line every `every` steps otherwise. `note`
 * (read at every drawn line) is appended after the loss, e.g. `  unreadable 3`.
 */
export const makeProgress = (io: Io, every: number, note: () => string = () => ''): Progress => {
  let drawn = false;
  let lastDraw = 0;
  let knn = '';
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
        io.out(progressLine(m, info, io.columns ?? 80, knn + note()));
        drawn = true;
      } else if ((m.step + 1) % every === 0 || last || info.done === 1) {
        io.out(`${progressText(m, info)}${knn}${note()}\n`);
      }
    },
    event: (message) => {
      clear();
      io.out(`${message}\n`);
    },
    online: (done, values, seconds) => {
      clear();
      knn = `  kNN ${onlineText(values)}`;
      io.out(
        `online kNN after ${done} steps${done === 0 ? ' (untrained)' : ''}: ${onlineText(values)}  (${seconds.toFixed(1)} s)\n`,
      );
    },
    end: () => {
      if (drawn) io.out('\n');
      drawn = false;
    },
  };
};
