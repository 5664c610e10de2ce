/**
 * `tessera bench disentangle`: the benchmark of ST-STORM's claim. Each method (`tiny` preset) is
 * pretrained without labels on the same images under the same budget (steps and wall-clock,
 * whichever ends first), then every named representation is probed (linear and kNN; accuracy and
 * weighted F1) for each label with 10% and 100% of the probe's training labels. Two baselines need
 * no training: the same encoders at initialisation, and raw pixels. The probes see held-out images
 * (built-in data: another seed; a folder: its own images, split per label).
 */
import { compile } from '../runtime/compile.js';
import type { CompiledMethod } from '../runtime/compiled.js';
import type { Method } from '../compiler/ir/node.js';
import type { Dataset } from '../data/dataset.js';
import { embedDataset, methodEmbedder, pixelEmbedder } from '../eval/embed.js';
import { evaluateRepresentations, type FeatureMatrix, type LabelSet } from '../eval/index.js';
import { methods, type MethodName } from '../library/index.js';
import { useBackend, type BackendName } from '../runtime/backend.js';
import { initModules, type ModuleInit } from '../runtime/init.js';
import { Rng } from '../compiler/ir/rng.js';

/** Options of `benchDisentangle`. */
export interface DisentangleOptions {
  /** Unlabelled pretraining images (labels, if any, are not used). */
  readonly train: Dataset;
  /** Labelled images the probes split into train / test. */
  readonly probe: Dataset;
  /** Labels to probe (names of `probe.classes`). */
  readonly labels: ReadonlyArray<string>;
  /** Methods to pretrain. Default: st-storm, moco-v3, i-jepa. */
  readonly methods?: ReadonlyArray<MethodName>;
  /** Step budget per method (and the schedules' length). */
  readonly steps: number;
  /** Wall-clock budget per method, seconds (training stops at whichever budget ends first). */
  readonly seconds: number;
  /** Probe label fractions. Default [0.1, 1]. */
  readonly fractions?: ReadonlyArray<number>;
  /** Images to embed for the probes (at most). Default 1260. */
  readonly samples?: number;
  readonly seed?: number;
  readonly backend: BackendName;
  /** Modules to start from weights, per method (e.g. ST-STORM's `semBackbone` from a MoCo v3 export). */
  readonly init?: Readonly<Partial<Record<MethodName, ReadonlyArray<ModuleInit>>>>;
  /** Progress lines. */
  readonly onEvent?: (message: string) => void;
}

/** One probe result. `weights`: `trained`, `init` (the same encoder before training) or `none` (raw pixels). */
export interface DisentangleRow {
  readonly method: string;
  readonly weights: 'trained' | 'init' | 'none';
  readonly representation: string;
  readonly label: string;
  readonly labelFraction: number;
  readonly probe: 'linear' | 'knn';
  readonly accuracy: number;
  readonly f1Weighted: number;
}

/** How each method's pretraining went. */
export interface PretrainRecord {
  readonly method: string;
  readonly steps: number;
  readonly seconds: number;
  readonly batch: number;
  readonly lastLoss: number;
}

/** The whole result, as `--json` writes it. */
export interface DisentangleReport {
  readonly version: 1;
  readonly data: {
    readonly train: string;
    readonly probe: string;
    readonly labels: ReadonlyArray<string>;
  };
  readonly budget: { readonly steps: number; readonly seconds: number };
  readonly seed: number;
  readonly backend: BackendName;
  readonly pretraining: ReadonlyArray<PretrainRecord>;
  readonly rows: ReadonlyArray<DisentangleRow>;
}

/** The spec a method is pretrained with: its `tiny` preset, `steps` long. */
const specOf = (name: MethodName, steps: number): Method => {
  const m = methods[name]('tiny');
  return { ...m, training: { ...m.training, steps } };
};

