/**
 * The built-in `texture` family (`--data builtin:texture[:N]`): the shapes of the appearance
 * dataset (`content`, 6 classes) rendered with an acquisition texture (`appearance`, 6 classes:
 * `TEXTURE_CLASSES`) that keeps every channel's mean and standard deviation, so the appearance label
 * is not readable from colour statistics: it lives in texture and structure (grain, blur,
 * compression blocks, halftone screen, scanlines). Image `i`: `content = i mod 6`,
 * `appearance = floor(i / 6) mod 6`, a pure function of `(seed, i, size)`.
 */
import { Rng } from '../../compiler/ir/rng.js';
import { CONTENT_CLASSES, drawContent, SCENE_V1 } from '../appearance/shapes.js';
import { makeDataset, type Dataset, type Source } from '../dataset.js';
import { applyTexture, TEXTURE_CLASSES } from './effects.js';

/** Settings of the texture generator (as `appearanceDataset`'s). */
export interface TextureOptions {
  readonly n: number;
  /** Side in pixels, >= 16. Default 32. */
  readonly size?: number;
  readonly seed?: number;
  /** Keep rendered images in memory. Default false. */
  readonly cache?: boolean;
}

/** The two label indices of image `i`. */
export const textureLabels = (
  i: number,
): { readonly content: number; readonly appearance: number } => ({
  content: i % CONTENT_CLASSES.length,
  appearance: Math.floor(i / CONTENT_CLASSES.length) % TEXTURE_CLASSES.length,
});

/** Renders image `i` as RGB bytes `[size, size, 3]`. */
export const renderTexture = (i: number, size: number, seed: number): Uint8Array => {
  const base = Rng.seeded(seed).fork(`texture:${i}`);
  const { content, appearance } = textureLabels(i);
  const canvas = drawContent(CONTENT_CLASSES[content]!, size, base.fork('content'), SCENE_V1);
  applyTexture(TEXTURE_CLASSES[appearance]!, canvas, base.fork('appearance'));
  const out = new Uint8Array(canvas.rgb.length);
  for (let k = 0; k < out.length; k++)
    out[k] = Math.round(Math.min(1, Math.max(0, canvas.rgb[k]!)) * 255);
  return out;
};

/** The texture family as a `Source` (pixels rendered on demand). */
export const textureSource = (o: TextureOptions): Source => {
  const size = o.size ?? 32;
  const seed = o.seed ?? 0;
  if (!Number.isInteger(o.n) || o.n < 1)
    throw new Error(`texture dataset: n must be a positive integer, got ${o.n}`);
  if (!Number.isInteger(size) || size < 16)
    throw new Error(`texture dataset: size must be an integer >= 16, got ${size}`);
  const labels = Array.from({ length: o.n }, (_, i) => textureLabels(i));
  const cache: (Uint8Array | undefined)[] = [];
  const render = (i: number): Uint8Array =>
    o.cache === true ? (cache[i] ??= renderTexture(i, size, seed)) : renderTexture(i, size, seed);
  return {
    name: `texture(n=${o.n}, size=${size}, seed=${seed})`,
    size: o.n,
    imageSize: size,
    classes: { content: CONTENT_CLASSES, appearance: TEXTURE_CLASSES },
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

/** The built-in texture dataset in memory, labels `content` (6) and `appearance` (6 textures). */
export const textureDataset = (o: TextureOptions): Dataset => makeDataset(textureSource(o));
