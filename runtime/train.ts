/**
 * The training loop: compile, (re)start from the last checkpoint, step through the data, log every
 * step to `metrics.jsonl`, checkpoint every K steps and at the end. A crash or Ctrl-C never
 * leaves a half-written checkpoint (writes are atomic). A step whose weighted loss or updated state
 * (weights, optimizer state, EMA, loss queues) is not finite is rolled back and logged as skipped
 * (`finiteGuard.ts`); `maxNonFinite` of them in a row stop the run, naming the step and the terms.
 * Only finite checkpoints are ever written, so every kept checkpoint is a good one.
 *
 * Determinism: the randomness of step `s` derives from `(seed, s)` only (views, masks: the
 * compiled step forks `step:s`; data order: `dataOrder.ts`, epoch `e` shuffled by `(seed, e)`,
 * pseudo-domain folds split by `seed`), so a run
 * resumed from a checkpoint at step `s` follows the trajectory of an uninterrupted run: the
 * checkpoint holds the optimizer state, the InfoNCE key queues and the `Memory` contents.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isChecked, type CheckedGraph } from '../compiler/check.js';
import { compile } from './compile.js';
import type { CompiledMethod, StepMetrics } from './compiled.js';
import type { Method } from '../compiler/ir/node.js';
import type { Dataset } from './dataset.js';
import type { BackendName } from './backend.js';
import { saveCheckpoint, specHash, toTensor, type LoadedCheckpoint } from './checkpoint/index.js';
import { describeFsError, makeFolder } from './fsErrors.js';
import { guardedStep, skippedLine, type NonFinite } from './finiteGuard.js';
import { initModules, type ModuleInit } from './init.js';
import { loadWeights } from './restore.js';
import { Rng } from '../compiler/ir/rng.js';
import {
  dataOrderOf,
  disposeStepBatch,
  pairedOf,
  stepBatches,
  stepsPerEpoch,
  type StepBatch,
} from './dataOrder.js';
import { checkFreshRun, checkpointToResume, tidyForResume } from './runFolder.js';
import { availableBytes, machineBytes, memoryFit } from './memoryBudget.js';

/** Everything a run needs. */
export interface TrainConfig {
  /**
   * The fully resolved spec; `training.batch` is the batch size, `config.steps` the run length. Or
   * its checked graph (`checkMethod`), which is then not checked again.
   */
  readonly method: Method | CheckedGraph;
  readonly dataset: Dataset;
  /** Total optimisation steps of the run (schedules run from 0 to this); 0 saves the initial weights as a step-0 checkpoint. */
  readonly steps: number;
  readonly seed: number;
  readonly backend: BackendName;
  /** The run folder: `spec.json`, `spec.sha256`, `metrics.jsonl`, `checkpoints/`. */
  readonly outDir: string;
  /** Save a checkpoint every this many steps (and always at the end). */
  readonly checkpointEvery: number;
  /** Continue from the last checkpoint in `outDir` (refused if the spec changed). */
  readonly resume: boolean;
  /** Modules to start from a weights file (`--init MODULE=FILE`), applied to a fresh run only (a resumed run has its checkpoint). */
  readonly init?: ReadonlyArray<ModuleInit>;
  /** `method` already compiled (and possibly wrapped, e.g. by tests); default: `compile(method, { backend })`. */
  readonly compiled?: CompiledMethod;
  /** Called after every step with its metrics and timing. */
  readonly onStep?: (m: StepMetrics, info: StepInfo) => void;
  /** Called when something worth telling happens (resumed, checkpoint saved...). */
  readonly onEvent?: (message: string) => void;
  /** Called once the run is accepted (resume checked, `spec.json` written), before the first step, with the spec hash. */
  readonly onStart?: (specHash: string) => Promise<void>;
  /** Stop cleanly (checkpoint, then return) when this becomes true; checked before every step. */
  readonly shouldStop?: () => boolean;
  /** Stop the run (`TrainError`) after this many non-finite (skipped) steps in a row. Default `DEFAULT_MAX_NON_FINITE`. */
  readonly maxNonFinite?: number;
  /** Online evaluation: measured before the first step and after every `every` steps (and the last). */
  readonly evaluate?: OnlineEvaluation;
}

/**
 * An online evaluation hook (the runtime does not know what is measured; `eval/online.ts` makes
 * one). Its values go to `metrics.jsonl` as a line `{ "step": s, ...values, "time": seconds }`,
 * where `s` is the number of optimisation steps done (0: the untrained weights).
 */
