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
 * 6. Augmentation: the views' pipelines (and masks) of one step timed alone in the same loop
 *    (`augment_ms`): it is inside the compiled and naive steps, not in the PyTorch peer's.
 * 7. `--peer torch` (`bench/peer.ts`): the hand-written PyTorch step, 1 and 2 threads, in the same
 *    loop; `--profile` (`bench/profile.ts`): kernel time of one compiled step by category and IR node.
 *
 * Where the naive step cannot run on the backend (a missing kernel on wasm: the gather and
 * conv-filter gradients in I-JEPA), the report says so and the naive side runs on `cpu`. ST-STORM
 * has no hand-written baseline: its compiled step is timed per phase (A and B), with the profile.
 */
import { compile } from '../runtime/compile.js';
import type { Graph } from '../compiler/ir/graph.js';
import type { Method } from '../compiler/ir/node.js';
import type { CompiledMethod } from '../runtime/compiled.js';
import { phaseAt } from '../compiler/passes/plan.js';
import { stepFlops } from '../compiler/passes/shapes/index.js';
import { applyPipeline } from '../compiler/lower/augment/pipeline.js';
import { sampleMultiBlockMasks } from '../compiler/lower/masks/multiBlock.js';
import { methods, type MethodName, type Preset } from '../library/index.js';
import { mocoV3 } from '../library/mocoV3.js';
import { tf, type BackendName } from '../runtime/backend.js';
import { Rng } from '../compiler/ir/rng.js';
import { stepRng, type NaiveMethod } from './naive/baseline.js';
import { naiveIjepa } from './naive/ijepa.js';
import { naiveMocoV3 } from './naive/mocoV3.js';
import { NO_PEERS, openPeers, peerRuns, type Peers } from './peerRuns.js';
import { profileStep } from './profile.js';
import { spread, type Spread, type StepBenchReport } from './stepReport.js';

export { showStepBench, type StepBenchReport } from './stepReport.js';

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
  /** Run the PyTorch peer (1 and 2 threads) in the same loop. */
  readonly peer?: 'torch';
  /** The Python with torch (default: `TESSERA_TORCH_PYTHON`, `python3`, `/usr/bin/python3`). */
  readonly python?: string;
  /** Profile one compiled step (kernel time by category and IR node). */
  readonly profile?: boolean;
}

type NaiveMaker = (g: Graph, w: Readonly<Record<string, tf.Variable>>, seed: number) => NaiveMethod;
const naiveMakers: Partial<Record<MethodName, NaiveMaker>> = {
  'moco-v3': naiveMocoV3,
  'i-jepa': naiveIjepa,
};

/** Uniform images `[batch, size, size, 3]` in [0, 1] from `seed` (on the current backend). */
const randomImages = (batch: number, size: number, seed: number): tf.Tensor4D => {
  const r = Rng.seeded(seed).fork('bench:images');
  return tf.tensor4d(
    Float32Array.from({ length: batch * size * size * 3 }, () => r.next()),
    [batch, size, size, 3],
  );
};

/** Side of the square matmul with as many FLOPs as the largest linear on `[batch * tokens, in]`. */
const roofSize = (graph: Graph, batch: number): number => {
  const vit = graph.method.modules.map((m) => m.net).find((n) => n._tag === 'Vit');
  const tokens =
    vit && vit._tag === 'Vit' ? (vit.imageSize / vit.patch) ** 2 + (vit.cls ? 1 : 0) : 1;
  const weights = graph.modules.flatMap((m) => m.params ?? []).filter((p) => p.shape.length === 2);
  const largest = Math.max(1, ...weights.map((p) => p.shape[0]! * p.shape[1]!));
  return Math.max(32, Math.round(Math.cbrt(batch * tokens * largest) / 32) * 32);
};

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
): Promise<{ backend: string; note: string | null }> => {
  if (backend === 'cpu') return { backend, note: null }; // the reference backend has every kernel
  const probe = make();
  try {
    probe.step(images, { step: 0, totalSteps: 1 });
    return { backend, note: null };
  } catch (e) {
    const first = String(e instanceof Error ? e.message : e).split('\n')[0]!;
    return {
      backend: 'cpu',
      note: `naive step cannot run on ${backend} (${first}); naive measured on cpu`,
    };
  } finally {
    probe.dispose();
  }
};

/** Sets the preset's batch to `batch` (the graph's FLOP count follows). */
const withBatch = (spec: Method, batch: number | undefined): Method =>
  batch === undefined ? spec : { ...spec, training: { ...spec.training, batch } };

/** The hand-written eager step, its images and where it runs. */
interface Naive {
  readonly method: NaiveMethod;
  readonly images: tf.Tensor4D;
  readonly backend: string;
  readonly note: string | null;
}

