/**
 * `tessera bench <what>`: benchmarks (not tests; they print one run's medians).
 * Sub-commands are a table, one entry per benchmark: `data` (input preparation); the training
 * step benchmark joins it as `step`. The benchmarks and TF.js load when one runs.
 */
import { parseArgs } from 'node:util';
import type { Tensor4D } from '@tensorflow/tfjs';
import { mocoV3 } from '../../library/mocoV3.js';
import { writeFile } from 'node:fs/promises';
import type { ModuleInit } from '../../runtime/init.js';
import { isMethodName, methodNames, type MethodName } from '../../library/index.js';
import { BACKENDS, type BackendName } from '../../runtime/backendName.js';
import type { Command, Io } from '../command.js';
import { parseIntOption } from '../numbers.js';

/** One benchmark: its summary and its runner (arguments after the name). */
interface Bench {
  readonly summary: string;
  readonly run: (args: ReadonlyArray<string>, io: Io) => Promise<number>;
}

const positiveInt = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const v = parseIntOption(name, raw, { min: 1, max: 1_000_000 });
  if (typeof v === 'string') throw new RangeError(v);
  return v;
};

const nonNegativeInt = (name: string, raw: string | undefined, fallback: number): number =>
  raw === '0' ? 0 : positiveInt(name, raw, fallback);

/** Median ms of a compiled MoCo v3 `tiny` step at `batch` on random images (its views included), and its image size. */
const mocoStepTime = async (
  batch: number,
  repeats: number,
): Promise<{ ms: number; size: number }> => {
  const [{ compile }, { tf }] = await Promise.all([
    import('../../runtime/compile.js'),
    import('../../runtime/backend.js'),
  ]);
  const method = mocoV3({ preset: 'tiny', batch });
  const compiled = await compile(method, { backend: tf.getBackend() as BackendName });
  compiled.init(0);
  const size = method.input.size;
  const images = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 1) as Tensor4D;
  const times: number[] = [];
  for (let step = 0; step < repeats + 2; step++) {
    const t0 = performance.now();
    compiled.step(images, { step, totalSteps: 100 });
    if (step >= 2) times.push(performance.now() - t0);
  }
  images.dispose();
  compiled.dispose();
  return { ms: [...times].sort((a, b) => a - b)[times.length >> 1]!, size };
};

const runData = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      batch: { type: 'string' },
      size: { type: 'string' },
      repeats: { type: 'string' },
      backend: { type: 'string' },
      'no-step': { type: 'boolean' },
    },
    strict: true,
  });
  const backend = (values.backend ?? 'wasm') as BackendName;
  if (!BACKENDS.includes(backend))
    throw new RangeError(
      `--backend must be one of ${BACKENDS.join(', ')}, got "${values.backend}"`,
    );
  const options = {
    batch: positiveInt('batch', values.batch, 64),
    size: positiveInt('size', values.size, 64),
    repeats: positiveInt('repeats', values.repeats, 5),
  };
  const [{ benchData, showDataBench }, { useBackend }] = await Promise.all([
    import('../../bench/data.js'),
    import('../../runtime/backend.js'),
  ]);
  await useBackend(backend);
  const stepTime =
    values['no-step'] === true ? undefined : () => mocoStepTime(options.batch, options.repeats);
  io.out(showDataBench(await benchData({ ...options, ...(stepTime ? { stepTime } : {}) })));
  return 0;
};

const runStep = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      method: { type: 'string' },
      preset: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
      iters: { type: 'string' },
      warmup: { type: 'string' },
      batch: { type: 'string' },
      seed: { type: 'string' },
      peer: { type: 'string' },
      python: { type: 'string' },
      profile: { type: 'boolean' },
    },
    strict: true,
  });
  const method = values.method ?? 'moco-v3';
  if (!isMethodName(method))
    throw new RangeError(`--method must be one of ${methodNames.join(', ')}, got "${method}"`);
  const preset = values.preset ?? 'tiny';
  if (preset !== 'tiny' && preset !== 'paper')
    throw new RangeError(`--preset must be tiny or paper, got "${preset}"`);
  const backend = values.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu')
    throw new RangeError(`--backend must be wasm or cpu, got "${backend}"`);
  if (values.peer !== undefined && values.peer !== 'torch')
    throw new RangeError(`--peer must be torch, got "${values.peer}"`);
  if (values.python !== undefined && values.peer === undefined)
    throw new RangeError('--python goes with --peer torch');
  const { benchStep, showStepBench } = await import('../../bench/step.js');
  const report = await benchStep({
    method,
    preset,
    backend,
    ...(values.peer === 'torch' ? { peer: 'torch' as const } : {}),
    ...(values.python === undefined ? {} : { python: values.python }),
    profile: values.profile === true,
    warmup: nonNegativeInt('warmup', values.warmup, 2),
    iters: positiveInt('iters', values.iters, 7),
    ...(values.batch === undefined ? {} : { batch: positiveInt('batch', values.batch, 1) }),
    seed: nonNegativeInt('seed', values.seed, 0),
  });
  io.out(values.json === true ? `${JSON.stringify(report)}\n` : `${showStepBench(report)}\n`);
  return 0;
};

