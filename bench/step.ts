/**
 * `tessera bench step`: the compiled training step against the hand-written eager TF.js step of
 * the same model (`bench/naive/`), same weights (the compiled method's init, copied), same batch,
 * same views and masks (both draw them from the same seeded streams; `bench/naive/baseline.ts`).
 *
 * 1. Loss check: from the same weights, one compiled and one naive step (the loss is computed
 *    before the update), then a second step of each from their updated weights: `loss_abs_diff`
 *    and `loss_abs_diff_step1`. Steps are numbered from the middle of the method's schedule so
 *    the learning rate is not zero (a warmup starting at 0 would make the second check trivial).
 * 2. `warmup` alternating calls of each, then `iters` alternating A/B runs (compiled, naive, ...):
 *    median, min and max milliseconds (the loss read back with `dataSync` is inside the time).
 * 3. Roofline: a plain 2-D `tf.matMul` of square `n x n` operands, `n` the cube root of the
 *    model's largest matmul, timed once per iteration in the same loop: `roof_gflops`.
 * 4. `gflops`: `stepFlops(graph).training` (shape pass; backward counted as 2x forward where
 *    gradient flows) divided by the compiled median.
 * 5. Memory: `tf.profile` peak bytes of one compiled step; the prediction is read from the graph's
 *    `memory.peakBytes` when the memory-planning pass has annotated it, else null (and a note).
 *
 * Where the naive step cannot run on the backend (a missing kernel on wasm: the gather and
 * conv-filter gradients in I-JEPA), the report says so and the naive side runs on `cpu`.
 */
import { compile } from '../runtime/compile.js';
import type { Graph } from '../compiler/ir/graph.js';
import type { Method } from '../compiler/ir/node.js';
import type { CompiledMethod } from '../runtime/compiled.js';
import { stepFlops } from '../compiler/passes/shapes/index.js';
import { methods, type MethodName, type Preset } from '../library/index.js';
import { tf, type BackendName } from '../runtime/backend.js';
import { Rng } from '../compiler/ir/rng.js';
import type { NaiveMethod } from './naive/baseline.js';
import { naiveIjepa } from './naive/ijepa.js';
import { naiveMocoV3 } from './naive/mocoV3.js';

/** Settings of the step benchmark. */
export interface StepBenchOptions {
  readonly method: MethodName;
  readonly preset: Preset;
  readonly backend: Exclude<BackendName, 'tensorflow'>;
  /** Timed A/B pairs (default 7). */
  readonly iters?: number;
  /** Untimed alternating calls before (default 2). */
  readonly warmup?: number;
  /** Batch size (default: the preset's). */
  readonly batch?: number;
  /** Seed of the weights, the images and the views (default 0). */
  readonly seed?: number;
}

/** Median, min and max of a series, ms. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** The report, as printed by `--json` (snake case). */
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
  readonly naive_ms: number;
  readonly naive_min_ms: number;
  readonly naive_max_ms: number;
  /** Where the naive step ran (`cpu` when it cannot run on `backend`). */
  readonly naive_backend: string;
  /** Why the naive step did not run on `backend`, or null. */
  readonly naive_note: string | null;
  readonly ratio: number;
  readonly loss_compiled: number;
  readonly loss_naive: number;
  readonly loss_abs_diff: number;
  readonly loss_abs_diff_step1: number;
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
  readonly tensor_delta_naive: number;
}

const spread = (xs: ReadonlyArray<number>): Spread => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[s.length >> 1]!, min: s[0]!, max: s[s.length - 1]! };
};

const naiveOf = (name: MethodName): ((g: Graph, w: Readonly<Record<string, tf.Variable>>, seed: number) => NaiveMethod) =>
  name === 'moco-v3' ? naiveMocoV3 : naiveIjepa;

/** Uniform images `[batch, size, size, 3]` in [0, 1] from `seed` (on the current backend). */
const randomImages = (batch: number, size: number, seed: number): tf.Tensor4D => {
  const r = Rng.seeded(seed).fork('bench:images');
  return tf.tensor4d(Float32Array.from({ length: batch * size * size * 3 }, () => r.next()), [batch, size, size, 3]);
};

/** Side of the square matmul with as many FLOPs as the largest linear on `[batch * tokens, in]`. */
const roofSize = (graph: Graph, batch: number): number => {
  const vit = graph.method.modules.map((m) => m.net).find((n) => n._tag === 'Vit');
  const tokens = vit && vit._tag === 'Vit' ? (vit.imageSize / vit.patch) ** 2 + (vit.cls ? 1 : 0) : 1;
  const weights = graph.modules.flatMap((m) => m.params ?? []).filter((p) => p.shape.length === 2);
  const largest = Math.max(1, ...weights.map((p) => p.shape[0]! * p.shape[1]!));
  return Math.max(32, Math.round(Math.cbrt(batch * tokens * largest) / 32) * 32);
};

