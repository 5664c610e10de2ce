/**
 * Inline SVG charts for the HTML report: line charts (loss terms, schedules) with linear or log
 * y axes, and scatter plots (PCA projections) coloured by class. Pure string building, no DOM.
 */

/** A series to draw: `[x, y]` points sorted by x. */
export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly color: string;
}

/** Options of `lineChart`. */
export interface LineChartOptions {
  readonly width?: number;
  readonly height?: number;
  /** Log-10 y axis (ignored when a value is <= 0). Default false. */
  readonly logY?: boolean;
  /** Draw a centred moving average over the raw curve when a series has more than 50 points. Default true. */
  readonly smooth?: boolean;
  readonly xLabel?: string;
}

/** Categorical palette (Tableau 10), reused cyclically with a dash of lightness for more classes. */
export const PALETTE: ReadonlyArray<string> = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** The colour of class `i`. */
export const classColor = (i: number): string =>
  i < PALETTE.length
    ? PALETTE[i]!
    : `hsl(${Math.round((i * 137.508) % 360)}, 55%, ${i % 2 ? 40 : 60}%)`;

/** Escapes text for XML/HTML content and attributes. */
export const escapeXml = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** About `count` round tick values (1, 2, 5 x 10^k steps) covering `[lo, hi]`. */
export const niceTicks = (lo: number, hi: number, count = 5): number[] => {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
};

/** A short label for a tick value: `0.001`, `2.5`, `12k`, `1e-5`. */
export const formatTick = (v: number): string => {
  const a = Math.abs(v);
  if (v === 0) return '0';
  if (a >= 1e6 || a < 1e-3) return Number(v.toPrecision(3)).toExponential().replace('e+', 'e');
  if (a >= 1e4) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
};

const MAX_POINTS = 600;

/** Minimum and maximum of a (possibly very long) array, without spreading it into arguments. */
const extent = (v: ReadonlyArray<number>): [number, number] =>
  v.reduce<[number, number]>(
    (a, x) => [Math.min(a[0], x), Math.max(a[1], x)],
    [Infinity, -Infinity],
  );

/** At most `MAX_POINTS` buckets of a series: mean, min and max per bucket. */
const buckets = (
  pts: ReadonlyArray<readonly [number, number]>,
): Array<{ x: number; mean: number; min: number; max: number }> => {
  const size = Math.max(1, Math.ceil(pts.length / MAX_POINTS));
  const out = [];
  for (let i = 0; i < pts.length; i += size) {
    const chunk = pts.slice(i, i + size);
    const ys = chunk.map((p) => p[1]);
    out.push({
      x: chunk.reduce((s, p) => s + p[0], 0) / chunk.length,
      mean: ys.reduce((s, y) => s + y, 0) / ys.length,
      min: Math.min(...ys),
      max: Math.max(...ys),
    });
  }
  return out;
};

/** Centred moving average with half-width `h` (shrinking at the ends), so the curve does not lag. */
const movingAverage = (ys: ReadonlyArray<number>, h: number): number[] => {
  const prefix = [0];
  ys.forEach((y, i) => prefix.push(prefix[i]! + y));
  return ys.map((_, i) => {
    const w = Math.min(h, i, ys.length - 1 - i);
    return (prefix[i + w + 1]! - prefix[i - w]!) / (2 * w + 1);
  });
};

const path = (xs: ReadonlyArray<number>, ys: ReadonlyArray<number>): string =>
  xs.map((x, i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${ys[i]!.toFixed(1)}`).join('');

/** A line chart of one or more series as an `<svg>` element string (`class="chart"`). */
export const lineChart = (
  series: ReadonlyArray<Series>,
  options: LineChartOptions = {},
): string => {
  const { width = 360, height = 200, smooth = true, xLabel = 'step' } = options;
  const m = { l: 50, r: 12, t: 10, b: 30 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0)
    return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="muted">no data</text></svg>`;
  const logY = (options.logY ?? false) && all.every((p) => p[1] > 0);
  const fy = (v: number): number => (logY ? Math.log10(v) : v);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => fy(p[1]));
  const [x0, x1] = extent(xs);
  let [y0, y1] = extent(ys);
  if (y1 - y0 < 1e-12 * Math.max(1, Math.abs(y1)))
    [y0, y1] = [y0 - 0.5 * Math.max(1e-3, Math.abs(y0)), y1 + 0.5 * Math.max(1e-3, Math.abs(y1))];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const sx = (x: number): number => m.l + ((x - x0) / (x1 - x0 || 1)) * (width - m.l - m.r);
  const sy = (y: number): number => height - m.b - ((y - y0) / (y1 - y0)) * (height - m.t - m.b);
  const yTicks = logY
    ? logTicks(y0, y1)
    : niceTicks(y0, y1, 4).map((v) => [v, formatTick(v)] as const);
  const grid = yTicks.map(
    ([v, label]) =>
      `<line class="grid" x1="${m.l}" x2="${width - m.r}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}"/><text class="tick" x="${m.l - 6}" y="${(sy(v) + 3.5).toFixed(1)}" text-anchor="end">${label}</text>`,
  );
  const xTicks = niceTicks(x0, x1, 4).map(
    (v) =>
      `<text class="tick" x="${sx(v).toFixed(1)}" y="${height - m.b + 14}" text-anchor="middle">${formatTick(v)}</text>`,
  );
  const lines = series.map((s) => seriesPaths(s, sx, (v) => sy(fy(v)), smooth));
  return [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">`,
    ...grid,
    ...xTicks,
    `<line class="axis" x1="${m.l}" x2="${width - m.r}" y1="${height - m.b}" y2="${height - m.b}"/>`,
    `<text class="axis-label" x="${width - m.r}" y="${height - 4}" text-anchor="end">${escapeXml(xLabel)}${logY ? ' · log y' : ''}</text>`,
    ...lines,
    '</svg>',
  ].join('');
};