export interface OnlineEvaluation {
  readonly every: number;
  readonly measure: (compiled: CompiledMethod) => Promise<Readonly<Record<string, number>>>;
  /** Called with each measurement, e.g. to print it. */
  readonly onResult?: (
    step: number,
    values: Readonly<Record<string, number>>,
    seconds: number,
  ) => void;
}

/** A run's config with the spec itself (a checked graph's `method`). */
type Run = TrainConfig & { readonly method: Method };

/** Non-finite steps in a row that stop a run, unless `TrainConfig.maxNonFinite` says otherwise. */
export const DEFAULT_MAX_NON_FINITE = 5;

/** Timing of one step, for progress displays. */
export interface StepInfo {
  readonly totalSteps: number;
  /** Milliseconds of the compiled step alone. */
  readonly stepMs: number;
  /** Seconds since this process started training (resumed runs count from the resume). */
  readonly elapsed: number;
  /** Steps done by this process so far. */
  readonly done: number;
}

/** What a finished (or stopped) run returns. */
export interface TrainResult {
  readonly compiled: CompiledMethod;
  readonly startStep: number;
  readonly endStep: number;
  readonly lastMetrics: StepMetrics | undefined;
  readonly specHash: string;
  /** True when `shouldStop` ended the run before `steps`. */
  readonly stopped: boolean;
  /** Steps skipped (rolled back) because they were not finite. */
  readonly skipped: number;
}

/** A training run that cannot start or has to stop; the message says why and what to do. */
export class TrainError extends Error {
  override readonly name = 'TrainError';
}

const saveState = async (
  config: Run,
  compiled: CompiledMethod,
  step: number,
  hash: string,
): Promise<void> => {
  await saveCheckpoint(config.outDir, {
    step,
    weights: compiled.variables(),
    optimizer: compiled.optimizerState(),
    meta: {
      specHash: hash,
      seed: config.seed,
      rng: Rng.seeded(config.seed).state(),
      step,
      backend: config.backend,
      totalSteps: config.steps,
    },
  });
  config.onEvent?.(`checkpoint saved at step ${step}`);
};

/**
 * Refuses an existing run without `resume`, a `resume` without a loadable checkpoint, or one with
 * another spec or seed; returns the checkpoint to resume (if any), after tidying its folder.
 */
const checkResume = async (config: Run, hash: string): Promise<LoadedCheckpoint | undefined> => {
  if (!config.resume) {
    await checkFreshRun(config.outDir);
    return undefined;
  }
  const ckpt = await checkpointToResume(config.outDir);
  for (const s of ckpt.skipped)
    config.onEvent?.(`skipped unusable checkpoint ${s.file}: ${s.reason}`);
  if (ckpt.meta.specHash !== hash) {
    throw new TrainError(
      `cannot resume ${config.outDir}: its spec hash ${ckpt.meta.specHash.slice(0, 12)} differs from this spec's ${hash.slice(0, 12)}\nhint: resume with the same spec, --set, --batch and --steps options (or none: --resume alone reuses the run's spec), or choose another --out`,
    );
  }
  if (ckpt.meta.seed !== config.seed) {
    throw new TrainError(
      `cannot resume ${config.outDir}: it was trained with seed ${ckpt.meta.seed}, not ${config.seed}\nhint: resume with --seed ${ckpt.meta.seed}`,
    );
  }
  for (const note of await tidyForResume(config.outDir, ckpt)) config.onEvent?.(note);
  return ckpt;
};

/** Restores weights and optimizer state from `ckpt`; returns the step to continue from. */
const restore = (config: Run, compiled: CompiledMethod, ckpt: LoadedCheckpoint): number => {
  loadWeights(compiled, ckpt.weights, ckpt.file);
  const opt = Object.fromEntries(Object.entries(ckpt.optimizer).map(([k, t]) => [k, toTensor(t)]));
  compiled.loadOptimizerState(opt);
  Object.values(opt).forEach((t) => t.dispose());
  config.onEvent?.(`resumed from ${ckpt.file} at step ${ckpt.step}`);
  return ckpt.step;
};

/** Keeps the metrics lines of steps before `step` (a resumed run rewrites what came after its checkpoint); drops malformed lines. */
const truncateMetrics = async (file: string, step: number): Promise<void> => {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return;
  }
  const before = (line: string): boolean => {
    try {
      const s = (JSON.parse(line) as { step?: unknown }).step;
      return typeof s === 'number' && s < step;
    } catch {
      return false;
    }
  };
  await writeFile(
    file,
    text
      .split('\n')
      .filter(before)
      .map((l) => `${l}\n`)
      .join(''),
  );
};

/**
 * Stable schedule keys for a method: `lr` when it has one objective, else `lr/<objective>`;
 * `ema` when every EMA module follows the same momentum schedule, else `ema/<module>`.
 */
