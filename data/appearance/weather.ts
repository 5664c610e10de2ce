/**
 * The appearance classes of the built-in dataset: weather-like renderings applied on top of any
 * content image, independent of the shape. Each effect edits an RGB canvas in place; sizes scale
 * with the image so a class looks the same at 32 and at 256 pixels.
 *
 * - `clear`: the content image untouched.
 * - `rain`: darker, bluish scene crossed by 30-60 thin light streaks, all at one random slant.
 * - `snow`: slightly washed-out scene with 40-90 soft white flakes of varied size.
 * - `fog`: strong blend toward a light grey haze, denser at the top, contrast collapsed.
 * - `night`: very dark, blue-shifted scene with 2-4 warm point lights and their glow.
 * - `glare`: a bright sun spot with a wide warm halo and a thin halo ring, scene washed out.
 * - `grain`: heavy monochrome film grain (per-pixel noise, std 0.09-0.15) over the scene.
 */
import type { Rng } from '../../compiler/ir/rng.js';
import type { Canvas } from './shapes.js';

/** The appearance class names, in label-index order. */
export const APPEARANCE_CLASSES = [
  'clear',
  'rain',
  'snow',
  'fog',
  'night',
  'glare',
  'grain',
] as const;

/** An appearance class name. */
export type AppearanceClass = (typeof APPEARANCE_CLASSES)[number];

/** Blends `colour` into pixel `(x, y)` with weight `alpha` (ignored outside the canvas). */
const blendPixel = (
  cv: Canvas,
  x: number,
  y: number,
  colour: ReadonlyArray<number>,
  alpha: number,
): void => {
  if (x < 0 || y < 0 || x >= cv.size || y >= cv.size || alpha <= 0) return;
  const o = (y * cv.size + x) * 3;
  const a = Math.min(1, alpha);
  for (let c = 0; c < 3; c++) cv.rgb[o + c] = cv.rgb[o + c]! * (1 - a) + colour[c]! * a;
};

/** Applies `f(value, channel, x, y)` to every pixel value. */
const mapPixels = (cv: Canvas, f: (v: number, c: number, x: number, y: number) => number): void => {
  for (let y = 0; y < cv.size; y++) {
    for (let x = 0; x < cv.size; x++) {
      const o = (y * cv.size + x) * 3;
      for (let c = 0; c < 3; c++) cv.rgb[o + c] = f(cv.rgb[o + c]!, c, x, y);
    }
  }
};

const rain = (cv: Canvas, rng: Rng): void => {
  const s = cv.size / 64;
  mapPixels(cv, (v, c) => v * 0.75 + (c === 2 ? 0.06 : 0.02));
  const slant = rng.uniform(-0.45, 0.45);
  const streaks = rng.int(30, 61);
  for (let k = 0; k < streaks; k++) {
    const x0 = rng.uniform(-8 * s, cv.size + 8 * s);
    const y0 = rng.uniform(-4 * s, cv.size);
    const length = rng.uniform(6, 14) * s;
    const alpha = rng.uniform(0.35, 0.65);
    for (let t = 0; t < length; t += 0.5) {
      blendPixel(cv, Math.floor(x0 + slant * t), Math.floor(y0 + t), [0.85, 0.88, 0.95], alpha);
    }
  }
};

const snow = (cv: Canvas, rng: Rng): void => {
  const s = cv.size / 64;
  mapPixels(cv, (v) => 0.8 * v + 0.15);
  const flakes = rng.int(40, 91);
  for (let k = 0; k < flakes; k++) {
    const fx = rng.uniform(0, cv.size);
    const fy = rng.uniform(0, cv.size);
    const r = rng.uniform(0.6, 1.8) * s;
    for (let y = Math.floor(fy - r - 1); y <= fy + r + 1; y++) {
      for (let x = Math.floor(fx - r - 1); x <= fx + r + 1; x++) {
        const d = Math.hypot(x + 0.5 - fx, y + 0.5 - fy);
        blendPixel(cv, x, y, [1, 1, 1], 0.95 * Math.min(1, r + 0.5 - d));
      }
    }
  }
};

const fog = (cv: Canvas, rng: Rng): void => {
  const density = rng.uniform(0.5, 0.7);
  const haze = 0.72 + rng.uniform(0, 0.15);
  mapPixels(cv, (v, _c, _x, y) => {
    const a = density * (1.15 - 0.3 * (y / cv.size));
    return v * (1 - a) + haze * a;
  });
};

/** Adds a radial glow `amount * exp(-d^2 / (2 radius^2))` of `colour` around `(cx, cy)`. */
const glow = (
  cv: Canvas,
  cx: number,
  cy: number,
  radius: number,
  colour: ReadonlyArray<number>,
  amount: number,
): void =>
  mapPixels(cv, (v, c, x, y) => {
    const d2 = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2;
    return Math.min(1, v + colour[c]! * amount * Math.exp(-d2 / (2 * radius * radius)));
  });

const night = (cv: Canvas, rng: Rng): void => {
  const dim = rng.uniform(0.15, 0.28);
  mapPixels(cv, (v, c) => v * dim * (c === 2 ? 1.5 : 1) + (c === 2 ? 0.03 : 0));
  const lights = rng.int(2, 5);
  for (let k = 0; k < lights; k++) {
    const s = cv.size / 64;
    const cx = rng.uniform(0, cv.size);
    const cy = rng.uniform(0, cv.size);
    glow(cv, cx, cy, rng.uniform(3, 6) * s, [1, 0.8, 0.45], 0.7);
    glow(cv, cx, cy, 0.9 * s, [1, 1, 0.9], 1.5);
  }
};

const glare = (cv: Canvas, rng: Rng): void => {
  const s = cv.size / 64;
  const cx = rng.uniform(0.1, 0.9) * cv.size;
  const cy = rng.uniform(0.05, 0.5) * cv.size;
  mapPixels(cv, (v) => 0.85 * v + 0.1);
  glow(cv, cx, cy, rng.uniform(14, 22) * s, [1, 0.95, 0.8], 0.6);
  glow(cv, cx, cy, 3 * s, [1, 1, 1], 1.0);
  const ring = rng.uniform(20, 28) * s;
  mapPixels(cv, (v, _c, x, y) => {
    const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - ring;
    return Math.min(1, v + 0.25 * Math.exp(-(d * d) / (2 * (1.5 * s) ** 2)));
  });
};

const grain = (cv: Canvas, rng: Rng): void => {
  const std = rng.uniform(0.09, 0.15);
  for (let i = 0; i < cv.size * cv.size; i++) {
    const n = std * rng.normal();
    for (let c = 0; c < 3; c++) cv.rgb[i * 3 + c] = cv.rgb[i * 3 + c]! + n;
  }
};

/** The effect of each appearance class (in place). */
export const APPEARANCE_EFFECT: Readonly<Record<AppearanceClass, (cv: Canvas, rng: Rng) => void>> =
  {
    clear: () => undefined,
    rain,
    snow,
    fog,
    night,
    glare,
    grain,
  };