/** Default `bench disentangle` budget: minutes of pretraining for all methods together (<= 15 min in all on 2 cores). */
const DISENTANGLE_MINUTES = 12;

/** `--init METHOD:MODULE=FILE`, e.g. `st-storm:semBackbone=moco.safetensors`. */
const parseBenchInit = (text: string): [MethodName, ModuleInit] => {
  const m = /^([a-z0-9-]+):([^=]+)=(.+)$/.exec(text);
  if (m === null || !isMethodName(m[1]!))
    throw new RangeError(
      `--init ${text}: expected METHOD:MODULE=FILE with METHOD one of ${methodNames.join(', ')}`,
    );
  return [m[1], { module: m[2]!, file: m[3]! }];
};

const runDisentangle = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      data: { type: 'string' },
      labels: { type: 'string' },
      methods: { type: 'string' },
      steps: { type: 'string' },
      minutes: { type: 'string' },
      samples: { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      init: { type: 'string', multiple: true },
      'storm-from': { type: 'string' },
    },
    strict: true,
  });
  const chosen = (values.methods ?? 'st-storm,moco-v3,i-jepa').split(',');
  const stormFrom = values['storm-from'] ?? 'scratch';
  if (stormFrom !== 'scratch' && stormFrom !== 'moco-v3')
    throw new RangeError(`--storm-from must be scratch or moco-v3, got "${stormFrom}"`);
  const bad = chosen.find((m) => !isMethodName(m));
  if (bad !== undefined)
    throw new RangeError(`--methods: unknown method "${bad}"; known: ${methodNames.join(', ')}`);
  const minutes = Number(values.minutes ?? DISENTANGLE_MINUTES);
  if (!(minutes > 0))
    throw new RangeError(`--minutes must be a positive number, got "${values.minutes}"`);
  const backend = (values.backend ?? 'wasm') as BackendName;
  if (!BACKENDS.includes(backend))
    throw new RangeError(
      `--backend must be one of ${BACKENDS.join(', ')}, got "${values.backend}"`,
    );
  const samples = positiveInt('samples', values.samples, 1260);
  const [
    { benchDisentangle, showDisentangle },
    { useBackend },
    { BUILTIN, openEvalData, openTrainingData, parseDataSource },
  ] = await Promise.all([
    import('../../bench/disentangle.js'),
    import('../../runtime/backend.js'),
    import('../runData.js'),
  ]);
  const source = await parseDataSource(values.data ?? BUILTIN);
  const size = 32;
  const init: Partial<Record<MethodName, ModuleInit[]>> = {};
  for (const [m, i] of (values.init ?? []).map(parseBenchInit)) init[m] = [...(init[m] ?? []), i];
  await useBackend(backend);
  const say = (line: string) => void io.err(`${line}\n`);
  const report = await benchDisentangle({
    train: await openTrainingData(source, size),
    probe: await openEvalData(source, size, samples),
    labels: (values.labels ?? 'content,appearance').split(','),
    methods: chosen as MethodName[],
    steps: positiveInt('steps', values.steps, 600),
    seconds: (minutes * 60) / chosen.length,
    samples,
    seed: nonNegativeInt('seed', values.seed, 0),
    backend,
    init,
    stormFrom,
    onEvent: say,
  });
  if (values.out !== undefined) await writeFile(values.out, `${JSON.stringify(report, null, 1)}\n`);
  io.out(
    values.json === true
      ? `${JSON.stringify(report)}\n`
      : `${showDisentangle(report)}\n${values.out === undefined ? '' : `wrote ${values.out}\n`}`,
  );
  return 0;
};