const scheduleNames = (
  method: Method,
): { readonly lr: (name: string) => string; readonly ema: (name: string) => string } => {
  const emas = method.modules.flatMap((d) => (d.ema ? [JSON.stringify(d.ema.momentum)] : []));
  const oneLr = method.objectives.length <= 1;
  const oneEma = new Set(emas).size <= 1;
  return { lr: (n) => (oneLr ? 'lr' : `lr/${n}`), ema: (n) => (oneEma ? 'ema' : `ema/${n}`) };
};

/**
 * One `metrics.jsonl` line (format: eval/report/README.md): `step`, `loss` (total), `loss/<term>`
 * per loss term that ran, `lr` (or `lr/<objective>`), `ema` (or `ema/<module>`), `phase` when
 * phased, `time` (seconds of the step) and `elapsed` (seconds since the process started training).
 */
export const metricsLine = (
  method: Method,
  m: StepMetrics,
  stepMs: number,
  elapsed: number,
): string => {
  const names = scheduleNames(method);
  const rename = (
    values: Readonly<Record<string, number>>,
    key: (n: string) => string,
  ): Record<string, number> =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [key(k), v]));
  const terms = Object.fromEntries(Object.entries(m.terms).map(([k, v]) => [`loss/${k}`, v]));
  const record = {
    step: m.step,
    loss: m.loss,
    ...terms,
    ...rename(m.lr, names.lr),
    ...rename(m.ema, names.ema),
    ...(m.phase !== undefined ? { phase: m.phase } : {}),
    time: Math.round(stepMs) / 1000,
    elapsed: Math.round(elapsed * 100) / 100,
  };
  return `${JSON.stringify(record)}\n`;
};

/** The error that stops a run after `count` non-finite steps in a row. */
const nonFiniteStop = (n: NonFinite, count: number, outDir: string): TrainError => {
  const terms = Object.entries(n.terms)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const what =
    n.what.length > 6 ? [...n.what.slice(0, 6), `... (${n.what.length} in all)`] : n.what;
  return new TrainError(
    `training stopped: ${count} non-finite step(s) in a row, the last at step ${n.step}: weighted loss ${n.weighted}; terms ${terms || '(none)'}; non-finite: ${what.join(', ')}\n` +
      `these steps were skipped (rolled back); the checkpoints in ${outDir} hold only finite values\n` +
      'hint: lower the learning rate or the loss weights (see metrics.jsonl for the skipped steps), then --resume',
  );
};

/** Runs the online evaluation after `done` steps and appends its line to `metrics.jsonl`. */
const evaluateOnline = async (
  e: OnlineEvaluation,
  compiled: CompiledMethod,
  done: number,
  metricsFile: string,
): Promise<void> => {
  const t = performance.now();
  const values = await e.measure(compiled);
  const seconds = (performance.now() - t) / 1000;
  await appendFile(
    metricsFile,
    `${JSON.stringify({ step: done, ...values, time: Math.round(seconds * 1000) / 1000 })}\n`,
  );
  e.onResult?.(done, values, seconds);
};

const checkConfig = (config: Run): void => {
  const batch = config.method.training.batch;
  if (!Number.isInteger(config.steps) || config.steps < 0)
    throw new TrainError(`steps must be an integer >= 0, got ${config.steps}`);
  if (!Number.isInteger(config.checkpointEvery) || config.checkpointEvery < 1)
    throw new TrainError(
      `checkpoint interval must be a positive integer, got ${config.checkpointEvery}`,
    );
  const every = config.evaluate?.every ?? 1;
  if (!Number.isInteger(every) || every < 1)
    throw new TrainError(`online evaluation interval must be a positive integer, got ${every}`);
  const folds = config.method.training.folds;
  if (stepsPerEpoch(config.dataset.size, batch, folds) < 1) {
    const where = folds === undefined ? '' : ` per fold (${folds.k} pseudo-domain folds)`;
    throw new TrainError(
      `dataset "${config.dataset.name}" has ${config.dataset.size} images, fewer than one batch of ${batch}${where}\nhint: lower --batch or add images`,
    );
  }
};

/** Refuses a step predicted not to fit the backend or the machine (`memoryBudget.ts`); warns when memory is short now. */
const checkMemory = (config: Run, compiled: CompiledMethod): void => {
  const plan = compiled.graph.memory;
  if (plan === undefined) return;
  const fit = memoryFit({
    plan,
    backend: config.backend,
    batch: config.method.training.batch,
    imageSize: config.method.input.size,
    streams: config.method.training.folds === undefined ? 1 : 2,
    totalBytes: machineBytes(),
    freeBytes: availableBytes(),
  });
  if (fit.refuse !== undefined) {
    if (config.compiled === undefined) compiled.dispose();
    throw new TrainError(fit.refuse);
  }
  if (fit.warn !== undefined) config.onEvent?.(fit.warn);
};

