/**
 * `tessera bench <what>`: benchmarks (not tests; they print one run's medians).
 * Sub-commands are a table, one entry per benchmark: `data` (input preparation); the training
 * step benchmark joins it as `step`.
 */
import { parseArgs } from 'node:util';
import { benchData, showDataBench } from '../../bench/data.js';
import { compile } from '../../runtime/compile.js';
import { mocoV3 } from '../../library/mocoV3.js';
import { tf } from '../../runtime/backend.js';
import { benchStep, showStepBench } from '../../bench/step.js';
import { isMethodName, methodNames } from '../../library/index.js';
import { BACKENDS, useBackend, type BackendName } from '../../runtime/backend.js';
import type { Command, Io } from '../command.js';

/** One benchmark: its summary and its runner (arguments after the name). */
interface Bench {
  readonly summary: string;
  readonly run: (args: ReadonlyArray<string>, io: Io) => Promise<number>;
}

const positiveInt = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} must be a positive integer, got "${raw}"`);
  return v;
};

const nonNegativeInt = (name: string, raw: string | undefined, fallback: number): number =>
  raw === '0' ? 0 : positiveInt(name, raw, fallback);

/** Median ms of a compiled MoCo v3 `tiny` step at `batch` on random images (its views included), and its image size. */
const mocoStepTime = async (batch: number, repeats: number): Promise<{ ms: number; size: number }> => {
  const method = mocoV3({ preset: 'tiny', batch });
  const compiled = await compile(method, { backend: tf.getBackend() as BackendName });
  compiled.init(0);
  const size = method.input.size;
  const images = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
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
    options: { batch: { type: 'string' }, size: { type: 'string' }, repeats: { type: 'string' }, backend: { type: 'string' }, 'no-step': { type: 'boolean' } },
    strict: true,
  });
  const backend = (values.backend ?? 'wasm') as BackendName;
  if (!BACKENDS.includes(backend)) throw new RangeError(`--backend must be one of ${BACKENDS.join(', ')}, got "${values.backend}"`);
  const options = {
    batch: positiveInt('batch', values.batch, 64),
    size: positiveInt('size', values.size, 64),
    repeats: positiveInt('repeats', values.repeats, 5),
  };
  await useBackend(backend);
  const stepTime = values['no-step'] === true ? undefined : () => mocoStepTime(options.batch, options.repeats);
  io.out(showDataBench(await benchData({ ...options, ...(stepTime ? { stepTime } : {}) })));
  return 0;
};

const runStep = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      method: { type: 'string' }, preset: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' },
      iters: { type: 'string' }, warmup: { type: 'string' }, batch: { type: 'string' }, seed: { type: 'string' },
      peer: { type: 'string' }, python: { type: 'string' }, profile: { type: 'boolean' },
    },
    strict: true,
  });
  const method = values.method ?? 'moco-v3';
  if (!isMethodName(method)) throw new RangeError(`--method must be one of ${methodNames.join(', ')}, got "${method}"`);
  const preset = values.preset ?? 'tiny';
  if (preset !== 'tiny' && preset !== 'paper') throw new RangeError(`--preset must be tiny or paper, got "${preset}"`);
  const backend = values.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu') throw new RangeError(`--backend must be wasm or cpu, got "${backend}"`);
  if (values.peer !== undefined && values.peer !== 'torch') throw new RangeError(`--peer must be torch, got "${values.peer}"`);
  if (values.python !== undefined && values.peer === undefined) throw new RangeError('--python goes with --peer torch');
  const report = await benchStep({
    method, preset, backend,
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

/** The benchmarks, by name. */
const benches: Readonly<Record<string, Bench>> = {
  data: { summary: 'images/s of the appearance generator, the folder loader, each augmentation; input prep vs a step', run: runData },
  step: { summary: 'compiled training step vs hand-written eager TF.js and PyTorch steps: time, loss, GFLOP/s vs a matmul roof, profile', run: runStep },
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
].join('\n');

/** `tessera bench`: runs one benchmark from the table. */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmarks: data (input preparation throughput), step (compiled vs hand-written step)',
  usage,
  run: async (args, io) => {
    const [name, ...rest] = args;
    const bench = name === undefined ? undefined : benches[name];
    if (bench === undefined) {
      io.err(`tessera bench: ${name === undefined ? 'missing benchmark name' : `unknown benchmark "${name}"`}\nhint: one of ${Object.keys(benches).join(', ')}\n`);
      return 2;
    }
    try {
      return await bench.run(rest, io);
    } catch (e) {
      const usageError = e instanceof RangeError || (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'));
      io.err(`tessera bench ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
      return usageError ? 2 : 1;
    }
  },
};
