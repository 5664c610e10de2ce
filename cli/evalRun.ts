/**
 * Evaluating a run folder: rebuild the method from `DIR/spec.json`, load the last checkpoint's
 * weights, embed held-out images (see `runData.ts`) with every named representation, probe each
 * representation for each label (linear and/or kNN), and write `DIR/eval.json` and
 * `DIR/embeddings.json` (formats: eval/report/README.md). What `tessera eval` and the end of the
 * main job run.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compile } from '../runtime/compile.js';
import type { CompiledMethod } from '../runtime/compiled.js';
import type { Dataset } from '../data/dataset.js';
import { evaluateRepresentations, makeEmbeddings, type EvalFile, type FeatureMatrix, type LabelSet, type ProbeKind, type ProbeRow } from '../eval/index.js';
import type { BackendName } from '../runtime/backend.js';
import { writeFileAtomic } from '../runtime/checkpoint/atomicWrite.js';
import { loadRunWeights } from '../runtime/restore.js';
import { Rng } from '../compiler/ir/rng.js';
import { readRunInfo } from '../runtime/runInfo.js';
import { openEvalData, parseDataSource } from './runData.js';

/** Options of `evaluateRun`. */
export interface EvalRunOptions {
  /** Fraction of each class's training split the probes see. Default 0.1. */
  readonly labelFraction?: number;
  /** Default `both`. */
  readonly probe?: ProbeKind;
  /** Held-out images to embed (built-in data: rendered fresh; folders: at most this many). Default 1260. */
  readonly samples?: number;
  /** Backend to embed on. Default: the run's. */
  readonly backend?: BackendName;
  /** Images per `embed` call. Default 128. */
  readonly chunk?: number;
}

/** What `evaluateRun` produced. */
export interface EvalRunResult {
  readonly rows: ReadonlyArray<ProbeRow>;
  readonly samples: number;
  readonly representations: ReadonlyArray<string>;
  readonly checkpointStep: number;
}

/** Frozen features of every representation and the labels of the same images (at most `samples`, in a seeded random order). */
export const embedDataset = async (
  compiled: CompiledMethod,
  dataset: Dataset,
  options: { readonly samples: number; readonly chunk: number },
): Promise<{ features: Record<string, FeatureMatrix>; labels: Record<string, LabelSet> }> => {
  const names = compiled.graph.representations.map((r) => r.name);
  const parts = new Map<string, Float32Array[]>(names.map((n) => [n, []]));
  const dims = new Map<string, number>();
  const labelParts = new Map<string, Int32Array[]>(Object.keys(dataset.classes).map((k) => [k, []]));
  let seen = 0;
  // a seeded shuffle: when `samples` is below the dataset size, the subset is a random sample (folders list images class by class)
  for await (const b of dataset.batches(options.chunk, Rng.seeded(0).fork('eval'), { shuffle: true, dropLast: false })) {
    const take = Math.min(b.indices.length, options.samples - seen);
    const images = take < b.indices.length ? (b.images.slice(0, take) as tf.Tensor4D) : b.images;
    for (const name of names) {
      const f = compiled.embed(name, images);
      dims.set(name, f.shape[1]);
      parts.get(name)!.push((await f.data()) as Float32Array);
      f.dispose();
    }
    for (const [k, v] of Object.entries(b.labels)) labelParts.get(k)?.push(v.subarray(0, take));
    if (images !== b.images) images.dispose();
    b.images.dispose();
    seen += take;
    if (seen >= options.samples) break;
  }
  const concat = <T extends Float32Array | Int32Array>(xs: ReadonlyArray<T>, make: (n: number) => T): T => {
    const out = make(xs.reduce((s, x) => s + x.length, 0));
    let at = 0;
    for (const x of xs) (out.set(x, at), (at += x.length));
    return out;
  };
  const features = Object.fromEntries(names.map((n) => [n, { data: concat(parts.get(n)!, (k) => new Float32Array(k)), dim: dims.get(n) ?? 0 }]));
  const labels = Object.fromEntries(
    [...labelParts].map(([k, xs]) => [k, { values: concat(xs, (m) => new Int32Array(m)), classes: dataset.classes[k]! }]),
  );
  return { features, labels };
};

/** Reads and checks `DIR/spec.json`. */
export const readRunSpec = async (runDir: string): Promise<unknown> => {
  const file = join(runDir, 'spec.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing\nhint: give the --out folder of a tessera train run`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
};

/**
 * Evaluates the run in `runDir` and writes `eval.json` and `embeddings.json` there. Throws (what,
 * where, hint) when the folder is not a run, has no checkpoint, or its data has no labels.
 */
export const evaluateRun = async (runDir: string, options: EvalRunOptions = {}): Promise<EvalRunResult> => {
  const info = await readRunInfo(runDir);
  const spec = await readRunSpec(runDir);
  const labelFraction = options.labelFraction ?? 0.1;
  const probe = options.probe ?? 'both';
  const compiled = await compile(spec, { backend: options.backend ?? info.backend });
  try {
    compiled.init(info.seed);
    const ckpt = await loadRunWeights(compiled, runDir);
    const data = await openEvalData(await parseDataSource(info.data), info.imageSize, options.samples ?? 1260);
    const { features, labels } = await embedDataset(compiled, data, { samples: options.samples ?? 1260, chunk: options.chunk ?? 128 });
    const rows = evaluateRepresentations({ features, labels, probe, labelFraction, seed: info.seed });
    const evalFile: EvalFile & { readonly probe: ProbeKind; readonly checkpointStep: number; readonly data: string } = {
      version: 1, labelFraction, seed: info.seed, probe, checkpointStep: ckpt.step, data: data.name, rows,
    };
    await writeFileAtomic(join(runDir, 'eval.json'), `${JSON.stringify(evalFile)}\n`);
    await writeFileAtomic(join(runDir, 'embeddings.json'), `${JSON.stringify(makeEmbeddings(features, labels, { seed: info.seed }))}\n`);
    const n = Object.values(labels)[0]?.values.length ?? 0;
    return { rows, samples: n, representations: Object.keys(features), checkpointStep: ckpt.step };
  } finally {
    compiled.dispose();
  }
};
