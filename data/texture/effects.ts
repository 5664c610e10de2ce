/**
 * The appearance classes of the built-in `texture` family: acquisition-style degradations that
 * differ in texture and structure but NOT in global colour statistics. Each effect changes the
 * canvas in place; `matchStatistics` then gives every channel back its original mean and standard
 * deviation, so a probe on colour histograms moments (or raw-pixel averages) cannot tell the classes apart.
 */
import type { Rng } from '../../compiler/ir/rng.js';
import type { Canvas } from '../appearance/shapes.js';

/** The texture class names, in label-index order. */
export const TEXTURE_CLASSES = [
  'clean',
  'grain',
  'blur',
  'blocks',
  'halftone',
  'scanlines',
] as const;

/** A texture class name. */
export type TextureClass = (typeof TEXTURE_CLASSES)[number];

/** Per-channel mean and standard deviation of a canvas. */
export const channelStats = (cv: Canvas): { readonly mean: number[]; readonly std: number[] } => {
  const n = cv.size * cv.size;
  const mean = [0, 0, 0];
  const sq = [0, 0, 0];
  for (let p = 0; p < n; p++)
    for (let c = 0; c < 3; c++) {
      const v = cv.rgb[p * 3 + c]!;
      mean[c]! += v / n;
      sq[c]! += (v * v) / n;
    }
  return { mean, std: mean.map((m, c) => Math.sqrt(Math.max(0, sq[c]! - m * m))) };
};

/** Affinely rescales each channel to `target`'s mean and std (clipped to [0, 1]). */
export const matchStatistics = (
  cv: Canvas,
  target: { readonly mean: number[]; readonly std: number[] },
): void => {
  const now = channelStats(cv);
  const n = cv.size * cv.size;
  for (let c = 0; c < 3; c++) {
    const scale = now.std[c]! > 1e-6 ? target.std[c]! / now.std[c]! : 1;
    for (let p = 0; p < n; p++) {
      const k = p * 3 + c;
      cv.rgb[k] = Math.min(1, Math.max(0, (cv.rgb[k]! - now.mean[c]!) * scale + target.mean[c]!));
    }
  }
};

const at = (cv: Canvas, x: number, y: number, c: number): number => {
  const s = cv.size;
  return cv.rgb[(Math.min(s - 1, Math.max(0, y)) * s + Math.min(s - 1, Math.max(0, x))) * 3 + c]!;
};

/** Monochrome zero-mean grain, sigma 0.12. */
const grain = (cv: Canvas, rng: Rng): void => {
  for (let p = 0; p < cv.size * cv.size; p++) {
    const g = 0.12 * rng.normal();
    for (let c = 0; c < 3; c++) cv.rgb[p * 3 + c] = cv.rgb[p * 3 + c]! + g;
  }
};

/** Box blur of radius `size / 16` (at least 1), twice (close to a gaussian). */
const blur = (cv: Canvas): void => {
  const r = Math.max(1, Math.round(cv.size / 16));
  for (let pass = 0; pass < 2; pass++) {
    const src = Float32Array.from(cv.rgb);
    const view: Canvas = { size: cv.size, rgb: src };
    for (let y = 0; y < cv.size; y++)
      for (let x = 0; x < cv.size; x++)
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let dy = -r; dy <= r; dy++)
            for (let dx = -r; dx <= r; dx++) sum += at(view, x + dx, y + dy, c);
          cv.rgb[(y * cv.size + x) * 3 + c] = sum / (2 * r + 1) ** 2;
        }
  }
};

/** Compression-like blocks: each `size / 8` square replaced by its mean, with a random block offset. */
const blocks = (cv: Canvas, rng: Rng): void => {
  const b = Math.max(2, Math.round(cv.size / 8));
  const [ox, oy] = [rng.int(0, b), rng.int(0, b)];
  for (let by = -oy; by < cv.size; by += b)
    for (let bx = -ox; bx < cv.size; bx += b) {
      const cells: number[] = [];
      for (let y = Math.max(0, by); y < Math.min(cv.size, by + b); y++)
        for (let x = Math.max(0, bx); x < Math.min(cv.size, bx + b); x++)
          cells.push(y * cv.size + x);
      for (let c = 0; c < 3; c++) {
        const m = cells.reduce((s, p) => s + cv.rgb[p * 3 + c]!, 0) / cells.length;
        for (const p of cells) cv.rgb[p * 3 + c] = m;
      }
    }
};

const BAYER = [
  [0, 2],
  [3, 1],
] as const;

/** Halftone: ordered 2x2 dithering of each channel to 3 levels (a screen pattern). */
const halftone = (cv: Canvas): void => {
  for (let y = 0; y < cv.size; y++)
    for (let x = 0; x < cv.size; x++) {
      const t = (BAYER[y % 2]![x % 2]! + 0.5) / 4;
      for (let c = 0; c < 3; c++) {
        const k = (y * cv.size + x) * 3 + c;
        const v = cv.rgb[k]! * 2;
        cv.rgb[k] = (Math.floor(v) + (v - Math.floor(v) > t ? 1 : 0)) / 2;
      }
    }
};

/** Interlaced scanlines: every other row (random phase) darker, the others lighter, by 0.12. */
const scanlines = (cv: Canvas, rng: Rng): void => {
  const phase = rng.int(0, 2);
  for (let y = 0; y < cv.size; y++) {
    const d = (y + phase) % 2 === 0 ? -0.12 : 0.12;
    for (let x = 0; x < cv.size; x++)
      for (let c = 0; c < 3; c++)
        cv.rgb[(y * cv.size + x) * 3 + c] = cv.rgb[(y * cv.size + x) * 3 + c]! + d;
  }
};

/** Each texture class as an in-place effect followed by colour-statistics matching. */
export const TEXTURE_EFFECT: Readonly<Record<TextureClass, (cv: Canvas, rng: Rng) => void>> = {
  clean: () => undefined,
  grain,
  blur,
  blocks,
  halftone,
  scanlines,
};

/** Applies texture class `t` to `cv`, keeping each channel's mean and standard deviation. */
export const applyTexture = (t: TextureClass, cv: Canvas, rng: Rng): void => {
  const before = channelStats(cv);
  TEXTURE_EFFECT[t](cv, rng);
  matchStatistics(cv, before);
};