const startNaive = async (
  o: StepBenchOptions,
  compiled: CompiledMethod,
  images: tf.Tensor4D,
  seed: number,
): Promise<Naive | null> => {
  const maker = naiveMakers[o.method];
  if (maker === undefined) return null;
  const make = () => maker(compiled.graph, compiled.variables(), seed);
  const placed = await placeNaive(make, images, o.backend);
  const method = await onBackend(placed.backend, make);
  const naiveImages = await onBackend(placed.backend, () =>
    tf.tensor4d(images.dataSync(), images.shape),
  );
  return { method, images: naiveImages, ...placed };
};

/** Compiled and naive losses of one step at `step` (the loss is computed before the update). */
const lossPair = async (
  c: CompiledMethod,
  images: tf.Tensor4D,
  naive: Naive | null,
  step: number,
  total: number,
) => ({
  c: c.step(images, { step, totalSteps: total }).loss,
  n:
    naive === null
      ? null
      : await onBackend(naive.backend, () =>
          naive.method.step(naive.images, { step, totalSteps: total }),
        ),
});

/** The step numbers of timed iteration `i`: one per phase of a phased method, from the middle of the schedule. */
const stepsOf = (
  graph: Graph,
  at0: number,
  i: number,
): ReadonlyArray<{ readonly phase: string | undefined; readonly step: number }> => {
  const phases = graph.method.phases;
  const cycle = phases.reduce((s, p) => s + p.steps, 0);
  if (phases.length === 0 || cycle <= 0) return [{ phase: undefined, step: at0 + i }];
  const base = cycle * Math.ceil(at0 / cycle);
  let offset = 0;
  return phases.map((p) => {
    const step = base + offset + (i % p.steps);
    offset += p.steps;
    return { phase: phaseAt(phases, step), step };
  });
};

/** The views' pipelines and masks of `step`, as the compiled step draws them (on the current backend). */
const augmentOf =
  (graph: Graph, seed: number) =>
  (images: tf.Tensor4D, step: number): void =>
    tf.tidy(() => {
      const rng = stepRng(seed, step);
      for (const n of graph.nodes) {
        if (n.expr._tag === 'View')
          applyPipeline(images, n.expr.pipeline, rng.fork(`view:${n.expr.name}`)).dataSync();
        if (n.expr._tag === 'Masks')
          sampleMultiBlockMasks(n.expr.spec, images.shape[0], rng.fork(`masks:${n.expr.name}`));
      }
    });

interface Series {
  readonly compiled: Map<string, number[]>;
  readonly naive: number[];
  readonly augment: number[];
  readonly roof: number[];
  readonly peers: number[][];
  readonly peerLoss: number[];
}

/** Alternating timing: compiled (each phase), naive, each peer, augmentation, roofline matmul. */
const timeLanes = async (
  c: CompiledMethod,
  images: tf.Tensor4D,
  naive: Naive | null,
  peers: Peers,
  o: { warmup: number; iters: number; roof: number; at0: number; total: number; seed: number },
): Promise<Series> => {
  const a = tf.randomUniform([o.roof, o.roof]) as tf.Tensor2D;
  const b = tf.randomUniform([o.roof, o.roof]) as tf.Tensor2D;
  // the tidy returns nothing: returning the typed array makes tidy walk its elements (~10x the matmul)
  const runRoof = () => tf.tidy(() => void tf.matMul(a, b).dataSync());
  const augment = augmentOf(c.graph, o.seed);
  const s: Series = {
    compiled: new Map(),
    naive: [],
    augment: [],
    roof: [],
    peers: peers.list.map(() => []),
    peerLoss: [],
  };
  for (let i = 0; i < o.warmup + o.iters; i++) {
    const timed = i >= o.warmup;
    const steps = stepsOf(c.graph, o.at0, i);
    for (const { phase, step } of steps) {
      const ms = time(() => c.step(images, { step, totalSteps: o.total }));
      if (timed) s.compiled.set(phase ?? '', [...(s.compiled.get(phase ?? '') ?? []), ms]);
    }
    const step = steps[0]!.step;
    if (naive !== null) {
      const ms = await onBackend(naive.backend, () =>
        time(() => naive.method.step(naive.images, { step, totalSteps: o.total })),
      );
      if (timed) s.naive.push(ms);
    }
    for (const [j, peer] of peers.list.entries()) {
      const r = await peer.step(step);
      if (timed) s.peers[j]!.push(r.ms);
      if (i === o.warmup) s.peerLoss.push(r.loss);
    }
    const augMs = time(() => augment(images, step));
    const roofMs = time(runRoof);
    if (timed) {
      s.augment.push(augMs);
      s.roof.push((2 * o.roof ** 3) / (roofMs * 1e6));
    }
  }
  a.dispose();
  b.dispose();
  return s;
};

/** Tensor count after minus before `f`. */
const tensorDelta = async (f: () => unknown): Promise<number> => {
  const before = tf.memory().numTensors;
  await f();
  return tf.memory().numTensors - before;
};

/**
 * The method a step benchmark times: the library preset, except MoCo v3 with its ViT backbone at
 * every preset (the `tiny` default is the tiny ResNet), because the hand-written eager baseline
 * and the PyTorch peer are written for the ViT and the README's speed tables measure it.
 */
