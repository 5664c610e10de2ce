/**
 * The content classes of the built-in appearance dataset: six filled shapes, each drawn at a
 * random position, scale, rotation and colour on a random two-colour gradient background.
 * Shapes are signed-distance functions in a unit frame (radius about 1), rasterised with
 * one-pixel anti-aliasing into an RGB float canvas `[size, size, 3]` in `[0, 1]`.
 */
import type { Rng } from '../../compiler/ir/rng.js';

/** The content class names, in label-index order. */
export const CONTENT_CLASSES = ['circle', 'square', 'triangle', 'star', 'cross', 'ring'] as const;

/** A content class name. */
export type ContentClass = (typeof CONTENT_CLASSES)[number];

/** An RGB float canvas, row-major `[size, size, 3]`, values in `[0, 1]`. */
export interface Canvas {
  readonly size: number;
  readonly rgb: Float32Array;
}

type Vec = readonly [number, number];

/** Regular polygon/star vertices: `count` points alternating radii `outer`/`inner`. */
const radial = (count: number, outer: number, inner: number, phase: number): Vec[] =>
  Array.from({ length: count }, (_, i) => {
    const r = i % 2 === 0 ? outer : inner;
    const a = phase + (2 * Math.PI * i) / count;
    return [r * Math.cos(a), r * Math.sin(a)] as const;
  });

const CROSS: Vec[] = [
  [-0.3, -1],
  [0.3, -1],
  [0.3, -0.3],
  [1, -0.3],
  [1, 0.3],
  [0.3, 0.3],
  [0.3, 1],
  [-0.3, 1],
  [-0.3, 0.3],
  [-1, 0.3],
  [-1, -0.3],
  [-0.3, -0.3],
];
const SQUARE: Vec[] = [
  [-0.8, -0.8],
  [0.8, -0.8],
  [0.8, 0.8],
  [-0.8, 0.8],
];
const TRIANGLE: Vec[] = radial(3, 1, 1, -Math.PI / 2);
const STAR: Vec[] = radial(10, 1, 0.42, -Math.PI / 2);

/** Signed distance from `(x, y)` to a closed polygon (negative inside); after Inigo Quilez's sdPolygon. */
const polygonDistance = (v: ReadonlyArray<Vec>, x: number, y: number): number => {
  let d = Infinity;
  let sign = 1;
  for (let i = 0, j = v.length - 1; i < v.length; j = i, i++) {
    const [xi, yi] = v[i]!;
    const [xj, yj] = v[j]!;
    const ex = xj - xi;
    const ey = yj - yi;
    const wx = x - xi;
    const wy = y - yi;
    const t = Math.min(1, Math.max(0, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
    const bx = wx - ex * t;
    const by = wy - ey * t;
    d = Math.min(d, bx * bx + by * by);
    const c1 = y >= yi;
    const c2 = y < yj;
    const c3 = ex * wy > ey * wx;
    if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) sign = -sign;
  }
  return sign * Math.sqrt(d);
};

/** The signed distance of each content class in its unit frame. */
export const SHAPE_DISTANCE: Readonly<Record<ContentClass, (x: number, y: number) => number>> = {
  circle: (x, y) => Math.hypot(x, y) - 0.9,
  square: (x, y) => polygonDistance(SQUARE, x, y),
  triangle: (x, y) => polygonDistance(TRIANGLE, x, y),
  star: (x, y) => polygonDistance(STAR, x, y),
  cross: (x, y) => polygonDistance(CROSS, x, y),
  ring: (x, y) => Math.abs(Math.hypot(x, y) - 0.72) - 0.24,
};

/** Relative luminance (ITU-R 601) of an RGB triple. */
export const luma = (c: ReadonlyArray<number>): number =>
  0.299 * c[0]! + 0.587 * c[1]! + 0.114 * c[2]!;

const randomColour = (rng: Rng): [number, number, number] => [rng.next(), rng.next(), rng.next()];

/**
 * Fills the canvas with a linear gradient between two random colours in a random direction
 * (`gradient`) or with one random colour (`flat`); returns its mean colour.
 */
const paintBackground = (canvas: Canvas, rng: Rng, kind: Scene['background']): number[] => {
  const a = randomColour(rng);
  const b = kind === 'gradient' ? randomColour(rng) : a;
  const angle = rng.uniform(0, 2 * Math.PI);
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  const n = canvas.size;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const t = 0.5 + (((x + 0.5) / n - 0.5) * dx + ((y + 0.5) / n - 0.5) * dy) / Math.SQRT2;
      for (let c = 0; c < 3; c++) canvas.rgb[(y * n + x) * 3 + c] = a[c]! + (b[c]! - a[c]!) * t;
    }
  }
  return [0, 1, 2].map((c) => (a[c]! + b[c]!) / 2);
};

