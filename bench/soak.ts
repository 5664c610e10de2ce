/**
 * The soak benchmark (`tessera bench soak`, issue 12): the real training loop (`runtime/train.ts`:
 * data, guarded step, metrics lines, checkpoints) of a library method's `tiny` preset on the
 * built-in appearance data, for many steps, sampling what could leak: the TF.js tensor count and
 * bytes, the process RSS, the JS heap and the wasm heap. Samples are taken after a full garbage
 * collection (so RSS does not just show the collector's rhythm). The report gives start (after the
 * first step) / end / max and a trend: the least-squares slope per 100 steps over the second half
 * of the run, after allocations of the first steps (optimizer moments, queues, kernels) settled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import { appearanceDataset } from '../data/appearance/generator.js';
import { methods, type MethodName } from '../library/index.js';
import { useBackend, type BackendName } from '../runtime/backend.js';
import { train } from '../runtime/train.js';

/** What `benchSoak` runs. */
export interface SoakOptions {
  readonly method: MethodName;
  /** Training steps. */
  readonly steps: number;
  /** Default: the `tiny` preset's batch. */
  readonly batch?: number;
  readonly backend: BackendName;
  readonly seed: number;
  /** Sample every this many steps (and after the first and the last). */
  readonly every: number;
  /** Checkpoint every this many steps (the checkpoint path is part of what soaks). */
  readonly checkpointEvery: number;
  /** Images of the built-in data (several epochs in a long soak). */
  readonly images: number;
  /** Called with each sample, e.g. to print progress. */
  readonly onSample?: (s: SoakSample) => void;
}

/** One measurement, after `step` steps and a full garbage collection. */
export interface SoakSample {
  readonly step: number;
  readonly tensors: number;
  /** Bytes TF.js holds in tensors. */
  readonly tensorMB: number;
  readonly rssMB: number;
  /** V8 heap in use. */
  readonly heapMB: number;
  /** The wasm backend's linear memory (it grows, never shrinks); 0 on other backends. */
  readonly wasmMB: number;
  /**
   * Node `ArrayBuffer`s and `Buffer`s outside the V8 heap (decoded images, checkpoint bytes): RSS
   * that grows while this and the heaps stay flat is the allocator's, not the program's.
   */
  readonly buffersMB: number;
  readonly seconds: number;
}

type Measure = 'tensors' | 'tensorMB' | 'rssMB' | 'heapMB' | 'wasmMB' | 'buffersMB';

/** The soak's result. */
export interface SoakReport {
  readonly method: MethodName;
  readonly backend: BackendName;
  readonly steps: number;
  readonly batch: number;
  readonly samples: ReadonlyArray<SoakSample>;
  readonly start: SoakSample;
  readonly end: SoakSample;
  /** Per measure, its largest value. */
  readonly max: Readonly<Record<Measure, number>>;
  /** Per measure, the least-squares slope per 100 steps over the second half of the samples. */
  readonly trend: Readonly<Record<Measure, number>>;
  readonly stepsPerSecond: number;
}

const MEASURES: ReadonlyArray<Measure> = [
  'tensors',
  'tensorMB',
  'rssMB',
  'heapMB',
  'wasmMB',
  'buffersMB',
];

/** A full garbage collection, without `--expose-gc` on the command line. */
const collect: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

const MB = 1024 * 1024;

const wasmBytes = (): number => {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.length ?? 0;
};

/** Measures now (after a full collection). */
export const sample = (step: number, t0: number): SoakSample => {
  collect();
  const m = tf.memory();
  const p = process.memoryUsage();
  return {
    step,
    tensors: m.numTensors,
    tensorMB: m.numBytes / MB,
    rssMB: p.rss / MB,
    heapMB: p.heapUsed / MB,
    wasmMB: wasmBytes() / MB,
    buffersMB: p.arrayBuffers / MB,
    seconds: (performance.now() - t0) / 1000,
  };
};

/** Least-squares slope of `ys` against `xs` (0 with fewer than two distinct xs). */
export const slope = (xs: ReadonlyArray<number>, ys: ReadonlyArray<number>): number => {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let [sxy, sxx] = [0, 0];
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
};

