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
import { CONTENT_CLASSES, drawContent, SCENE, type Scene } from './shapes.js';
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
  /** How scenes are drawn (shape size, background, weather strength); default `SCENE` (docs/learning.md says why). */
  readonly scene?: Partial<Scene>;
}

/** The two label indices of image `i`. */
export const appearanceLabels = (
  i: number,
): { readonly content: number; readonly appearance: number } => ({
  content: i % CONTENT_CLASSES.length,
  appearance: Math.floor(i / CONTENT_CLASSES.length) % APPEARANCE_CLASSES.length,
});

/**
 * Renders image `i` as RGB bytes `[size, size, 3]`. Deterministic in `(seed, i, size, scene)`;
 * `scene` overrides fields of `SCENE` (experiments, docs/learning.md).
 */
export const renderAppearance = (
  i: number,
  size: number,
  seed: number,
  scene: Partial<Scene> = {},
): Uint8Array => {
  const look = { ...SCENE, ...scene };
  const base = Rng.seeded(seed).fork(`image:${i}`);
  const { content, appearance } = appearanceLabels(i);
  const canvas = drawContent(CONTENT_CLASSES[content]!, size, base.fork('content'), look);
  const clear = Float32Array.from(canvas.rgb);
  APPEARANCE_EFFECT[APPEARANCE_CLASSES[appearance]!](canvas, base.fork('appearance'));
  const out = new Uint8Array(canvas.rgb.length);
  for (let k = 0; k < out.length; k++) {
    const v = clear[k]! + (canvas.rgb[k]! - clear[k]!) * look.weather;
    out[k] = Math.round(Math.min(1, Math.max(0, v)) * 255);
  }
  return out;
};

const checkOptions = (
  o: AppearanceOptions,
): Required<Omit<AppearanceOptions, 'cache' | 'scene'>> => {
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

/** The non-default scene fields, for the source name (`, radius=0.2-0.34, weather=1`). */
const sceneSuffix = (scene: Partial<Scene> = {}): string =>
  Object.entries(scene)
    .filter(
      ([k, v]) => v !== undefined && JSON.stringify(v) !== JSON.stringify(SCENE[k as keyof Scene]),
    )
    .map(([k, v]) => `, ${k}=${Array.isArray(v) ? v.join('-') : String(v)}`)
    .join('');

/** The generator as a `Source` (pixels rendered on demand). */
export const appearanceSource = (options: AppearanceOptions): Source => {
  const { n, size, seed } = checkOptions(options);
  const labels = Array.from({ length: n }, (_, i) => appearanceLabels(i));
  const cache: (Uint8Array | undefined)[] = [];
  const render = (i: number): Uint8Array => {
    if (options.cache !== true) return renderAppearance(i, size, seed, options.scene);
    return (cache[i] ??= renderAppearance(i, size, seed, options.scene));
  };
  return {
    name: `appearance(n=${n}, size=${size}, seed=${seed}${sceneSuffix(options.scene)})`,
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
