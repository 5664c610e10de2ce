/**
 * The run-folder files the report reads, their TypeScript shapes and tolerant parsers. The exact
 * formats are documented in `eval/report/README.md`; the training and eval commands write them.
 */
import { Rng } from '../../compiler/ir/rng.js';
import { pca2 } from '../pca.js';
import type { FeatureMatrix, LabelSet, ProbeRow } from '../probe.js';

/** One line of `metrics.jsonl`: `step`, total `loss`, loss terms and schedules by name. */
export type MetricsRecord = { readonly step: number; readonly loss?: number } & Readonly<
  Record<string, unknown>
>;

/** Keys (and `<key>/<name>` prefixes) of `metrics.jsonl` that are schedules, drawn in their own charts. */
export const SCHEDULE_KEYS: ReadonlyArray<string> = ['lr', 'ema', 'wd', 'temperature'];

/** Keys of `metrics.jsonl` that are neither loss terms nor schedules (bookkeeping). Keys starting with `_` are ignored too. */
export const IGNORED_KEYS: ReadonlyArray<string> = [
  'step',
  'time',
  'elapsed',
  'epoch',
  'phase',
  'rate',
  'samplesPerSec',
];

/** Series of `metrics.jsonl` by role: `loss` first among `terms`; each series is `[step, value]` pairs. */
export interface MetricSeries {
  readonly terms: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>;
  readonly schedules: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>;
  /** Online evaluation (`knn/<representation>/<label>` accuracies), by key. Empty when the run had none. */
  readonly online: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>;
}

/** Prefix of the online evaluation keys (`knn/<representation>/<label>`, written by `tessera train --eval-every`). */
export const ONLINE_PREFIX = 'knn/';

/** The role of a numeric `metrics.jsonl` key: a loss term (`loss/<name>` is shown as `<name>`), a schedule, or ignored. */
export const keyRole = (
  key: string,
): { role: 'term' | 'schedule' | 'online' | 'ignored'; name: string } => {
  if (key.startsWith('_') || IGNORED_KEYS.includes(key)) return { role: 'ignored', name: key };
  if (key.startsWith(ONLINE_PREFIX)) return { role: 'online', name: key };
  if (SCHEDULE_KEYS.some((s) => key === s || key.startsWith(`${s}/`)))
    return { role: 'schedule', name: key };
  return { role: 'term', name: key.startsWith('loss/') ? key.slice(5) : key };
};

/**
 * Parses `metrics.jsonl` text: one JSON object per line; blank lines are skipped; a malformed line
 * (e.g. the last one of a run killed mid-write) is skipped and reported in `problems` with its
 * line number. An online evaluation line has `step` and `knn/...` keys and no `loss`. Lines of
 * steps the trainer skipped as non-finite (`"skipped": "non-finite"`) are listed in `skipped` by step.
 */
export const parseMetricsJsonl = (
  text: string,
): { records: MetricsRecord[]; problems: string[]; skipped: number[] } => {
  const records: MetricsRecord[] = [];
  const problems: string[] = [];
  const skipped: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (typeof r['step'] === 'number' && typeof r['skipped'] === 'string') {
        skipped.push(r['step']);
        return;
      }
      const online = Object.keys(r).some((k) => k.startsWith(ONLINE_PREFIX));
      if (typeof r['step'] !== 'number' || (typeof r['loss'] !== 'number' && !online))
        throw new Error('needs numeric "step" and "loss"');
      records.push(r as MetricsRecord);
    } catch (e) {
      problems.push(`metrics.jsonl line ${i + 1}: ${(e as Error).message}`);
    }
  });
  return { records, problems, skipped };
};

/** Splits records into loss-term and schedule series (non-finite and non-numeric values are skipped). */
export const metricSeries = (records: ReadonlyArray<MetricsRecord>): MetricSeries => {
  const terms = new Map<string, Array<readonly [number, number]>>([['loss', []]]);
  const schedules = new Map<string, Array<readonly [number, number]>>();
  const online = new Map<string, Array<readonly [number, number]>>();
  for (const r of records) {
    for (const [key, v] of Object.entries(r)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const { role, name } = keyRole(key);
      if (role === 'ignored') continue;
      const target = role === 'term' ? terms : role === 'online' ? online : schedules;
      if (!target.has(name)) target.set(name, []);
      target.get(name)!.push([r.step, v]);
    }
  }
  return { terms, schedules, online };
};

/** `eval.json`: the probe rows of `evaluateRepresentations` and how they were made. */
export interface EvalFile {
  readonly version: 1;
  readonly rows: ReadonlyArray<ProbeRow>;
  readonly labelFraction?: number;
  readonly seed?: number;
}

