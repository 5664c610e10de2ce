/**
 * Frozen-feature evaluation of every named representation against every label: a seeded,
 * stratified held-out split per label, a label fraction of its training part, then the linear
 * probe and/or the kNN probe, scored by accuracy and weighted / macro F1 (sklearn semantics).
 * This is what `tessera eval` runs and writes to `DIR/eval.json` (see `eval/report/README.md`).
 */
import { Rng } from '../compiler/ir/rng.js';
import { knnPredict, type KnnOptions } from './knn.js';
import { trainLinearProbe, type LinearProbeOptions } from './linearProbe.js';
import { classificationMetrics } from './metrics.js';
import {
  gatherLabels,
  gatherRows,
  labelFractionSubset,
  stratifiedSplit,
  type Split,
} from './split.js';

/** Features of one representation: row-major `[n, dim]`. */
export interface FeatureMatrix {
  readonly data: Float32Array;
  readonly dim: number;
}

/** One label of the samples: class indices `[n]` into `classes`. */
export interface LabelSet {
  readonly values: Int32Array;
  readonly classes: ReadonlyArray<string>;
}

/** Which probe(s) to run. */
export type ProbeKind = 'linear' | 'knn' | 'both';

/** Input of `evaluateRepresentations`. */
export interface EvaluateInput {
  /** Per representation name (e.g. `content`, `style`, `fused`), the features of the same n samples. */
  readonly features: Readonly<Record<string, FeatureMatrix>>;
  /** Per label name (e.g. `content`, `appearance`), the labels of the n samples. */
  readonly labels: Readonly<Record<string, LabelSet>>;
  /** Default `'both'`. */
  readonly probe?: ProbeKind;
  /** Fraction of each class's training samples the probes see. Default 0.1. */
  readonly labelFraction?: number;
  /** Held-out fraction per class. Default 0.2. */
  readonly testFraction?: number;
  /** Seed of the splits and of mini-batch order. Default 0. */
  readonly seed?: number;
  readonly linear?: LinearProbeOptions;
  readonly knn?: KnnOptions;
}

/** One result: a representation probed for a label. */
export interface ProbeRow {
  readonly representation: string;
  readonly label: string;
  readonly probe: 'linear' | 'knn';
  readonly accuracy: number;
  readonly f1Weighted: number;
  readonly f1Macro: number;
  readonly nTrain: number;
  readonly nTest: number;
  /** Number of classes of the label. */
  readonly nClasses: number;
  /** Confusion matrix `[nClasses, nClasses]`, rows true, columns predicted. */
  readonly confusion: ReadonlyArray<ReadonlyArray<number>>;
}

const checkInput = (
  features: Readonly<Record<string, FeatureMatrix>>,
  labels: Readonly<Record<string, LabelSet>>,
): number => {
  const sizes = new Map<string, number>();
  for (const [name, f] of Object.entries(features)) {
    if (!(f.dim > 0) || f.data.length % f.dim !== 0)
      throw new Error(
        `evaluateRepresentations: representation "${name}" has ${f.data.length} values, not a multiple of dim ${f.dim}`,
      );
    if (!f.data.every(Number.isFinite))
      throw new Error(
        `evaluateRepresentations: representation "${name}" has non-finite features (NaN or Infinity)`,
      );
    sizes.set(`representation "${name}"`, f.data.length / f.dim);
  }
  for (const [name, l] of Object.entries(labels)) {
    sizes.set(`label "${name}"`, l.values.length);
    const bad = l.values.findIndex((v) => v < 0 || v >= l.classes.length);
    if (bad >= 0)
      throw new Error(
        `evaluateRepresentations: label "${name}" value ${l.values[bad]} at ${bad} is not an index into its ${l.classes.length} classes`,
      );
  }
  const distinct = new Set(sizes.values());
  if (distinct.size > 1)
    throw new Error(
      `evaluateRepresentations: sample counts differ: ${[...sizes].map(([k, v]) => `${k} has ${v}`).join(', ')}`,
    );
  return [...distinct][0] ?? 0;
};

const splitsFor = (
  labels: Readonly<Record<string, LabelSet>>,
  seed: number,
  testFraction: number,
  labelFraction: number,
): Map<string, Split> => {
  const root = Rng.seeded(seed);
  return new Map(
    Object.entries(labels).map(([name, l]) => {
      const split = stratifiedSplit(l.values, root.fork(`split:${name}`), testFraction);
      return [
        name,
        {
          train: labelFractionSubset(
            split.train,
            l.values,
            labelFraction,
            root.fork(`fraction:${name}`),
          ),
          test: split.test,
        },
      ];
    }),
  );
};

