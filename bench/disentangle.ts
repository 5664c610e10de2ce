/**
 * `tessera bench disentangle`: the benchmark of ST-STORM's claim. Each method (`tiny` preset) is
 * pretrained without labels on the same images under the same budget (steps and wall-clock,
 * whichever ends first), then every named representation is probed (linear and kNN; accuracy and
 * weighted F1) for each label with 10% and 100% of the probe's training labels. Two baselines need
 * no training: the same encoders at initialisation, and raw pixels. The probes see held-out images
 * (built-in data: another seed; a folder: its own images, split per label).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../runtime/compile.js';
import { encodeSafetensors, type NamedTensor } from '../runtime/checkpoint/safetensors.js';
import type { CompiledMethod, StepMetrics } from '../runtime/compiled.js';
import {
  dataOrderOf,
  disposeStepBatch,
  pairedOf,
  stepBatches,
  type StepBatch,
} from '../runtime/dataOrder.js';
import type { Method } from '../compiler/ir/node.js';
import type { Dataset } from '../data/dataset.js';
import { embedDataset, methodEmbedder, pixelEmbedder } from '../eval/embed.js';
import { evaluateRepresentations, type FeatureMatrix, type LabelSet } from '../eval/index.js';
import { methods, stStorm, type MethodName } from '../library/index.js';
import { useBackend, type BackendName } from '../runtime/backend.js';
import { initModules, type ModuleInit } from '../runtime/init.js';

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
  /**
   * `moco-v3`: the authors' recipe at small scale. MoCo v3 pretrains first; ST-STORM's semantic
   * branch starts from its trained backbone and trains with the reference optimiser
   * (`semanticOptimizer: 'reference'`, AdamW 1e-4). Default `scratch` (the `tiny` preset as is).
   */
  readonly stormFrom?: 'scratch' | 'moco-v3';
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
  /** Where ST-STORM's semantic branch started (`stormFrom`). */
  readonly stormFrom: 'scratch' | 'moco-v3';
  readonly pretraining: ReadonlyArray<PretrainRecord>;
  readonly rows: ReadonlyArray<DisentangleRow>;
}

/** The spec a method is pretrained with: its `tiny` preset, `steps` long (see `stormFrom`). */
const specOf = (name: MethodName, steps: number, o: DisentangleOptions): Method => {
  const m =
    name === 'st-storm' && o.stormFrom === 'moco-v3'
      ? stStorm({ preset: 'tiny', semanticOptimizer: 'reference' })
      : methods[name]('tiny');
  return { ...m, training: { ...m.training, steps } };
};

/** The methods in training order: with `stormFrom: 'moco-v3'`, MoCo v3 before ST-STORM. */
const trainingOrder = (o: DisentangleOptions): MethodName[] => {
  const chosen = [...(o.methods ?? ['st-storm', 'moco-v3', 'i-jepa'])];
  if (o.stormFrom !== 'moco-v3') return chosen;
  if (!chosen.includes('st-storm') || !chosen.includes('moco-v3'))
    throw new Error(
      'stormFrom moco-v3 needs both st-storm and moco-v3 among the methods\nhint: --methods st-storm,moco-v3[,i-jepa]',
    );
  return ['moco-v3', ...chosen.filter((m) => m !== 'moco-v3')];
};

/** Writes `module`'s variables of `compiled` to `file` (safetensors, names `module/path`). */
const saveModule = async (compiled: CompiledMethod, module: string, file: string) => {
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, v] of Object.entries(compiled.variables()))
    if (name.startsWith(`${module}/`))
      tensors[name] = { dtype: 'F32', shape: v.shape, data: v.dataSync() as Float32Array };
  await writeFile(file, encodeSafetensors(tensors));
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
  const stream = stepBatches(dataOrderOf(o.train, method.training, seed), 0);
  try {
    while (step < o.steps && (performance.now() - t0) / 1000 < o.seconds) {
      const b = (await stream.next()).value as StepBatch;
      let m: StepMetrics;
      try {
        m = compiled.step(b.images, { step, totalSteps: o.steps }, pairedOf(b));
      } finally {
        disposeStepBatch(b);
      }
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
    }
  } finally {
    await stream.return(undefined);
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
  const scratch = await mkdtemp(join(tmpdir(), 'tessera-disentangle-'));
  const inits: Partial<Record<MethodName, ReadonlyArray<ModuleInit>>> = { ...o.init };
  try {
    for (const name of trainingOrder(o)) {
      const method = specOf(name, o.steps, o);
      const compiled = await compile(method, { backend: o.backend });
      try {
        compiled.init(seed);
        await initModules(compiled, inits[name] ?? []);
        o.onEvent?.(`${name}: probing the encoders at initialisation`);
        const before = await embedDataset(methodEmbedder(compiled), o.probe, {
          samples,
          chunk: 128,
        });
        rows.push(
          ...probeAll(before.features, before.labels, o, { method: name, weights: 'init' }),
        );
        o.onEvent?.(`${name}: pretraining (at most ${o.steps} steps, ${o.seconds} s)`);
        const record = await pretrain(compiled, method, o, seed);
        pretraining.push(record);
        const after = await embedDataset(methodEmbedder(compiled), o.probe, {
          samples,
          chunk: 128,
        });
        rows.push(
          ...probeAll(after.features, after.labels, o, { method: name, weights: 'trained' }),
        );
        if (name === 'moco-v3' && o.stormFrom === 'moco-v3') {
          const file = join(scratch, 'moco-v3-backbone.safetensors');
          await saveModule(compiled, 'backbone', file);
          inits['st-storm'] = [...(inits['st-storm'] ?? []), { module: 'semBackbone', file }];
        }
      } finally {
        compiled.dispose();
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return {
    version: 1,
    data: { train: o.train.name, probe: o.probe.name, labels: o.labels },
    budget: { steps: o.steps, seconds: o.seconds },
    seed,
    backend: o.backend,
    stormFrom: o.stormFrom ?? 'scratch',
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
    `bench disentangle: pretrain on ${r.data.train}; probe ${r.data.labels.join(', ')} on ${r.data.probe}; budget ${r.budget.steps} steps or ${r.budget.seconds} s per method; ${r.backend}, seed ${r.seed}${r.stormFrom === 'moco-v3' ? "; ST-STORM's semantic branch from the trained MoCo v3 backbone (AdamW 1e-4)" : ''}`,
    line(header),
    ...body.map(line),
    '',
    ...runs,
  ].join('\n');
};