/** Reads `eval.json` content (an `EvalFile`, or a bare array of rows). */
export const parseEvalFile = (value: unknown): EvalFile => {
  const rows = Array.isArray(value) ? value : (value as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) throw new Error('eval.json: expected { "rows": [...] }');
  for (const [i, r] of rows.entries()) {
    const row = r as Partial<ProbeRow>;
    if (
      typeof row.representation !== 'string' ||
      typeof row.label !== 'string' ||
      typeof row.accuracy !== 'number'
    ) {
      throw new Error(`eval.json: row ${i} needs "representation", "label" and "accuracy"`);
    }
  }
  return Array.isArray(value) ? { version: 1, rows } : (value as EvalFile);
};

/** `embeddings.json`: a 2-D projection of each representation and the labels of the plotted samples. */
export interface EmbeddingsFile {
  readonly version: 1;
  /** Labels of the plotted samples: class index per point, and class names. */
  readonly labels: Readonly<
    Record<
      string,
      { readonly classes: ReadonlyArray<string>; readonly values: ReadonlyArray<number> }
    >
  >;
  /** Per representation, x and y of each point (same order as the labels), and the variance fraction of each axis. */
  readonly representations: Readonly<
    Record<
      string,
      {
        readonly x: ReadonlyArray<number>;
        readonly y: ReadonlyArray<number>;
        readonly varianceRatio?: readonly [number, number];
      }
    >
  >;
}

/** Checks that every representation and label of an `embeddings.json` has the same number of points. */
export const parseEmbeddingsFile = (value: unknown): EmbeddingsFile => {
  const e = value as Partial<EmbeddingsFile> | null;
  if (!e || typeof e.labels !== 'object' || typeof e.representations !== 'object')
    throw new Error('embeddings.json: expected { "labels": {...}, "representations": {...} }');
  const counts = [
    ...Object.entries(e.labels).map(([k, l]) => [`label "${k}"`, l.values.length] as const),
    ...Object.entries(e.representations).flatMap(([k, r]) => [
      [`representation "${k}" x`, r.x.length] as const,
      [`representation "${k}" y`, r.y.length] as const,
    ]),
  ];
  if (new Set(counts.map(([, n]) => n)).size > 1)
    throw new Error(
      `embeddings.json: point counts differ: ${counts.map(([k, n]) => `${k} ${n}`).join(', ')}`,
    );
  return { version: 1, labels: e.labels, representations: e.representations };
};

/**
 * Builds `embeddings.json` content from frozen features `[n, dim]` and labels: a seeded subsample
 * of at most `maxPoints` samples (default 2000), projected on each representation's top-2
 * principal components (`pca2`, computed on the subsample). Coordinates are rounded to 5
 * significant digits to keep the file small.
 */
export const makeEmbeddings = (
  features: Readonly<Record<string, FeatureMatrix>>,
  labels: Readonly<Record<string, LabelSet>>,
  options: { readonly maxPoints?: number; readonly seed?: number } = {},
): EmbeddingsFile => {
  const n =
    Object.values(labels)[0]?.values.length ??
    (Object.values(features)[0]
      ? Object.values(features)[0]!.data.length / Object.values(features)[0]!.dim
      : 0);
  const keep = Math.min(n, options.maxPoints ?? 2000);
  const idx =
    keep < n
      ? Rng.seeded(options.seed ?? 0)
          .permutation(n)
          .slice(0, keep)
          .sort((a, b) => a - b)
      : Array.from({ length: n }, (_, i) => i);
  const round = (v: number): number => Number(v.toPrecision(5));
  const representations = Object.fromEntries(
    Object.entries(features).map(([name, f]) => {
      const sub = new Float32Array(idx.length * f.dim);
      idx.forEach((row, r) => sub.set(f.data.subarray(row * f.dim, (row + 1) * f.dim), r * f.dim));
      const p = pca2(sub, f.dim, { seed: options.seed ?? 0 });
      return [
        name,
        {
          x: idx.map((_, r) => round(p.coords[2 * r]!)),
          y: idx.map((_, r) => round(p.coords[2 * r + 1]!)),
          varianceRatio: p.varianceRatio,
        },
      ];
    }),
  );
  const labelsOut = Object.fromEntries(
    Object.entries(labels).map(([k, l]) => [
      k,
      { classes: [...l.classes], values: idx.map((i) => l.values[i]!) },
    ]),
  );
  return { version: 1, labels: labelsOut, representations };
};
