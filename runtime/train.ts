/**
 * The training loop: compile, (re)start from the last checkpoint, step through the data, log every
 * step to `metrics.jsonl`, checkpoint every K steps and at the end. A crash or Ctrl-C never
 * leaves a half-written checkpoint (writes are atomic); a non-finite loss stops the run *before*
 * anything is saved, so the last checkpoint stays the last good one.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compile } from '../compiler/compile.js';
import type { CompiledMethod, StepMetrics } from '../compiler/lower/compiled.js';
import type { Method } from '../compiler/ir/node.js';
import type { Dataset } from '../data/dataset.js';
import type { BackendName } from './backend.js';
import { loadLatestCheckpoint, saveCheckpoint, specHash, toTensor } from './checkpoint/index.js';
import { Rng } from './rng.js';

/** Everything a run needs. */
export interface TrainConfig {
  readonly method: Method;
  readonly dataset: Dataset;
  readonly steps: number;
  readonly seed: number;
  readonly backend: BackendName;
  /** The run folder: `spec.json`, `metrics.jsonl`, `checkpoints/`. */
  readonly outDir: string;
  /** Save a checkpoint every this many steps (and always at the end). */
  readonly checkpointEvery: number;
  /** Continue from the last checkpoint in `outDir` (refused if the spec changed). */
  readonly resume: boolean;
  /** Called after every step with its metrics and timing. */
  readonly onStep?: (m: StepMetrics, info: { readonly totalSteps: number; readonly stepMs: number }) => void;
  /** Called when something worth telling happens (resumed, checkpoint saved...). */
  readonly onEvent?: (message: string) => void;
  /** Stop cleanly (checkpoint, then return) when this becomes true. */
  readonly shouldStop?: () => boolean;
}

/** What a finished (or stopped) run returns. */
export interface TrainResult {
  readonly compiled: CompiledMethod;
  readonly startStep: number;
  readonly endStep: number;
  readonly lastMetrics: StepMetrics | undefined;
  readonly specHash: string;
}

/** A training run that cannot start or has to stop; the message says why and what to do. */
export class TrainError extends Error {
  override readonly name = 'TrainError';
}

const batchesPerEpoch = (dataset: Dataset, batch: number): number => Math.floor(dataset.size / batch);

/** An endless stream of batches: epoch `e` is shuffled by `seed` and `e`, so resuming at any step replays the same order. */
async function* batchStream(dataset: Dataset, batch: number, seed: number, startStep: number): AsyncGenerator<tf.Tensor4D> {
  const perEpoch = batchesPerEpoch(dataset, batch);
  if (perEpoch < 1) throw new TrainError(`dataset "${dataset.name}" has ${dataset.size} images, fewer than one batch of ${batch}\nhint: lower --batch or add images`);
  let epoch = Math.floor(startStep / perEpoch);
  let skip = startStep % perEpoch;
  for (;;) {
    for await (const b of dataset.batches(batch, Rng.seeded(seed).fork(`epoch:${epoch}`), { skip })) yield b.images;
    skip = 0;
    epoch++;
  }
}

const saveState = async (config: TrainConfig, compiled: CompiledMethod, step: number, hash: string): Promise<void> => {
  await saveCheckpoint(config.outDir, {
    step,
    weights: compiled.variables(),
    optimizer: compiled.optimizerState(),
    meta: { specHash: hash, seed: config.seed, rng: Rng.seeded(config.seed).state(), step, backend: config.backend },
  });
};

