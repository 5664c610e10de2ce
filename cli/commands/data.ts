/**
 * `tessera data`: the built-in appearance dataset and image-folder statistics.
 *
 *   tessera data appearance --out DIR --n N [--size S] [--seed K]   write PNGs + labels.json
 *   tessera data grid --out FILE [--size S] [--seed K]              a sample grid (README)
 *   tessera data stats DIR                                           counts, sizes, unreadable files
 *   tessera data views --method NAME [--out FILE] [--n N] [--step S]   the views (and masks) a step trains on
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Tensor4D } from '@tensorflow/tfjs';
import type { Command, Io } from '../command.js';
import { parseIntOption, RANGES } from '../numbers.js';
import { makeFolder } from '../../runtime/fsErrors.js';
import type { Dataset } from '../../data/dataset.js';
import type { TrainingSpec } from '../../compiler/ir/node.js';
import { stepBatches, stepsPerEpoch, type StepBatch } from '../../runtime/dataOrder.js';
import { BUILTIN, openTrainingData, parseDataSource } from '../runData.js';
import { resolveSpec } from '../trainSpec.js';

const usage = `usage:
  tessera data appearance --out DIR --n N [--size S] [--seed K]
      write N images of the built-in appearance dataset as DIR/<content>/<appearance>/<index>.png
      plus DIR/labels.json (read back by the image-folder loader with label content or appearance);
      size S pixels (default 64), seed K (default 0): same seed, same bytes
  tessera data grid --out FILE [--size S] [--seed K]
      a PNG grid of samples: one row per appearance class, one column per content class
  tessera data stats DIR
      images per class, image sizes and unreadable files of an image folder
  tessera data views [--method NAME | --spec FILE] [--preset tiny|paper] [--data SRC] [--out FILE] [--n N] [--step S] [--seed K]
      a PNG grid of what training step S (default 0) of a run with seed K (default 0) sees: one row per
      image of its batch (first N, default 8), columns input, each view, and I-JEPA masks (context:
      dropped patches dimmed; targets: one colour per block); default FILE views-<method>.png`;

/** Parses an integer option (decimal, at least `min`, at most 100000, seeds a uint32); returns an error line when it is not one. */
const intOption = (
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
): number | string =>
  raw === undefined
    ? fallback
    : parseIntOption(name, raw, { min, max: name === 'seed' ? RANGES.seed.max : 100_000 });

const fail = (io: Io, what: string, code: number): number => {
  io.err(`tessera data: ${what}\n`);
  return code;
};

const generatorOptions = (args: ReadonlyArray<string>) =>
  parseArgs({
    args: [...args],
    options: {
      out: { type: 'string' },
      n: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }).values;

const runAppearance = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const o = generatorOptions(args);
  if (o.out === undefined || o.n === undefined)
    return fail(
      io,
      `appearance needs --out DIR and --n N\nhint: tessera data appearance --out ./appearance --n 420`,
      2,
    );
  const n = intOption('n', o.n, 0, 1);
  const size = intOption('size', o.size, 64, 16);
  const seed = intOption('seed', o.seed, 0, 0);
  for (const v of [n, size, seed]) if (typeof v === 'string') return fail(io, v, 2);
  const { writeAppearance } = await import('../../data/appearance/write.js');
  const started = performance.now();
  await writeAppearance(o.out, { n: n as number, size: size as number, seed: seed as number });
  const seconds = (performance.now() - started) / 1000;
  io.out(
    `wrote ${n} images of ${size}x${size} to ${o.out} (seed ${seed}, ${seconds.toFixed(1)} s)\n` +
      `layout: <content>/<appearance>/<index>.png + labels.json\n`,
  );
  return 0;
};

const runGrid = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const o = generatorOptions(args);
  if (o.out === undefined)
    return fail(
      io,
      'grid needs --out FILE\nhint: tessera data grid --out docs/appearance-grid.png',
      2,
    );
  const size = intOption('size', o.size, 64, 16);
  const seed = intOption('seed', o.seed, 0, 0);
  for (const v of [size, seed]) if (typeof v === 'string') return fail(io, v, 2);
  const { appearanceGrid } = await import('../../data/appearance/grid.js');
  await makeFolder(path.dirname(path.resolve(o.out)));
  await fs.writeFile(o.out, await appearanceGrid(size as number, seed as number));
  io.out(`wrote ${o.out}\n`);
  return 0;
};

