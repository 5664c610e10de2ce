/**
 * The built-in appearance dataset: procedurally drawn images with two independent labels,
 * `content` (the shape, `CONTENT_CLASSES`) and `appearance` (the weather-like rendering,
 * `APPEARANCE_CLASSES`). Image `i` is a pure function of `(seed, i, size)`, so any subset can be
 * rendered in any order, in memory or to PNG files, with identical bytes.
 *
 * Labels are balanced and independent: `content = i mod 6`, `appearance = floor(i / 6) mod 7`,
 * so every block of 42 consecutive indices holds each (content, appearance) pair exactly once.
 */
import { Rng } from '../../compiler/ir/rng.js';
import { makeDataset, type Dataset, type Source } from '../dataset.js';
import { CONTENT_CLASSES, drawContent } from './shapes.js';
import { APPEARANCE_CLASSES, APPEARANCE_EFFECT } from './weather.js';

/** Settings of the generator. */
export interface AppearanceOptions {
  /** Number of images. */
  readonly n: number;
  /** Side in pixels (any integer >= 16; 32 and 64 are the usual). Default 64. */
  readonly size?: number;
  /** Seed of the whole dataset. Default 0. */
  readonly seed?: number;
  /** Keep rendered images in memory (`n * size^2 * 3` bytes) so later epochs skip rendering. Default false. */
  readonly cache?: boolean;
  /** Shape radius range as fractions of the side (experiments, docs/learning.md). Default `SHAPE_RADIUS` (0.2-0.34). */
  readonly radius?: readonly [number, number];
}

/** The two label indices of image `i`. */
export const appearanceLabels = (
  i: number,
): { readonly content: number; readonly appearance: number } => ({
  content: i % CONTENT_CLASSES.length,
  appearance: Math.floor(i / CONTENT_CLASSES.length) % APPEARANCE_CLASSES.length,
});

/**
 * Renders image `i` as RGB bytes `[size, size, 3]`. Deterministic in `(seed, i, size)`; `radius`
 * (shape radius range as fractions of the side, default `SHAPE_RADIUS`) is for experiments.
 */
export const renderAppearance = (
  i: number,
  size: number,
  seed: number,
  radius?: readonly [number, number],
): Uint8Array => {
  const base = Rng.seeded(seed).fork(`image:${i}`);
  const { content, appearance } = appearanceLabels(i);
  const canvas = drawContent(CONTENT_CLASSES[content]!, size, base.fork('content'), radius);
  APPEARANCE_EFFECT[APPEARANCE_CLASSES[appearance]!](canvas, base.fork('appearance'));
  const out = new Uint8Array(canvas.rgb.length);
  for (let k = 0; k < out.length; k++)
    out[k] = Math.round(Math.min(1, Math.max(0, canvas.rgb[k]!)) * 255);
  return out;
};

const checkOptions = (
  o: AppearanceOptions,
): Required<Omit<AppearanceOptions, 'cache' | 'radius'>> => {
  const size = o.size ?? 64;
  const seed = o.seed ?? 0;
  if (!Number.isInteger(o.n) || o.n < 1)
    throw new Error(`appearance dataset: n must be a positive integer, got ${o.n}`);
  if (!Number.isInteger(size) || size < 16)
    throw new Error(`appearance dataset: size must be an integer >= 16, got ${size}`);
  if (!Number.isInteger(seed))
    throw new Error(`appearance dataset: seed must be an integer, got ${seed}`);
  return { n: o.n, size, seed };
};

/** The generator as a `Source` (pixels rendered on demand). */
export const appearanceSource = (options: AppearanceOptions): Source => {
  const { n, size, seed } = checkOptions(options);
  const labels = Array.from({ length: n }, (_, i) => appearanceLabels(i));
  const cache: (Uint8Array | undefined)[] = [];
  const render = (i: number): Uint8Array => {
    if (options.cache !== true) return renderAppearance(i, size, seed, options.radius);
    return (cache[i] ??= renderAppearance(i, size, seed, options.radius));
  };
  return {
    name: `appearance(n=${n}, size=${size}, seed=${seed}${options.radius ? `, radius=${options.radius.join('-')}` : ''})`,
    size: n,
    imageSize: size,
    classes: { content: CONTENT_CLASSES, appearance: APPEARANCE_CLASSES },
    labels: {
      content: Int32Array.from(labels, (l) => l.content),
      appearance: Int32Array.from(labels, (l) => l.appearance),
    },
    load: async (indices) => {
      const bytes = size * size * 3;
      const rgb = new Uint8Array(indices.length * bytes);
      indices.forEach((idx, k) => rgb.set(render(idx), k * bytes));
      return { rgb, count: indices.length };
    },
  };
};

/**
 * The built-in appearance dataset in memory, with labels `content` (6 classes) and `appearance`
 * (7 classes). No files, no download: the default dataset of `tessera`.
 */
export const appearanceDataset = (options: AppearanceOptions): Dataset =>
  makeDataset(appearanceSource(options));