const runSoak = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      method: { type: 'string' },
      steps: { type: 'string' },
      batch: { type: 'string' },
      backend: { type: 'string' },
      seed: { type: 'string' },
      every: { type: 'string' },
      'checkpoint-every': { type: 'string' },
      images: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const method = values.method ?? 'moco-v3';
  if (!isMethodName(method))
    throw new RangeError(`--method must be one of ${methodNames.join(', ')}, got "${method}"`);
  const backend = (values.backend ?? 'wasm') as BackendName;
  if (!BACKENDS.includes(backend))
    throw new RangeError(
      `--backend must be one of ${BACKENDS.join(', ')}, got "${values.backend}"`,
    );
  const steps = positiveInt('steps', values.steps, 500);
  const { benchSoak, showSoak } = await import('../../bench/soak.js');
  const report = await benchSoak({
    method,
    steps,
    backend,
    ...(values.batch === undefined ? {} : { batch: positiveInt('batch', values.batch, 1) }),
    seed: nonNegativeInt('seed', values.seed, 0),
    every: positiveInt('every', values.every, Math.max(1, Math.round(steps / 50))),
    checkpointEvery: positiveInt('checkpoint-every', values['checkpoint-every'], 100),
    images: positiveInt('images', values.images, 256),
    onSample: (s) =>
      io.err(
        `step ${s.step}: ${s.tensors} tensors, RSS ${s.rssMB.toFixed(1)} MB, JS heap ${s.heapMB.toFixed(1)} MB, wasm ${s.wasmMB.toFixed(0)} MB, buffers ${s.buffersMB.toFixed(1)} MB (${s.seconds.toFixed(0)} s)\n`,
      ),
  });
  io.out(values.json === true ? `${JSON.stringify(report)}\n` : showSoak(report));
  return 0;
};

/** The benchmarks, by name. */
const benches: Readonly<Record<string, Bench>> = {
  data: {
    summary:
      'images/s of the appearance generator, the folder loader, each augmentation; input prep vs a step',
    run: runData,
  },
  step: {
    summary:
      'compiled training step vs hand-written eager TF.js and PyTorch steps: time, loss, GFLOP/s vs a matmul roof, profile',
    run: runStep,
  },
  disentangle: {
    summary:
      'pretrain ST-STORM, MoCo v3, I-JEPA (tiny) alike, probe each representation for content and appearance',
    run: runDisentangle,
  },
  soak: {
    summary:
      'the training loop for many steps: tensor count, RSS, JS and wasm heap at start / end / max and their trend',
    run: runSoak,
  },
};

const usage = [
  'usage: tessera bench <what> [options]',
  '',
  ...Object.entries(benches).map(([name, b]) => `  ${name.padEnd(8)} ${b.summary}`),
  '',
  'tessera bench data [--batch 64] [--size 64] [--repeats 5] [--backend wasm|cpu|tensorflow] [--no-step]',
  'tessera bench step --method moco-v3|i-jepa|st-storm [--preset tiny|paper] [--backend wasm|cpu] [--json]',
  '                   [--iters 7] [--warmup 2] [--batch N] [--seed 0] [--profile] [--peer torch [--python PATH]]',
  '  --peer torch: a hand-written PyTorch CPU step of the same model (bench/peers/), 1 and 2 threads, interleaved',
  '  --profile:    kernel time of one compiled step by category and by IR node',
  `tessera bench disentangle [--data builtin:appearance|builtin:texture|DIR] [--labels content,appearance]`,
  `                   [--methods st-storm,moco-v3,i-jepa] [--minutes ${DISENTANGLE_MINUTES} (all methods)] [--steps 600 (each)]`,
  '                   [--samples 1260] [--seed 0] [--backend wasm] [--init METHOD:MODULE=FILE ...] [--storm-from scratch|moco-v3]',
  '                   [--out FILE.json] [--json]',
  'tessera bench soak --method moco-v3|i-jepa|st-storm [--steps 500] [--batch N] [--backend wasm|cpu|tensorflow]',
  '                   [--every steps/50] [--checkpoint-every 100] [--images 256] [--seed 0] [--json]',
  '  soak: the real loop (data, guarded step, metrics, checkpoints) of the tiny preset; samples after a full GC',
].join('\n');

/** `tessera bench`: runs one benchmark from the table. */
export const benchCommand: Command = {
  name: 'bench',
  summary:
    'benchmarks: data (input preparation throughput), step (compiled vs hand-written step), disentangle (the ST-STORM claim), soak (leaks over many steps)',
  usage,
  run: async (args, io) => {
    const [name, ...rest] = args;
    const bench = name === undefined ? undefined : benches[name];
    if (bench === undefined) {
      io.err(
        `tessera bench: ${name === undefined ? 'missing benchmark name' : `unknown benchmark "${name}"`}\nhint: one of ${Object.keys(benches).join(', ')}\n`,
      );
      return 2;
    }
    try {
      return await bench.run(rest, io);
    } catch (e) {
      const usageError =
        e instanceof RangeError ||
        (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'));
      io.err(`tessera bench ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
      return usageError ? 2 : 1;
    }
  },
};