/** Restores weights and optimizer state; returns the step to continue from (0 without a checkpoint). */
const restore = async (config: TrainConfig, compiled: CompiledMethod, hash: string): Promise<number> => {
  const ckpt = await loadLatestCheckpoint(config.outDir);
  if (ckpt === undefined) return 0;
  for (const s of ckpt.skipped) config.onEvent?.(`skipped unusable checkpoint ${s.file}: ${s.reason}`);
  if (!config.resume) {
    throw new TrainError(`${config.outDir} already holds a run (checkpoint at step ${ckpt.step})\nhint: add --resume to continue it, or choose another --out`);
  }
  if (ckpt.meta.specHash !== hash) {
    throw new TrainError(`cannot resume ${config.outDir}: its spec hash ${ckpt.meta.specHash.slice(0, 12)} differs from this spec's ${hash.slice(0, 12)}\nhint: resume with the same spec and --set options, or choose another --out`);
  }
  const vars = compiled.variables();
  for (const [name, v] of Object.entries(vars)) {
    const saved = ckpt.weights[name];
    if (saved === undefined) throw new TrainError(`checkpoint ${ckpt.file} has no tensor "${name}"`);
    const t = toTensor(saved);
    v.assign(t);
    t.dispose();
  }
  const opt = Object.fromEntries(Object.entries(ckpt.optimizer).map(([k, t]) => [k, toTensor(t)]));
  compiled.loadOptimizerState(opt);
  Object.values(opt).forEach((t) => t.dispose());
  config.onEvent?.(`resumed from ${ckpt.file} at step ${ckpt.step}`);
  return ckpt.step;
};

/** Keeps the metrics lines of steps before `step` (a resumed run rewrites what came after its checkpoint). */
const truncateMetrics = async (file: string, step: number): Promise<void> => {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return;
  }
  const kept = text.split('\n').filter((line) => line.trim() !== '' && (JSON.parse(line) as { step: number }).step < step);
  await writeFile(file, kept.map((l) => `${l}\n`).join(''));
};

const metricsLine = (m: StepMetrics, stepMs: number): string =>
  `${JSON.stringify({ step: m.step, phase: m.phase, loss: m.loss, ...m.terms, lr: m.lr, ema: m.ema, ms: Math.round(stepMs * 10) / 10 })}\n`;

/** Trains `config.method` on `config.dataset`. */
export const train = async (config: TrainConfig): Promise<TrainResult> => {
  const compiled = await compile(config.method, { backend: config.backend });
  const hash = specHash(config.method);
  await mkdir(config.outDir, { recursive: true });
  await writeFile(join(config.outDir, 'spec.json'), `${JSON.stringify(config.method, null, 2)}\n`);
  await writeFile(join(config.outDir, 'spec.sha256'), `${hash}\n`);
  compiled.init(config.seed);
  const startStep = await restore(config, compiled, hash);
  const metricsFile = join(config.outDir, 'metrics.jsonl');
  if (config.resume) await truncateMetrics(metricsFile, startStep);
  else await writeFile(metricsFile, '');
  const batch = config.method.training.batch;
  const stream = batchStream(config.dataset, batch, config.seed, startStep);
  let last: StepMetrics | undefined;
  let step = startStep;
  try {
    for (; step < config.steps; step++) {
      if (config.shouldStop?.() === true) break;
      const images = (await stream.next()).value as tf.Tensor4D;
      const t0 = performance.now();
      const m = compiled.step(images, { step, totalSteps: config.steps });
      const stepMs = performance.now() - t0;
      images.dispose();
      if (!Number.isFinite(m.loss)) {
        throw new TrainError(`loss became ${m.loss} at step ${step} (${JSON.stringify(m.terms)}); the last checkpoint is kept\nhint: lower the learning rate or check the loss weights`);
      }
      await appendFile(metricsFile, metricsLine(m, stepMs));
      config.onStep?.(m, { totalSteps: config.steps, stepMs });
      last = m;
      if ((step + 1) % config.checkpointEvery === 0 && step + 1 < config.steps) await saveState(config, compiled, step + 1, hash);
    }
  } finally {
    await stream.return(undefined);
  }
  if (step > startStep) await saveState(config, compiled, step, hash);
  return { compiled, startStep, endStep: step, lastMetrics: last, specHash: hash };
};