/**
 * Trains `config.method` on `config.dataset`. Throws `TrainError` (file-system errors included, with
 * the path and a hint), `RunFolderError`, `CheckpointError` and the checker's `CheckError`.
 */
export const train = async (config: TrainConfig): Promise<TrainResult> => {
  try {
    return await trainChecked(config);
  } catch (e) {
    const fs = describeFsError(e, config.outDir);
    throw fs === undefined ? e : new TrainError(fs);
  }
};

const trainChecked = async (given: TrainConfig): Promise<TrainResult> => {
  const config: Run = {
    ...given,
    method: isChecked(given.method) ? given.method.method : given.method,
  };
  checkConfig(config);
  const hash = specHash(config.method);
  const ckpt = await checkResume(config, hash);
  // a checked graph is compiled as it is (not decoded and checked again)
  const compiled = config.compiled ?? (await compile(given.method, { backend: config.backend }));
  checkMemory(config, compiled);
  await makeFolder(config.outDir);
  await writeFile(join(config.outDir, 'spec.json'), `${JSON.stringify(config.method, null, 2)}\n`);
  await writeFile(join(config.outDir, 'spec.sha256'), `${hash}\n`);
  await config.onStart?.(hash);
  compiled.init(config.seed);
  if (ckpt === undefined && config.init !== undefined && config.init.length > 0) {
    await initModules(compiled, config.init);
    config.onEvent?.(
      `initialised ${config.init.map((i) => `${i.module} from ${i.file}`).join(', ')}`,
    );
  }
  const startStep = ckpt === undefined ? 0 : restore(config, compiled, ckpt);
  const metricsFile = join(config.outDir, 'metrics.jsonl');
  if (ckpt !== undefined) await truncateMetrics(metricsFile, startStep);
  else await writeFile(metricsFile, '');
  const stream = stepBatches(
    dataOrderOf(config.dataset, config.method.training, config.seed),
    startStep,
  );
  const online = config.evaluate;
  if (online !== undefined && (startStep < config.steps || ckpt === undefined))
    await evaluateOnline(online, compiled, startStep, metricsFile);
  const t0 = performance.now();
  let last: StepMetrics | undefined;
  let step = startStep;
  let stopped = false;
  let [inARow, skipped] = [0, 0];
  const maxNonFinite = config.maxNonFinite ?? DEFAULT_MAX_NON_FINITE;
  try {
    for (; step < config.steps; step++) {
      if (config.shouldStop?.() === true) {
        stopped = true;
        break;
      }
      const data = (await stream.next()).value as StepBatch;
      const ts = performance.now();
      let r: ReturnType<typeof guardedStep>;
      try {
        r = guardedStep(compiled, data.images, { step, totalSteps: config.steps }, pairedOf(data));
      } finally {
        disposeStepBatch(data);
      }
      const stepMs = performance.now() - ts;
      const elapsed = (performance.now() - t0) / 1000;
      if (r.nonFinite !== undefined) {
        inARow++;
        skipped++;
        await appendFile(metricsFile, skippedLine(r.nonFinite, inARow, skipped));
        config.onEvent?.(
          `step ${step} skipped: non-finite ${r.nonFinite.what.slice(0, 4).join(', ')}`,
        );
        if (inARow >= maxNonFinite) throw nonFiniteStop(r.nonFinite, inARow, config.outDir);
      } else {
        inARow = 0;
        await appendFile(metricsFile, metricsLine(config.method, r.metrics, stepMs, elapsed));
        config.onStep?.(r.metrics, {
          totalSteps: config.steps,
          stepMs,
          elapsed,
          done: step + 1 - startStep,
        });
        last = r.metrics;
        if (online !== undefined && ((step + 1) % online.every === 0 || step + 1 === config.steps))
          await evaluateOnline(online, compiled, step + 1, metricsFile);
      }
      if ((step + 1) % config.checkpointEvery === 0 && step + 1 < config.steps)
        await saveState(config, compiled, step + 1, hash);
    }
  } finally {
    await stream.return(undefined);
  }
  // a 0-step run saves its initial weights: the untrained encoder can be evaluated and exported
  if (step > startStep || (ckpt === undefined && config.steps === 0))
    await saveState(config, compiled, step, hash);
  return {
    compiled,
    startStep,
    endStep: step,
    lastMetrics: last,
    specHash: hash,
    stopped,
    skipped,
  };
};