const logTicks = (y0: number, y1: number): Array<readonly [number, string]> => {
  const out: Array<readonly [number, string]> = [];
  for (let e = Math.floor(y0); e <= Math.ceil(y1); e++) {
    for (const mult of y1 - y0 < 1.5 ? [1, 2, 5] : [1]) {
      const v = e + Math.log10(mult);
      if (v >= y0 && v <= y1) out.push([v, formatTick(mult * 10 ** e)]);
    }
  }
  return out;
};

const seriesPaths = (
  s: Series,
  sx: (x: number) => number,
  sy: (y: number) => number,
  smooth: boolean,
): string => {
  const b = buckets(s.points);
  const px = b.map((p) => sx(p.x));
  const color = escapeXml(s.color);
  const band =
    b.length < s.points.length
      ? `<path class="band" fill="${color}" d="${path(
          px,
          b.map((p) => sy(p.max)),
        )}${path([...px].reverse(), b.map((p) => sy(p.min)).reverse()).replace(/^M/, 'L')}Z"/>`
      : '';
  const raw = `<path class="series raw" data-series="${escapeXml(s.name)}" stroke="${color}" d="${path(
    px,
    b.map((p) => sy(p.mean)),
  )}"/>`;
  if (!smooth || s.points.length <= 50) return band + raw.replace('series raw', 'series');
  const smoothed = `<path class="series smooth" stroke="${color}" d="${path(
    px,
    movingAverage(
      b.map((p) => p.mean),
      Math.max(1, Math.round(b.length / 40)),
    ).map(sy),
  )}"/>`;
  return band + raw + smoothed;
};

/** Options of `scatterPlot`. */
export interface ScatterOptions {
  readonly width?: number;
  readonly height?: number;
  readonly xLabel?: string;
  readonly yLabel?: string;
}

/** A scatter plot as an `<svg>` string: one `<circle class="pt">` per point, filled by its class colour. */
export const scatterPlot = (
  x: ReadonlyArray<number>,
  y: ReadonlyArray<number>,
  classes: ReadonlyArray<number>,
  options: ScatterOptions = {},
): string => {
  const { width = 340, height = 300, xLabel = 'PC1', yLabel = 'PC2' } = options;
  const m = 16;
  const span = (v: ReadonlyArray<number>): [number, number] => {
    const [lo, hi] = extent(v);
    return hi > lo ? [lo, hi] : [lo - 1, hi + 1];
  };
  const [x0, x1] = span(x);
  const [y0, y1] = span(y);
  const sx = (v: number): string => (m + ((v - x0) / (x1 - x0)) * (width - 2 * m)).toFixed(1);
  const sy = (v: number): string =>
    (height - m - ((v - y0) / (y1 - y0)) * (height - 2 * m)).toFixed(1);
  const pts = x.map(
    (xi, i) =>
      `<circle class="pt" cx="${sx(xi)}" cy="${sy(y[i]!)}" r="2.6" fill="${classColor(classes[i] ?? 0)}"/>`,
  );
  return [
    `<svg class="scatter" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">`,
    `<rect class="frame" x="0.5" y="0.5" width="${width - 1}" height="${height - 1}"/>`,
    `<text class="axis-label" x="${width - 6}" y="${height - 5}" text-anchor="end">${escapeXml(xLabel)}</text>`,
    `<text class="axis-label" x="6" y="12">${escapeXml(yLabel)}</text>`,
    ...pts,
    '</svg>',
  ].join('');
};