/** Start / end / max / trend of the samples (at least one). */
export const summarise = (
  samples: ReadonlyArray<SoakSample>,
): Pick<SoakReport, 'start' | 'end' | 'max' | 'trend'> => {
  const last = samples[samples.length - 1]!;
  const half = samples.filter((s) => s.step >= last.step / 2);
  const xs = half.map((s) => s.step);
  const per = (k: Measure) =>
    [
      k,
      100 *
        slope(
          xs,
          half.map((s) => s[k]),
        ),
    ] as const;
  return {
    start: samples[0]!,
    end: last,
    max: Object.fromEntries(
      MEASURES.map((k) => [k, Math.max(...samples.map((s) => s[k]))]),
    ) as Record<Measure, number>,
    trend: Object.fromEntries(MEASURES.map(per)) as Record<Measure, number>,
  };
};

/** Runs the soak; the run folder is a temporary one, removed at the end. */
export const benchSoak = async (o: SoakOptions): Promise<SoakReport> => {
  await useBackend(o.backend);
  const preset = methods[o.method]('tiny');
  const batch = o.batch ?? preset.training.batch;
  const method = { ...preset, training: { ...preset.training, batch, steps: o.steps } };
  const dataset = appearanceDataset({ n: o.images, size: method.input.size, seed: 0, cache: true });
  const outDir = mkdtempSync(join(tmpdir(), 'tessera-soak-'));
  const samples: SoakSample[] = [];
  const t0 = performance.now();
  const take = (step: number): void => {
    const s = sample(step, t0);
    samples.push(s);
    o.onSample?.(s);
  };
  try {
    const r = await train({
      method,
      dataset,
      steps: o.steps,
      seed: o.seed,
      backend: o.backend,
      outDir,
      checkpointEvery: o.checkpointEvery,
      resume: false,
      onStep: (m) => {
        const done = m.step + 1;
        if (done === 1 || done % o.every === 0 || done === o.steps) take(done);
      },
    });
    r.compiled.dispose();
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    method: o.method,
    backend: o.backend,
    steps: o.steps,
    batch,
    samples,
    ...summarise(samples),
    stepsPerSecond: o.steps / seconds,
  };
};

/** Tensors the prefetched batches may add or remove between two samples (batches in flight). */
export const PREFETCH_SLACK = 3;

/**
 * `tensors: flat ...` or `tensors: +N ...: a leak`: the count after the run against the lowest count
 * of the first samples, allowing `PREFETCH_SLACK` for batches decoded ahead.
 */
export const tensorVerdict = (r: Pick<SoakReport, 'samples' | 'end'>): string => {
  const early = Math.min(
    ...r.samples.slice(0, Math.max(1, r.samples.length >> 2)).map((s) => s.tensors),
  );
  const grew = r.end.tensors - early;
  return grew <= PREFETCH_SLACK
    ? `tensors: flat (within ${PREFETCH_SLACK} of the early count: batches decoded ahead), no tensor leak`
    : `tensors: +${grew} since the first samples: a leak (tensors not disposed)`;
};

const f1 = (x: number): string => x.toFixed(1);
const signed = (x: number, digits = 1): string => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

/** The readable report: a table of start / end / max / trend, and what grows. */
export const showSoak = (r: SoakReport): string => {
  const rows: ReadonlyArray<[string, Measure, (x: number) => string]> = [
    ['tensors', 'tensors', (x) => String(Math.round(x))],
    ['tensor MB', 'tensorMB', f1],
    ['RSS MB', 'rssMB', f1],
    ['JS heap MB', 'heapMB', f1],
    ['wasm heap MB', 'wasmMB', f1],
    ['buffers MB', 'buffersMB', f1],
  ];
  const lines = [
    `soak: ${r.method} tiny, batch ${r.batch}, ${r.steps} steps on ${r.backend} (${r.stepsPerSecond.toFixed(2)} steps/s); samples after a full GC`,
    `${'measure'.padEnd(14)}${'start'.padStart(10)}${'end'.padStart(10)}${'max'.padStart(10)}   trend per 100 steps (2nd half)`,
    ...rows.map(
      ([name, k, fmt]) =>
        `${name.padEnd(14)}${fmt(r.start[k]).padStart(10)}${fmt(r.end[k]).padStart(10)}${fmt(r.max[k]).padStart(10)}   ${signed(r.trend[k], k === 'tensors' ? 2 : 1)}`,
    ),
    `start: after step ${r.start.step}; end: after step ${r.end.step}; ${r.samples.length} samples`,
  ];
  lines.push(tensorVerdict(r));
  return `${lines.join('\n')}\n`;
};
