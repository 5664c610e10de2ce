/**
 * `tessera data`: the built-in appearance dataset and image-folder statistics.
 *
 *   tessera data appearance --out DIR --n N [--size S] [--seed K]   write PNGs + labels.json
 *   tessera data grid --out FILE [--size S] [--seed K]              a sample grid (README)
 *   tessera data stats DIR                                           counts, sizes, unreadable files
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Command, Io } from '../command.js';
import { appearanceGrid } from '../../data/appearance/grid.js';
import { writeAppearance } from '../../data/appearance/write.js';
import { folderStats, showStats } from '../../data/stats.js';
import { parseIntOption, RANGES } from '../numbers.js';

const usage = `usage:
  tessera data appearance --out DIR --n N [--size S] [--seed K]
      write N images of the built-in appearance dataset as DIR/<content>/<appearance>/<index>.png
      plus DIR/labels.json (read back by the image-folder loader with label content or appearance);
      size S pixels (default 64), seed K (default 0): same seed, same bytes
  tessera data grid --out FILE [--size S] [--seed K]
      a PNG grid of samples: one row per appearance class, one column per content class
  tessera data stats DIR
      images per class, image sizes and unreadable files of an image folder`;

/** Parses an integer option (decimal, at least `min`, at most 100000, seeds a uint32); returns an error line when it is not one. */
const intOption = (name: string, raw: string | undefined, fallback: number, min: number): number | string =>
  raw === undefined ? fallback : parseIntOption(name, raw, { min, max: name === 'seed' ? RANGES.seed.max : 100_000 });

const fail = (io: Io, what: string, code: number): number => {
  io.err(`tessera data: ${what}\n`);
  return code;
};

const generatorOptions = (args: ReadonlyArray<string>) =>
  parseArgs({
    args: [...args],
    options: { out: { type: 'string' }, n: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  }).values;

const runAppearance = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const o = generatorOptions(args);
  if (o.out === undefined || o.n === undefined) return fail(io, `appearance needs --out DIR and --n N\nhint: tessera data appearance --out ./appearance --n 420`, 2);
  const n = intOption('n', o.n, 0, 1);
  const size = intOption('size', o.size, 64, 16);
  const seed = intOption('seed', o.seed, 0, 0);
  for (const v of [n, size, seed]) if (typeof v === 'string') return fail(io, v, 2);
  const started = performance.now();
  await writeAppearance(o.out, { n: n as number, size: size as number, seed: seed as number });
  const seconds = (performance.now() - started) / 1000;
  io.out(`wrote ${n} images of ${size}x${size} to ${o.out} (seed ${seed}, ${seconds.toFixed(1)} s)\n` +
    `layout: <content>/<appearance>/<index>.png + labels.json\n`);
  return 0;
};

const runGrid = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const o = generatorOptions(args);
  if (o.out === undefined) return fail(io, 'grid needs --out FILE\nhint: tessera data grid --out docs/appearance-grid.png', 2);
  const size = intOption('size', o.size, 64, 16);
  const seed = intOption('seed', o.seed, 0, 0);
  for (const v of [size, seed]) if (typeof v === 'string') return fail(io, v, 2);
  await fs.mkdir(path.dirname(path.resolve(o.out)), { recursive: true });
  await fs.writeFile(o.out, await appearanceGrid(size as number, seed as number));
  io.out(`wrote ${o.out}\n`);
  return 0;
};

const runStats = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const { positionals } = parseArgs({ args: [...args], options: {}, strict: true, allowPositionals: true });
  if (positionals.length !== 1) return fail(io, `stats needs exactly one folder, got ${positionals.length}\nhint: tessera data stats ./images`, 2);
  try {
    io.out(showStats(await folderStats(positionals[0]!)));
    return 0;
  } catch (e) {
    return fail(io, e instanceof Error ? e.message : String(e), 1);
  }
};

const subcommands: Readonly<Record<string, (args: ReadonlyArray<string>, io: Io) => Promise<number>>> = {
  appearance: runAppearance,
  grid: runGrid,
  stats: runStats,
};

/** `tessera data`: generate the appearance dataset, draw its grid, inspect an image folder. */
export const dataCommand: Command = {
  name: 'data',
  summary: 'built-in appearance dataset (write PNGs, sample grid) and image-folder stats',
  usage,
  run: async (args, io) => {
    const [sub, ...rest] = args;
    const run = sub === undefined ? undefined : subcommands[sub];
    if (run === undefined) {
      return fail(io, `${sub === undefined ? 'missing sub-command' : `unknown sub-command "${sub}"`}\nhint: one of ${Object.keys(subcommands).join(', ')}\n\n${usage}`, 2);
    }
    try {
      return await run(rest, io);
    } catch (e) {
      const usageError = e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS');
      return fail(io, `${sub}: ${e instanceof Error ? e.message : String(e)}${usageError ? `\n\n${usage}` : ''}`, usageError ? 2 : 1);
    }
  },
};