/** The memory-planning pass's prediction (`graph.memory`), when the graph carries one. */
const predictedPeak = (graph: Graph): number | null => graph.memory?.peakBytes ?? null;

const time = (f: () => void): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};

/** Runs `f` with `backend` active, then restores the previous backend. */
const onBackend = async <T>(backend: string, f: () => T): Promise<T> => {
  const before = tf.getBackend();
  if (before !== backend) await tf.setBackend(backend);
  try {
    return f();
  } finally {
    if (before !== backend) await tf.setBackend(before);
  }
};

/** The naive step on `backend` if it trains there (probed with one step on a throw-away copy), else on `cpu`. */
const placeNaive = async (
  make: () => NaiveMethod,
  images: tf.Tensor4D,
  backend: string,
): Promise<{ readonly backend: string; readonly note: string | null }> => {
  if (backend === 'cpu') return { backend, note: null }; // the reference backend has every kernel
  const probe = make();
  try {
    probe.step(images, { step: 0, totalSteps: 1 });
    return { backend, note: null };
  } catch (e) {
    const first = String(e instanceof Error ? e.message : e).split('\n')[0]!;
    return { backend: 'cpu', note: `naive step cannot run on ${backend} (${first}); naive measured on cpu` };
  } finally {
    probe.dispose();
  }
};

/** Sets the preset's batch to `batch` (the graph's FLOP count follows). */
const withBatch = (spec: Method, batch: number | undefined): Method =>
  batch === undefined ? spec : { ...spec, training: { ...spec.training, batch } };

interface Sides {
  readonly compiled: CompiledMethod;
  readonly naive: NaiveMethod;
  readonly images: tf.Tensor4D;
  readonly naiveImages: tf.Tensor4D;
  readonly naiveBackend: string;
}

/** Compiled losses and naive losses of two successive steps from the same weights. */
const checkLosses = async (s: Sides, at0: number, total: number): Promise<{ c: number[]; n: number[] }> => {
  const c: number[] = [];
  const n: number[] = [];
  for (const step of [at0, at0 + 1]) {
    c.push(s.compiled.step(s.images, { step, totalSteps: total }).loss);
    n.push(await onBackend(s.naiveBackend, () => s.naive.step(s.naiveImages, { step, totalSteps: total })));
  }
  return { c, n };
};

/** Alternating A/B timing with a roofline matmul in the same loop. */
const timeSides = async (s: Sides, o: { warmup: number; iters: number; roof: number; at0: number; total: number }) => {
  const a = tf.randomUniform([o.roof, o.roof]) as tf.Tensor2D;
  const b = tf.randomUniform([o.roof, o.roof]) as tf.Tensor2D;
  // the tidy returns nothing: returning the typed array makes tidy walk its elements (~10x the matmul)
  const runRoof = () => tf.tidy(() => void tf.matMul(a, b).dataSync());
  const runC = (i: number) => s.compiled.step(s.images, { step: o.at0 + 2 + i, totalSteps: o.total });
  const runN = (i: number) => onBackend(s.naiveBackend, () => time(() => s.naive.step(s.naiveImages, { step: o.at0 + 2 + i, totalSteps: o.total })));
  for (let i = 0; i < o.warmup; i++) {
    runC(i);
    await runN(i);
    runRoof();
  }
  const compiled: number[] = [];
  const naive: number[] = [];
  const roof: number[] = [];
  for (let i = 0; i < o.iters; i++) {
    compiled.push(time(() => runC(o.warmup + i)));
    naive.push(await runN(o.warmup + i));
    roof.push((2 * o.roof ** 3) / (time(runRoof) * 1e6));
  }
  a.dispose();
  b.dispose();
  return { compiled: spread(compiled), naive: spread(naive), roof: spread(roof) };
};

/** Tensor count after minus before `f`. */
const tensorDelta = async (f: () => unknown): Promise<number> => {
  const before = tf.memory().numTensors;
  await f();
  return tf.memory().numTensors - before;
};