const runProbe = (
  kind: 'linear' | 'knn',
  f: FeatureMatrix,
  l: LabelSet,
  split: Split,
  input: EvaluateInput,
  seed: number,
): Int32Array => {
  const xTrain = gatherRows(f.data, f.dim, split.train);
  const yTrain = gatherLabels(l.values, split.train);
  const xTest = gatherRows(f.data, f.dim, split.test);
  if (kind === 'knn') return knnPredict(xTrain, yTrain, xTest, f.dim, l.classes.length, input.knn);
  return trainLinearProbe(xTrain, yTrain, f.dim, l.classes.length, {
    seed,
    ...input.linear,
  }).predict(xTest);
};

/**
 * Probes each representation for each label and returns one row per (representation, label,
 * probe), in input order. The split of a label is the same for every representation, so rows
 * compare representations on identical samples. Runs the linear probe on the active TF.js backend.
 */
export const evaluateRepresentations = (input: EvaluateInput): ProbeRow[] => {
  const {
    features,
    labels,
    probe = 'both',
    labelFraction = 0.1,
    testFraction = 0.2,
    seed = 0,
  } = input;
  checkInput(features, labels);
  const splits = splitsFor(labels, seed, testFraction, labelFraction);
  const kinds = probe === 'both' ? (['linear', 'knn'] as const) : ([probe] as const);
  const rows: ProbeRow[] = [];
  for (const [representation, f] of Object.entries(features)) {
    for (const [label, l] of Object.entries(labels)) {
      const split = splits.get(label)!;
      const yTest = gatherLabels(l.values, split.test);
      for (const kind of kinds) {
        const m = classificationMetrics(
          yTest,
          runProbe(kind, f, l, split, input, seed),
          l.classes.length,
        );
        rows.push({
          representation,
          label,
          probe: kind,
          accuracy: m.accuracy,
          f1Weighted: m.f1Weighted,
          f1Macro: m.f1Macro,
          nTrain: split.train.length,
          nTest: split.test.length,
          nClasses: l.classes.length,
          confusion: m.confusion,
        });
      }
    }
  }
  return rows;
};

const pct = (x: number): string => `${(100 * x).toFixed(1)}`;

/**
 * A plain-text table of probe rows (accuracy and F1 in percent), for the terminal:
 * ```
 * representation  label       probe   acc %  F1w %  F1m %  train  test
 * content         content     linear   91.3   91.2   91.0     80   200
 * ```
 */
export const renderProbeTable = (rows: ReadonlyArray<ProbeRow>): string => {
  const header = ['representation', 'label', 'probe', 'acc %', 'F1w %', 'F1m %', 'train', 'test'];
  const body = rows.map((r) => [
    r.representation,
    r.label,
    r.probe,
    pct(r.accuracy),
    pct(r.f1Weighted),
    pct(r.f1Macro),
    String(r.nTrain),
    String(r.nTest),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...body.map(line)].join('\n');
};

/**
 * The trained probes next to the same probes of the untrained encoder (same images, splits and
 * seed), with the gain in points, then one line per label saying whether each representation beats
 * its untrained self (by the linear probe where there is one): what the main job ends with.
 *
 * ```ts
 * console.log(renderGainTable(untrainedRows, trainedRows));
 * // representation  label    probe   untrained %  trained %   gain
 * // backbone        content  linear         17.9       29.4  +11.5
 * // content: backbone +11.5 points over its untrained self (linear probe)
 * ```
 */
export const renderGainTable = (
  untrained: ReadonlyArray<ProbeRow>,
  trained: ReadonlyArray<ProbeRow>,
): string => {
  const key = (r: ProbeRow): string => `${r.representation}/${r.label}/${r.probe}`;
  const before = new Map(untrained.map((r) => [key(r), r.accuracy]));
  const paired = trained.flatMap((r) => {
    const b = before.get(key(r));
    return b === undefined ? [] : [{ row: r, gain: 100 * (r.accuracy - b), before: b }];
  });
  const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
  const header = ['representation', 'label', 'probe', 'untrained %', 'trained %', 'gain'];
  const body = paired.map(({ row, gain, before: b }) => [
    row.representation,
    row.label,
    row.probe,
    pct(b),
    pct(row.accuracy),
    signed(gain),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((c) => c[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const verdicts = [...new Set(paired.map((p) => p.row.label))].map((label) => {
    const rows = paired.filter((p) => p.row.label === label);
    const linear = rows.filter((p) => p.row.probe === 'linear');
    const each = (linear.length > 0 ? linear : rows).map(
      (p) => `${p.row.representation} ${signed(p.gain)} points`,
    );
    const probe = linear.length > 0 ? 'linear' : 'knn';
    return `${label}: ${each.join(', ')} over the untrained encoder (${probe} probe)`;
  });
  return [line(header), ...body.map(line), ...verdicts].join('\n');
};