/** Steps `compiled` on `train` until `steps` or `seconds` run out; returns what was done. */
const pretrain = async (
  compiled: CompiledMethod,
  method: Method,
  o: DisentangleOptions,
  seed: number,
): Promise<PretrainRecord> => {
  const batch = method.training.batch;
  const t0 = performance.now();
  let step = 0;
  let lastLoss = Number.NaN;
  const every = Math.max(1, Math.round(o.steps / 10));
  for (let epoch = 0; step < o.steps && (performance.now() - t0) / 1000 < o.seconds; epoch++) {
    for await (const b of o.train.batches(batch, Rng.seeded(seed).fork(`epoch:${epoch}`))) {
      const m = compiled.step(b.images, { step, totalSteps: o.steps });
      b.images.dispose();
      lastLoss = m.loss;
      if (!Number.isFinite(m.loss))
        throw new Error(
          `${method.name}: loss became ${m.loss} at step ${step} (${JSON.stringify(m.terms)})`,
        );
      step++;
      if (step % every === 0)
        o.onEvent?.(
          `  ${method.name} step ${step}: loss ${m.loss.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
        );
      if (step >= o.steps || (performance.now() - t0) / 1000 >= o.seconds) break;
    }
  }
  return {
    method: method.name,
    steps: step,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    batch,
    lastLoss,
  };
};

/** Probe rows of one set of features, for every label and fraction. */
const probeAll = (
  features: Readonly<Record<string, FeatureMatrix>>,
  allLabels: Readonly<Record<string, LabelSet>>,
  o: DisentangleOptions,
  tag: Pick<DisentangleRow, 'method' | 'weights'>,
): DisentangleRow[] => {
  const labels = Object.fromEntries(o.labels.map((l) => [l, allLabels[l]!]));
  return (o.fractions ?? [0.1, 1]).flatMap((labelFraction) =>
    evaluateRepresentations({
      features,
      labels,
      probe: 'both',
      labelFraction,
      seed: o.seed ?? 0,
    }).map((r) => ({
      ...tag,
      representation: r.representation,
      label: r.label,
      labelFraction,
      probe: r.probe,
      accuracy: r.accuracy,
      f1Weighted: r.f1Weighted,
    })),
  );
};

/** Runs the benchmark (see the module comment). */
export const benchDisentangle = async (o: DisentangleOptions): Promise<DisentangleReport> => {
  const missing = o.labels.filter((l) => o.probe.classes[l] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `the probe data ${o.probe.name} has no label ${missing.map((l) => `"${l}"`).join(', ')}\nhint: its labels: ${Object.keys(o.probe.classes).join(', ') || 'none'} (folders: DIR/<class>/..., or a labels.json as tessera data appearance writes)`,
    );
  }
  await useBackend(o.backend);
  const seed = o.seed ?? 0;
  const samples = o.samples ?? 1260;
  const rows: DisentangleRow[] = [];
  const pretraining: PretrainRecord[] = [];
  o.onEvent?.('raw pixels');
  const raw = await embedDataset(pixelEmbedder, o.probe, { samples, chunk: 128 });
  rows.push(...probeAll(raw.features, raw.labels, o, { method: 'pixels', weights: 'none' }));
  for (const name of o.methods ?? ['st-storm', 'moco-v3', 'i-jepa']) {
    const method = specOf(name, o.steps);
    const compiled = await compile(method, { backend: o.backend });
    try {
      compiled.init(seed);
      await initModules(compiled, o.init?.[name] ?? []);
      o.onEvent?.(`${name}: probing the encoders at initialisation`);
      const before = await embedDataset(methodEmbedder(compiled), o.probe, { samples, chunk: 128 });
      rows.push(...probeAll(before.features, before.labels, o, { method: name, weights: 'init' }));
      o.onEvent?.(`${name}: pretraining (at most ${o.steps} steps, ${o.seconds} s)`);
      const record = await pretrain(compiled, method, o, seed);
      pretraining.push(record);
      const after = await embedDataset(methodEmbedder(compiled), o.probe, { samples, chunk: 128 });
      rows.push(...probeAll(after.features, after.labels, o, { method: name, weights: 'trained' }));
    } finally {
      compiled.dispose();
    }
  }
  return {
    version: 1,
    data: { train: o.train.name, probe: o.probe.name, labels: o.labels },
    budget: { steps: o.steps, seconds: o.seconds },
    seed,
    backend: o.backend,
    pretraining,
    rows,
  };
};

const pct = (x: number | undefined): string => (x === undefined ? '-' : (100 * x).toFixed(1));

/**
 * The report as a table: one line per (method, weights, representation, label, label fraction),
 * linear and kNN accuracy and weighted F1 in percent, then how each pretraining went.
 */
export const showDisentangle = (r: DisentangleReport): string => {
  const key = (x: DisentangleRow) =>
    `${x.method}|${x.weights}|${x.representation}|${x.label}|${x.labelFraction}`;
  const groups = new Map<string, DisentangleRow[]>();
  for (const x of r.rows) groups.set(key(x), [...(groups.get(key(x)) ?? []), x]);
  const header = [
    'method',
    'weights',
    'representation',
    'label',
    'labels %',
    'lin acc',
    'lin F1w',
    'kNN acc',
    'kNN F1w',
  ];
  const body = [...groups.values()].map((g) => {
    const [a] = g as [DisentangleRow];
    const lin = g.find((x) => x.probe === 'linear');
    const knn = g.find((x) => x.probe === 'knn');
    return [
      a.method,
      a.weights,
      a.representation,
      a.label,
      String(Math.round(a.labelFraction * 100)),
      pct(lin?.accuracy),
      pct(lin?.f1Weighted),
      pct(knn?.accuracy),
      pct(knn?.f1Weighted),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const runs = r.pretraining.map(
    (p) =>
      `${p.method}: ${p.steps} steps of batch ${p.batch} in ${p.seconds} s, last loss ${p.lastLoss.toFixed(4)}`,
  );
  return [
    `bench disentangle: pretrain on ${r.data.train}; probe ${r.data.labels.join(', ')} on ${r.data.probe}; budget ${r.budget.steps} steps or ${r.budget.seconds} s per method; ${r.backend}, seed ${r.seed}`,
    line(header),
    ...body.map(line),
    '',
    ...runs,
  ].join('\n');
};
