/**
 * The data of a run, named by the `--data` option: `builtin:appearance` (the built-in appearance
 * dataset, 2520 images), `builtin:appearance:N` (N images), `builtin:texture[:N]` (the texture
 * family, `data/texture/`: appearance in texture, not colour statistics), or an image folder. Training and
 * evaluation open it from the same string (recorded in `run.json`), so `tessera eval` finds the
 * data a run was trained on.
 *
 * Held-out images for evaluation: for the built-in set, images the run never saw (the generator
 * with another seed); for a folder, its labeled images (the probes split them into train / test).
 * The data modules (TF.js, sharp) load only when a set is opened.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Dataset } from '../data/dataset.js';

const appearance = async () => (await import('../data/appearance/generator.js')).appearanceDataset;
const imageFolder = async () => (await import('../data/imageFolder.js')).openImageFolder;

/** The `--data` default: the built-in appearance dataset. */
export const BUILTIN = 'builtin:appearance';

/** Images of the built-in training set when `--data builtin:appearance` gives no count (60 blocks of the 42 label pairs). */
export const BUILTIN_TRAIN_IMAGES = 2520;

/** Seed of the built-in training images; evaluation renders held-out images with `EVAL_DATA_SEED`. */
export const TRAIN_DATA_SEED = 0;
/** Seed of the built-in held-out evaluation images (never seen in training). */
export const EVAL_DATA_SEED = 1000;

/** Most images of a built-in dataset (each is drawn and held in memory: 100000 at 64 px is ~5 GB). */
export const MAX_BUILTIN_IMAGES = 100_000;

/** A parsed `--data` value. */
export type DataSource =
  | {
      readonly kind: 'builtin';
      readonly n: number;
      readonly text: string;
      readonly family?: 'texture';
    }
  | { readonly kind: 'folder'; readonly dir: string; readonly text: string };

/** Parses `--data`; a folder path is made absolute. Throws (what, hint) on a malformed built-in name or a missing folder. */
export const parseDataSource = async (value: string): Promise<DataSource> => {
  if (value.startsWith('builtin:')) {
    const m = /^builtin:(appearance|texture)(?::(\d+))?$/.exec(value);
    if (m === null)
      throw new Error(
        `unknown built-in dataset "${value}"\nhint: builtin:appearance, builtin:texture, or either with :N (N images)`,
      );
    const n = m[2] === undefined ? BUILTIN_TRAIN_IMAGES : Number(m[2]);
    if (n < 1 || n > MAX_BUILTIN_IMAGES)
      throw new Error(
        `built-in dataset "${value}": N must be from 1 to ${MAX_BUILTIN_IMAGES}\nhint: builtin:${m[1]}:${BUILTIN_TRAIN_IMAGES} (the default), or an image folder for more`,
      );
    const family = m[1] === 'texture' ? { family: 'texture' as const } : {};
    return { kind: 'builtin', n, text: m[2] === undefined ? `builtin:${m[1]}` : value, ...family };
  }
  const dir = resolve(value);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir)
    throw new Error(
      `--data ${value}: no such folder\nhint: give an image folder (class subfolders optional) or builtin:appearance`,
    );
  return { kind: 'folder', dir, text: dir };
};

/** `n` images of a built-in family. */
const texture = async () => (await import('../data/texture/generator.js')).textureDataset;

const builtinDataset = async (
  source: { readonly family?: 'texture' },
  n: number,
  size: number,
  seed: number,
  cache: boolean,
): Promise<Dataset> =>
  source.family === 'texture'
    ? (await texture())({ n, size, seed, cache })
    : (await appearance())({ n, size, seed, cache });

/** The training set of a source, at `size x size` pixels. */
export const openTrainingData = async (source: DataSource, size: number): Promise<Dataset> =>
  source.kind === 'builtin'
    ? builtinDataset(source, source.n, size, TRAIN_DATA_SEED, true)
    : (await imageFolder())(source.dir, { size });

/**
 * Held-out evaluation images of a source, at most `samples` of them: for the built-in set, `samples`
 * fresh images (seed `EVAL_DATA_SEED`); for a folder, the folder itself (it must have labels).
 */
export const openEvalData = async (
  source: DataSource,
  size: number,
  samples: number,
): Promise<Dataset> => {
  if (source.kind === 'builtin')
    return builtinDataset(source, samples, size, EVAL_DATA_SEED, false);
  const ds = await (await imageFolder())(source.dir, { size });
  if (Object.keys(ds.classes).length === 0) {
    throw new Error(
      `image folder ${source.dir} has no labels to probe\nhint: put images in class subfolders (DIR/<class>/...) to evaluate with probes`,
    );
  }
  return ds;
};
