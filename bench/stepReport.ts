/**
 * The report of `tessera bench step` (printed as JSON by `--json`, snake case) and its
 * human-readable form.
 */
import type { MethodName, Preset } from '../library/index.js';
import { showProfile, type StepProfile } from './profile.js';

/** Median, min and max of a series. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median, min and max of a series (empty series: NaN). */
export const spread = (xs: ReadonlyArray<number>): Spread => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[s.length >> 1] ?? NaN, min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
};

/** One PyTorch peer run (one thread count), timed interleaved with the compiled step. */
export interface PeerRun {
  readonly threads: number;
  readonly ms: number;
  readonly min_ms: number;
  readonly max_ms: number;
  /** Compiled median over this run's median (> 1: tessera slower). */
  readonly ratio: number;
  /** The same with the augmentation median taken out of the compiled step (the peer has none). */
  readonly ratio_no_aug: number;
  /** The peer's loss at its first timed step (its own weights: not comparable to tessera's). */
  readonly loss: number;
}

/** The PyTorch peer's part of the report. */
export interface PeerReport {
  readonly available: boolean;
  /** Why there is no peer run (torch absent, method not written), or null. */
  readonly note: string | null;
  readonly torch: string | null;
  /** BLAS torch loaded (`openblas-pthread`, `openblas`, `mkl`, `reference`, `unknown`). */
  readonly blas: string | null;
  readonly blas_warning: string | null;
  readonly params: number | null;
  readonly forward_flops: number | null;
  readonly runs: ReadonlyArray<PeerRun>;
}

/** The compiled step's times in one phase (phased methods: ST-STORM A and B). */
export interface PhaseTime {
  readonly phase: string;
  readonly ms: number;
  readonly min_ms: number;
  readonly max_ms: number;
}

/** The report, as printed by `--json`. Naive and loss fields are null where no eager baseline is written. */
export interface StepBenchReport {
  readonly method: MethodName;
  readonly preset: Preset;
  readonly backend: string;
  readonly batch: number;
  readonly iters: number;
  readonly warmup: number;
  readonly compiled_ms: number;
  readonly compiled_min_ms: number;
  readonly compiled_max_ms: number;
  /** Per phase, for a phased method (the `compiled_*` fields then pool every phase); else null. */
  readonly phases: ReadonlyArray<PhaseTime> | null;
  readonly naive_ms: number | null;
  readonly naive_min_ms: number | null;
  readonly naive_max_ms: number | null;
  /** Where the naive step ran (`cpu` when it cannot run on `backend`), null without a baseline. */
  readonly naive_backend: string | null;
  /** Why the naive step did not run on `backend` or at all, or null. */
  readonly naive_note: string | null;
  readonly ratio: number | null;
  readonly loss_compiled: number;
  readonly loss_naive: number | null;
  readonly loss_abs_diff: number | null;
  readonly loss_abs_diff_step1: number | null;
  /** The views' augmentation pipelines (and masks) of one step, timed alone in the same loop. */
  readonly augment_ms: number;
  readonly augment_min_ms: number;
  readonly augment_max_ms: number;
  readonly step_flops: number;
  readonly gflops: number;
  readonly roof_size: number;
  readonly roof_gflops: number;
  readonly roof_min_gflops: number;
  readonly roof_max_gflops: number;
  readonly gflops_vs_roof: number;
  readonly peak_bytes_predicted: number | null;
  readonly peak_bytes_predicted_note: string | null;
  readonly peak_bytes_measured: number;
  /** Tensor count after minus before one step of each (0 = no leak). */
  readonly tensor_delta_compiled: number;
  readonly tensor_delta_naive: number | null;
  /** `--peer torch`, else null. */
  readonly peer: PeerReport | null;
  /** `--profile`, else null. */
  readonly profile: StepProfile | null;
}

const ms = (x: number): string => `${x.toFixed(1)} ms`;

const naiveLines = (r: StepBenchReport): string[] =>
  r.naive_ms === null
    ? [`  naive     none (${r.naive_note})`]
    : [
        `  naive     median ${ms(r.naive_ms)}  (min ${ms(r.naive_min_ms!)}, max ${ms(r.naive_max_ms!)}) on ${r.naive_backend}`,
        ...(r.naive_note ? [`  note: ${r.naive_note}`] : []),
        `  ratio naive/compiled ${r.ratio!.toFixed(2)}x`,
        `  loss compiled ${r.loss_compiled.toPrecision(7)}, naive ${r.loss_naive!.toPrecision(7)}: |diff| ${r.loss_abs_diff!.toExponential(2)} (next step ${r.loss_abs_diff_step1!.toExponential(2)})`,
      ];

const peerLines = (p: PeerReport | null): string[] => {
  if (p === null) return [];
  if (!p.available) return [`  pytorch peer: not run: ${p.note}`];
  return [
    `  pytorch ${p.torch} peer (${p.blas}; ${p.params} parameters, ${((p.forward_flops ?? 0) / 1e9).toFixed(3)} GFLOP forward), no augmentation:`,
    ...(p.blas_warning ? [`  WARNING: ${p.blas_warning}`] : []),
    ...p.runs.map(
      (t) =>
        `    ${t.threads} thread${t.threads > 1 ? 's' : ' '}  median ${ms(t.ms)}  (min ${ms(t.min_ms)}, max ${ms(t.max_ms)})  ` +
        `tessera/pytorch ${t.ratio.toFixed(2)}x (${t.ratio_no_aug.toFixed(2)}x without tessera's augmentation)`,
    ),
  ];
};

/** The human-readable report. */
export const showStepBench = (r: StepBenchReport): string =>
  [
    `step benchmark: ${r.method} ${r.preset} on ${r.backend}, batch ${r.batch}, ${r.iters} alternating runs after ${r.warmup} warm-up`,
    `  compiled  median ${ms(r.compiled_ms)}  (min ${ms(r.compiled_min_ms)}, max ${ms(r.compiled_max_ms)})`,
    ...(r.phases ?? []).map(
      (p) =>
        `    phase ${p.phase}   median ${ms(p.ms)}  (min ${ms(p.min_ms)}, max ${ms(p.max_ms)})`,
    ),
    `  augment   median ${ms(r.augment_ms)}  (min ${ms(r.augment_min_ms)}, max ${ms(r.augment_max_ms)}) (inside the compiled and naive steps)`,
    ...naiveLines(r),
    ...peerLines(r.peer),
    `  compiled ${r.gflops.toFixed(2)} GFLOP/s (${(r.step_flops / 1e9).toFixed(3)} GFLOP/step) vs roof ${r.roof_gflops.toFixed(2)} GFLOP/s ` +
      `(${r.roof_size}^2 matMul, min ${r.roof_min_gflops.toFixed(2)}, max ${r.roof_max_gflops.toFixed(2)}): ${(100 * r.gflops_vs_roof).toFixed(0)}%`,
    `  peak bytes measured ${r.peak_bytes_measured}, predicted ${r.peak_bytes_predicted ?? `n/a (${r.peak_bytes_predicted_note})`}`,
    `  tensors left after one step: compiled ${r.tensor_delta_compiled}, naive ${r.tensor_delta_naive ?? 'n/a'}`,
    ...(r.profile ? [showProfile(r.profile)] : []),
  ].join('\n');