/** Runs the step benchmark (see the file comment). */
export const benchStep = async (o: StepBenchOptions): Promise<StepBenchReport> => {
  const iters = o.iters ?? 7;
  const warmup = o.warmup ?? 2;
  const seed = o.seed ?? 0;
  const spec = withBatch(methods[o.method](o.preset), o.batch);
  const compiled = await compile(spec, { backend: o.backend });
  compiled.init(seed);
  const { graph } = compiled;
  const batch = graph.method.training.batch;
  const total = graph.method.training.steps;
  const at0 = Math.floor(total / 2);
  const images = randomImages(batch, graph.method.input.size, seed);
  const make = () => naiveOf(o.method)(graph, compiled.variables(), seed);
  const placed = await placeNaive(make, images, o.backend);
  const naive = await onBackend(placed.backend, make);
  const naiveImages = await onBackend(placed.backend, () => tf.tensor4d(images.dataSync(), images.shape));
  const sides: Sides = { compiled, naive, images, naiveImages, naiveBackend: placed.backend };
  const losses = await checkLosses(sides, at0, total);
  const t = await timeSides(sides, { warmup, iters, roof: roofSize(graph, batch), at0, total });
  const next = at0 + 2 + warmup + iters;
  const profile = await tf.profile(() => void compiled.step(images, { step: next, totalSteps: total }));
  const tensorDeltaCompiled = await tensorDelta(() => compiled.step(images, { step: next + 1, totalSteps: total }));
  const tensorDeltaNaive = await tensorDelta(() => onBackend(placed.backend, () => naive.step(naiveImages, { step: next + 1, totalSteps: total })));
  const flops = stepFlops(graph).training;
  const gflops = flops / (t.compiled.median * 1e6);
  const predicted = predictedPeak(graph);
  const report: StepBenchReport = {
    method: o.method, preset: o.preset, backend: o.backend, batch, iters, warmup,
    compiled_ms: t.compiled.median, compiled_min_ms: t.compiled.min, compiled_max_ms: t.compiled.max,
    naive_ms: t.naive.median, naive_min_ms: t.naive.min, naive_max_ms: t.naive.max,
    naive_backend: placed.backend, naive_note: placed.note,
    ratio: t.naive.median / t.compiled.median,
    loss_compiled: losses.c[0]!, loss_naive: losses.n[0]!,
    loss_abs_diff: Math.abs(losses.c[0]! - losses.n[0]!),
    loss_abs_diff_step1: Math.abs(losses.c[1]! - losses.n[1]!),
    step_flops: flops, gflops,
    roof_size: roofSize(graph, batch), roof_gflops: t.roof.median, roof_min_gflops: t.roof.min, roof_max_gflops: t.roof.max,
    gflops_vs_roof: gflops / t.roof.median,
    peak_bytes_predicted: predicted,
    peak_bytes_predicted_note: predicted === null ? 'the graph carries no memory plan (no `memory.peakBytes`): the memory-planning pass has not annotated it' : null,
    peak_bytes_measured: profile.peakBytes,
    tensor_delta_compiled: tensorDeltaCompiled, tensor_delta_naive: tensorDeltaNaive,
  };
  for (const x of [images, naiveImages]) x.dispose();
  naive.dispose();
  compiled.dispose();
  return report;
};

const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** The human-readable report. */
export const showStepBench = (r: StepBenchReport): string =>
  [
    `step benchmark: ${r.method} ${r.preset} on ${r.backend}, batch ${r.batch}, ${r.iters} alternating runs after ${r.warmup} warm-up`,
    `  compiled  median ${ms(r.compiled_ms)}  (min ${ms(r.compiled_min_ms)}, max ${ms(r.compiled_max_ms)})`,
    `  naive     median ${ms(r.naive_ms)}  (min ${ms(r.naive_min_ms)}, max ${ms(r.naive_max_ms)}) on ${r.naive_backend}`,
    ...(r.naive_note ? [`  note: ${r.naive_note}`] : []),
    `  ratio naive/compiled ${r.ratio.toFixed(2)}x`,
    `  loss compiled ${r.loss_compiled.toPrecision(7)}, naive ${r.loss_naive.toPrecision(7)}: |diff| ${r.loss_abs_diff.toExponential(2)} (next step ${r.loss_abs_diff_step1.toExponential(2)})`,
    `  compiled ${r.gflops.toFixed(2)} GFLOP/s (${(r.step_flops / 1e9).toFixed(3)} GFLOP/step) vs roof ${r.roof_gflops.toFixed(2)} GFLOP/s ` +
      `(${r.roof_size}^2 matMul, min ${r.roof_min_gflops.toFixed(2)}, max ${r.roof_max_gflops.toFixed(2)}): ${(100 * r.gflops_vs_roof).toFixed(0)}%`,
    `  peak bytes measured ${r.peak_bytes_measured}, predicted ${r.peak_bytes_predicted ?? `n/a (${r.peak_bytes_predicted_note})`}`,
    `  tensors left after one step: compiled ${r.tensor_delta_compiled}, naive ${r.tensor_delta_naive}`,
  ].join('\n');