/** A shape colour whose luma differs from the background's by at least 0.3 (so the shape stays visible). */
const shapeColour = (rng: Rng, background: ReadonlyArray<number>): number[] => {
  const bg = luma(background);
  const c = randomColour(rng);
  const shift = bg > 0.5 ? Math.min(0, bg - 0.35 - luma(c)) : Math.max(0, bg + 0.35 - luma(c));
  return c.map((v) => Math.min(1, Math.max(0, v + shift)));
};

/** How a scene of the built-in dataset is drawn. */
export interface Scene {
  /** Shape radius range as fractions of the image side. */
  readonly radius: readonly [number, number];
  /** `flat`: one random background colour; `gradient`: a two-colour linear gradient. */
  readonly background: 'flat' | 'gradient';
  /** Weather strength in [0, 1]: the rendered image is `clear + weather * (effect - clear)`. */
  readonly weather: number;
}

/**
 * The built-in dataset's scene (docs/learning.md, "The data"): shapes of radius 0.32-0.45 of the
 * side on a flat background, weather at half strength. The first version (radius 0.2-0.34,
 * gradient background, full weather) let instance discrimination separate images by their
 * background gradient and weather textures without the shape: no method learnt content
 * (17-24% for 6 classes). Measured with `bench/learn/torch_sweep.py`: content kNN 33% -> 48%.
 */
export const SCENE: Scene = { radius: [0.32, 0.45], background: 'flat', weather: 0.5 };

/** The scene of the dataset's first version (radius 0.2-0.34, gradient, full weather), for comparisons. */
export const SCENE_V1: Scene = { radius: [0.2, 0.34], background: 'gradient', weather: 1 };

/**
 * Draws a content image: random background (`scene.background`), then `shape` with radius in
 * `scene.radius * size`, any rotation, centre kept inside the image, anti-aliased edges.
 */
export const drawContent = (
  shape: ContentClass,
  size: number,
  rng: Rng,
  scene: Pick<Scene, 'radius' | 'background'> = SCENE,
): Canvas => {
  const canvas: Canvas = { size, rgb: new Float32Array(size * size * 3) };
  const colour = shapeColour(rng, paintBackground(canvas, rng, scene.background));
  const radius = rng.uniform(scene.radius[0], scene.radius[1]) * size;
  const angle = rng.uniform(0, 2 * Math.PI);
  const cx = rng.uniform(radius, size - radius);
  const cy = rng.uniform(radius, size - radius);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const sdf = SHAPE_DISTANCE[shape];
  const lo = (v: number): number => Math.max(0, Math.floor(v - radius * 1.5));
  const hi = (v: number): number => Math.min(size, Math.ceil(v + radius * 1.5));
  for (let y = lo(cy); y < hi(cy); y++) {
    for (let x = lo(cx); x < hi(cx); x++) {
      const px = (x + 0.5 - cx) / radius;
      const py = (y + 0.5 - cy) / radius;
      const d = sdf(cos * px + sin * py, -sin * px + cos * py) * radius;
      const cover = Math.min(1, Math.max(0, 0.5 - d));
      if (cover === 0) continue;
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c++)
        canvas.rgb[o + c] = canvas.rgb[o + c]! * (1 - cover) + colour[c]! * cover;
    }
  }
  return canvas;
};