const runStats = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const { positionals } = parseArgs({
    args: [...args],
    options: {},
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1)
    return fail(
      io,
      `stats needs exactly one folder, got ${positionals.length}\nhint: tessera data stats ./images`,
      2,
    );
  try {
    const { folderStats, showStats } = await import('../../data/stats.js');
    io.out(showStats(await folderStats(positionals[0]!)));
    return 0;
  } catch (e) {
    return fail(io, e instanceof Error ? e.message : String(e), 1);
  }
};

const runViews = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  const o = parseArgs({
    args: [...args],
    options: {
      method: { type: 'string' },
      spec: { type: 'string' },
      preset: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      n: { type: 'string' },
      step: { type: 'string' },
      seed: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
  const n = intOption('n', o.n, 8, 1);
  const step = intOption('step', o.step, 0, 0);
  const seed = intOption('seed', o.seed, 0, 0);
  for (const v of [n, step, seed]) if (typeof v === 'string') return fail(io, v, 2);
  const resolved = await resolveSpec({
    method: o.method,
    spec: o.spec,
    preset: o.preset,
    overrides: [],
  });
  if (!resolved.ok) return fail(io, `views: ${resolved.message}`, resolved.code);
  const [{ useBackend }, { viewSheet }] = await Promise.all([
    import('../../runtime/backend.js'),
    import('../../data/views.js'),
  ]);
  await useBackend('wasm');
  const method = resolved.method;
  const dataset = await openTrainingData(
    await parseDataSource(o.data ?? BUILTIN),
    method.input.size,
  );
  const images = await stepBatch(dataset, method.training, seed as number, step as number);
  const shown = images.slice(0, Math.min(n as number, images.shape[0])) as Tensor4D;
  images.dispose();
  try {
    const sheet = await viewSheet(method, shown, { seed: seed as number, step: step as number });
    const out = o.out ?? `views-${method.name}.png`;
    await makeFolder(path.dirname(path.resolve(out)));
    await fs.writeFile(out, sheet.png);
    io.out(
      `wrote ${out}: ${shown.shape[0]} images of step ${step} (seed ${seed}); columns: ${sheet.columns.join(' | ')}\n`,
    );
    if (sheet.skipped.length > 0) io.out(`not drawn: ${sheet.skipped.join('; ')}\n`);
    return 0;
  } finally {
    shown.dispose();
  }
};

/** The images of training step `step` of a run with `seed` (the order `runtime/dataOrder.ts` draws). */
const stepBatch = async (
  dataset: Dataset,
  training: TrainingSpec,
  seed: number,
  step: number,
): Promise<Tensor4D> => {
  const { batch, folds } = training;
  if (stepsPerEpoch(dataset.size, batch, folds) < 1)
    throw new Error(
      `dataset "${dataset.name}" has ${dataset.size} images, fewer than one batch of ${batch}${folds === undefined ? '' : ` per fold (${folds.k} folds)`}`,
    );
  const stream = stepBatches({ dataset, batch, seed, ...(folds ? { folds } : {}) }, step);
  const first = (await stream.next()).value as StepBatch;
  await stream.return(undefined);
  first.paired?.images.dispose();
  return first.images;
};

const subcommands: Readonly<
  Record<string, (args: ReadonlyArray<string>, io: Io) => Promise<number>>
> = {
  appearance: runAppearance,
  grid: runGrid,
  stats: runStats,
  views: runViews,
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
      return fail(
        io,
        `${sub === undefined ? 'missing sub-command' : `unknown sub-command "${sub}"`}\nhint: one of ${Object.keys(subcommands).join(', ')}\n\n${usage}`,
        2,
      );
    }
    try {
      return await run(rest, io);
    } catch (e) {
      const usageError =
        e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS');
      return fail(
        io,
        `${sub}: ${e instanceof Error ? e.message : String(e)}${usageError ? `\n\n${usage}` : ''}`,
        usageError ? 2 : 1,
      );
    }
  },
};
