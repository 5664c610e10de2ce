/**
 * `tessera bench <what>`: benchmarks (not tests; they print one run's medians).
 * Sub-commands are a table, one entry per benchmark: `data` (input preparation); the training
 * step benchmark joins it as `step`.
 */
import { parseArgs } from 'node:util';
import { benchData, showDataBench } from '../../bench/data.js';
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

const runData = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const { values } = parseArgs({
    args: [...args],
    options: { batch: { type: 'string' }, size: { type: 'string' }, repeats: { type: 'string' }, backend: { type: 'string' } },
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
  io.out(showDataBench(await benchData(options)));
  return 0;
};

/** The benchmarks, by name. */
const benches: Readonly<Record<string, Bench>> = {
  data: { summary: 'images/s of the appearance generator, the folder loader, each augmentation; input prep vs a step', run: runData },
};

const usage = [
  'usage: tessera bench <what> [options]',
  '',
  ...Object.entries(benches).map(([name, b]) => `  ${name.padEnd(8)} ${b.summary}`),
  '',
  'tessera bench data [--batch 64] [--size 64] [--repeats 5] [--backend wasm|cpu|tensorflow]',
].join('\n');

/** `tessera bench`: runs one benchmark from the table. */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmarks: data (input preparation throughput)',
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