export const benchedMethod = (name: MethodName, preset: Preset | undefined): Method =>
  name === 'moco-v3'
    ? mocoV3({ preset: preset ?? 'paper', backbone: 'vit' })
    : methods[name](preset);

/** Runs the step benchmark (see the file comment). */
export const benchStep = async (o: StepBenchOptions): Promise<StepBenchReport> => {
  const iters = o.iters ?? 7;
  const warmup = o.warmup ?? 2;
  const seed = o.seed ?? 0;
  const lowered = await compile(withBatch(benchedMethod(o.method, o.preset), o.batch), {
    backend: o.backend,
  });
  lowered.init(seed);
  const { graph } = lowered;
  const batch = graph.method.training.batch;
  const total = graph.method.training.steps;
  const at0 = Math.floor(total / 2);
  const images = randomImages(batch, graph.method.input.size, seed);
  // the other pseudo-domain fold's batch, for methods that read pairedImages (ST-STORM)
  const paired = randomImages(batch, graph.method.input.size, seed + 1);
  const compiled: CompiledMethod = {
    ...lowered,
    step: (x, at, options) => lowered.step(x, at, { ...options, paired }),
  };
  const naive = await startNaive(o, compiled, images, seed);
  const peers = o.peer === 'torch' ? await openPeers(graph, o.method, seed, o.python) : null;
  try {
    const first = await lossPair(compiled, images, naive, at0, total);
    const second = naive === null ? null : await lossPair(compiled, images, naive, at0 + 1, total);
    const t = await timeLanes(compiled, images, naive, peers ?? NO_PEERS, {
      warmup,
      iters,
      roof: roofSize(graph, batch),
      at0: at0 + 2,
      total,
      seed,
    });
    const next = at0 + 2 + warmup + iters;
    const profile =
      o.profile === true
        ? await profileStep(compiled, images, { step: next, totalSteps: total })
        : null;
    const memory = await tf.profile(
      () => void compiled.step(images, { step: next, totalSteps: total }),
    );
    const tensorDeltaCompiled = await tensorDelta(() =>
      compiled.step(images, { step: next + 1, totalSteps: total }),
    );
    const tensorDeltaNaive =
      naive === null
        ? null
        : await tensorDelta(() =>
            onBackend(naive.backend, () =>
              naive.method.step(naive.images, { step: next + 1, totalSteps: total }),
            ),
          );
    const all = [...t.compiled.values()].flat();
    const c = spread(all);
    const n: Spread | null = naive === null ? null : spread(t.naive);
    const aug = spread(t.augment);
    const roof = spread(t.roof);
    const flops = stepFlops(graph).training;
    const predicted = graph.memory?.peakBytes ?? null;
    return {
      method: o.method,
      preset: o.preset,
      backend: o.backend,
      batch,
      iters,
      warmup,
      compiled_ms: c.median,
      compiled_min_ms: c.min,
      compiled_max_ms: c.max,
      phases:
        graph.method.phases.length === 0
          ? null
          : [...t.compiled].map(([phase, xs]) => ({
              phase,
              ms: spread(xs).median,
              min_ms: spread(xs).min,
              max_ms: spread(xs).max,
            })),
      naive_ms: n?.median ?? null,
      naive_min_ms: n?.min ?? null,
      naive_max_ms: n?.max ?? null,
      naive_backend: naive?.backend ?? null,
      naive_note: naive === null ? `no hand-written eager baseline for ${o.method}` : naive.note,
      ratio: n === null ? null : n.median / c.median,
      loss_compiled: first.c,
      loss_naive: first.n,
      loss_abs_diff: first.n === null ? null : Math.abs(first.c - first.n),
      loss_abs_diff_step1:
        second === null || second.n === null ? null : Math.abs(second.c - second.n),
      augment_ms: aug.median,
      augment_min_ms: aug.min,
      augment_max_ms: aug.max,
      step_flops: flops,
      gflops: flops / (c.median * 1e6),
      roof_size: roofSize(graph, batch),
      roof_gflops: roof.median,
      roof_min_gflops: roof.min,
      roof_max_gflops: roof.max,
      gflops_vs_roof: flops / (c.median * 1e6) / roof.median,
      peak_bytes_predicted: predicted,
      peak_bytes_predicted_note:
        predicted === null
          ? 'the graph carries no memory plan (no `memory.peakBytes`): the memory-planning pass has not annotated it'
          : null,
      peak_bytes_measured: memory.peakBytes,
      tensor_delta_compiled: tensorDeltaCompiled,
      tensor_delta_naive: tensorDeltaNaive,
      peer: peers === null ? null : peerRuns(peers, t.peers, t.peerLoss, c.median, aug.median),
      profile,
    };
  } finally {
    await peers?.close();
    if (naive !== null) {
      naive.images.dispose();
      naive.method.dispose();
    }
    images.dispose();
    paired.dispose();
    compiled.dispose();
  }
};
