/**
 * `tessera train`: train a method (a library method, a spec file, or MoCo v3 by default) on
 * an image folder or the built-in appearance data, with checkpoints, resume, `--set` ablations
 * and progress. With no options at all it is the README's main job: MoCo v3's `tiny` preset
 * on the built-in data for a few minutes, then `tessera eval` of the result. The training and
 * evaluation modules (TF.js) load when the command runs, not with the CLI.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { CheckError, withTrainingSteps } from '../../compiler/check.js';
import type { Dataset } from '../../data/dataset.js';
import { BACKENDS, type BackendName } from '../../runtime/backendName.js';
import { readRunInfo, readRunSpec, writeRunInfo, type RunInfo } from '../../runtime/runInfo.js';
import type { TrainResult } from '../../runtime/train.js';
import type { Command, Io } from '../command.js';
import { parseOverride, type Override } from '../overrides.js';
import { formatDuration, makeProgress } from '../progress.js';
import {
  BUILTIN,
  openEvalData,
  openTrainingData,
  parseDataSource,
  type DataSource,
} from '../runData.js';
import { describeFsError } from '../../runtime/fsErrors.js';
import { stepsPerEpoch } from '../../runtime/dataOrder.js';
import { parseIntOption, RANGES, type IntRange } from '../numbers.js';
import { defaultRunFolder } from '../runName.js';
import {
  datasetWarnings,
  progressNote,
  skippedImages,
  skippedText,
  UNREADABLE_FILE,
  writeSkipped,
} from '../skippedImages.js';
import { methodNames } from '../../library/index.js';
import { DEFAULT_METHOD, resolveSpec, type SpecRequest } from '../trainSpec.js';
import { parseInits } from '../initOption.js';

/**
 * Steps of the main job (`tessera train` with no options): MoCo v3 `tiny` (the tiny ResNet, batch
 * 32) runs at ~0.59 s per step on the 2-core machine (wasm, one thread; session 8's kernels), so
 * 450 steps (its schedules compressed to them) plus the online and final evaluations keep the job
 * under 5 minutes (4 min 30 s - 4 min 35 s measured). Measured (README "Training, evaluating,
 * exporting"): content linear probe +22.2 to +29.0 points over the untrained encoder over 3 seeds.
 */
export const MAIN_JOB_STEPS = 450;

/** Default `--eval-every`: online kNN every this many steps (and before the first). */
export const ONLINE_EVERY = 100;

/** Default `--eval-samples`: held-out images the online kNN keeps (half memory, half scored). */
export const ONLINE_SAMPLES = 512;

const usage = `usage: tessera train [--method NAME | --spec FILE] [--preset tiny|paper] [--data DIR | --data builtin:appearance[:N]]
                     [--steps N | --epochs E] [--batch B] [--backend wasm|cpu|tensorflow] [--seed K]
                     [--out DIR] [--resume] [--set PATH=VALUE ...] [--checkpoint-every K] [--eval-every K] [--eval-samples N] [--eval]
                     [--init MODULE=FILE.safetensors ...] [--init-map MODULE=MAP.json ...]
  no options: train ${DEFAULT_METHOD} (tiny preset) on the built-in appearance data for ${MAIN_JOB_STEPS} steps, then evaluate it
  --method NAME        a library method (${methodNames.join(', ')}); default ${DEFAULT_METHOD}
  --spec FILE          a .json spec or a .ts module exporting a method
  --preset P           library preset, default tiny
  --data SRC           an image folder (class subfolders optional) or builtin:appearance[:N] (default, N = 2520)
  --steps N            run length (default: the spec's training.steps); --epochs E = E passes over the data
                       (over one fold with training.folds); --steps 0 saves the untrained weights (evaluate or export the untrained encoder)
  --batch B            batch size (default: the spec's training.batch)
  --backend B          wasm (default), cpu, tensorflow (needs @tensorflow/tfjs-node-gpu or -node)
  --seed K             seed of weights, views and data order (default 0)
  --out DIR            run folder (default runs/<method>-<time>)
  --resume             continue the run in --out from its last checkpoint; alone, reuses that run's spec and options
  --set PATH=VALUE     override any spec option (repeatable): a number, JSON, or a whole loss term as JSON
                       e.g. --set objectives.0.terms.0.loss.temperature=0.1
  --checkpoint-every K checkpoint every K steps (default 50) and at the end
  --eval-every K       online kNN of every representation on held-out labelled images before training
                       and every K steps (default ${ONLINE_EVERY}; 0: off); in metrics.jsonl, progress and report
  --eval-samples N     held-out images of the online kNN (default ${ONLINE_SAMPLES}: half memory, half scored)
  --eval               evaluate (tessera eval) after training, next to the same probes of the untrained
                       encoder with the gain in points (default with no options)
  --max-non-finite K   stop after K non-finite steps in a row (default 5); each is skipped (rolled back) and logged
  --init MODULE=FILE   start MODULE (and its EMA followers) from a .safetensors file, e.g. a tessera export
                       (repeatable); every missing, extra or mis-shaped tensor is reported
  --init-map MODULE=MAP.json  rename the file's tensors for MODULE: { "filePrefix/": "paramPathPrefix" }
  Unreadable images of a folder (corrupt, cut short) are skipped: counted on the progress line,
  listed at the end and in DIR/${UNREADABLE_FILE}.
  Ctrl-C finishes the current step, saves a checkpoint and exits; --resume continues.
  exit 0: trained; 1: invalid spec, data or run folder, or training failed; 2: usage`;

interface Options {
  readonly method?: string | undefined;
  readonly spec?: string | undefined;
  readonly preset?: string | undefined;
  readonly data?: string | undefined;
  readonly steps?: string | undefined;
  readonly epochs?: string | undefined;
  readonly batch?: string | undefined;
  readonly backend?: string | undefined;
  readonly seed?: string | undefined;
  readonly out?: string | undefined;
  readonly resume?: boolean | undefined;
  readonly set?: string[] | undefined;
  readonly 'checkpoint-every'?: string | undefined;
  readonly 'eval-every'?: string | undefined;
  readonly 'eval-samples'?: string | undefined;
  readonly eval?: boolean | undefined;
  readonly init?: string[] | undefined;
  readonly 'init-map'?: string[] | undefined;
  readonly 'max-non-finite'?: string | undefined;
}

const OPTIONS = {
  method: { type: 'string' },
  spec: { type: 'string' },
  preset: { type: 'string' },
  data: { type: 'string' },
  steps: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  backend: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'boolean' },
  set: { type: 'string', multiple: true },
  'checkpoint-every': { type: 'string' },
  'eval-every': { type: 'string' },
  'eval-samples': { type: 'string' },
  eval: { type: 'boolean' },
  'max-non-finite': { type: 'string' },
  init: { type: 'string', multiple: true },
  'init-map': { type: 'string', multiple: true },
} as const;

/** A usage error: message and exit code 2. */
class UsageError extends Error {}

const int = (name: string, value: string | undefined, range: IntRange): number | undefined => {
  if (value === undefined) return undefined;
  const n = parseIntOption(name, value, range);
  if (typeof n === 'string') throw new UsageError(n);
  return n;
};

const backendOf = (value: string | undefined): BackendName | undefined => {
  if (value === undefined) return undefined;
  if (!(BACKENDS as ReadonlyArray<string>).includes(value))
    throw new UsageError(`--backend ${value}: expected one of ${BACKENDS.join(', ')}`);
  return value as BackendName;
};

/** `--resume` alone (with `--out`): the run's own spec and options. */
const resumeOnly = (v: Options): boolean =>
  v.resume === true &&
  v.out !== undefined &&
  [v.method, v.spec, v.preset, v.steps, v.epochs, v.batch, v.set].every((x) => x === undefined);

/** Everything the command needs, from the options (and the run folder's files when resuming alone). */
const plan = async (v: Options) => {
  const overrides: Override[] = [];
  for (const s of v.set ?? []) {
    const o = parseOverride(s);
    if (E.isLeft(o)) throw new UsageError(o.left);
    overrides.push(o.right);
  }
  if (v.steps !== undefined && v.epochs !== undefined)
    throw new UsageError('give either --steps or --epochs, not both');
  if (v.resume === true && v.out === undefined)
    throw new UsageError('--resume needs --out DIR, the run folder to continue');
  const inits = await parseInits(v.init ?? [], v['init-map'] ?? []);
  if (typeof inits === 'string') throw new UsageError(inits);
  const previous: RunInfo | undefined = resumeOnly(v) ? await readRunInfo(v.out!) : undefined;
  const request: SpecRequest = previous
    ? { loaded: { spec: await readRunSpec(v.out!), name: previous.method }, overrides: [] }
    : {
        method: v.method,
        spec: v.spec,
        preset: v.preset,
        batch: int('batch', v.batch, RANGES.batch),
        overrides,
      };
  return {
    request,
    previous,
    inits,
    steps: previous?.steps ?? int('steps', v.steps, RANGES.steps),
    epochs: int('epochs', v.epochs, RANGES.epochs),
    seed: int('seed', v.seed, RANGES.seed) ?? previous?.seed ?? 0,
    backend: backendOf(v.backend) ?? previous?.backend ?? 'wasm',
    data: v.data ?? previous?.data ?? BUILTIN,
    checkpointEvery:
      int('checkpoint-every', v['checkpoint-every'], RANGES.checkpointEvery) ??
      previous?.checkpointEvery ??
      50,
    maxNonFinite: int('max-non-finite', v['max-non-finite'], RANGES.maxNonFinite),
    evalEvery: int('eval-every', v['eval-every'], RANGES.evalEvery) ?? previous?.evalEvery,
    evalSamples:
      int('eval-samples', v['eval-samples'], RANGES.evalSamples) ??
      previous?.evalSamples ??
      ONLINE_SAMPLES,
  };
};

/**
 * Ctrl-C: the first asks the loop to stop after the current step (a checkpoint is saved); the
 * second quits now (`quit`, exit 130; the checkpoints on disk are whole: every write is atomic).
 * The handler stays installed until `release`: with a one-shot handler, two Ctrl-Cs pressed while
 * a step blocks the event loop were delivered together and the second was lost (issue 12).
 */
export const interruptible = (
  io: Io,
  quit: () => void = () => process.exit(130),
): { readonly stop: () => boolean; readonly release: () => void } => {
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    if (signals === 1)
      io.err(
        '\ninterrupted: finishing this step and saving a checkpoint (Ctrl-C again to quit now)\n',
      );
    else {
      io.err(
        '\ninterrupted again: quitting now; a checkpoint being written is abandoned (those already on disk are whole)\n',
      );
      quit();
    }
  };
  process.on('SIGINT', onSignal);
  return { stop: () => signals > 0, release: () => void process.off('SIGINT', onSignal) };
};

const summary = (r: TrainResult, out: string, seconds: number): string => {
  const done = r.endStep - r.startStep;
  const last = r.lastMetrics ? `, last loss ${r.lastMetrics.loss.toFixed(4)}` : '';
  if (r.endStep === 0 && !r.stopped)
    return `saved the untrained weights (step 0) in ${formatDuration(seconds)}\nrun folder: ${out}\nnext: tessera eval --run ${out}   tessera export --run ${out} --representation NAME\n`;
  if (done === 0 && !r.stopped)
    return `the run in ${out} is already complete (step ${r.endStep})\nnext: tessera eval --run ${out}   tessera report --run ${out}\n`;
  const skips = r.skipped > 0 ? ` (${r.skipped} non-finite steps skipped: see metrics.jsonl)` : '';
  const head =
    (r.stopped
      ? `stopped at step ${r.endStep} (checkpoint saved)`
      : `trained steps ${r.startStep}..${r.endStep}`) + skips;
  const next = r.stopped
    ? `continue: tessera train --out ${out} --resume`
    : `next: tessera eval --run ${out}   tessera report --run ${out}`;
  return `${head} in ${formatDuration(seconds)} (${(done / Math.max(seconds, 1e-9)).toFixed(2)} steps/s${last})\nrun folder: ${out}\n${next}\n`;
};

/** `online kNN, step 0 -> 300: content/content 16.3% -> 41.0% (+24.7 points)  ...`: what training changed. */
export const gainText = (
  first: readonly [number, Readonly<Record<string, number>>],
  last: readonly [number, Readonly<Record<string, number>>],
): string => {
  const parts = Object.entries(last[1]).flatMap(([k, v]) => {
    const v0 = first[1][k];
    if (v0 === undefined) return [];
    const d = 100 * (v - v0);
    return [
      `${k.replace(/^knn\//, '')} ${(100 * v0).toFixed(1)}% -> ${(100 * v).toFixed(1)}% (${d >= 0 ? '+' : ''}${d.toFixed(1)} points)`,
    ];
  });
  return `online kNN, step ${first[0]} -> ${last[0]}: ${parts.join('  ')}\n`;
};

const run = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  let values: Options;
  try {
    values = parseArgs({
      args: [...args],
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    io.err(`tessera train: ${(e as Error).message}\n${usage}\n`);
    return 2;
  }
  try {
    return await trainAndReport(values, args.length === 0, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tessera train: ${e.message}\n${usage}\n`);
      return 2;
    }
    io.err(
      e instanceof CheckError
        ? `${e.message}\n`
        : `tessera train: ${describeFsError(e) ?? (e as Error).message}\n`,
    );
    return 1;
  }
};

/**
 * The online kNN of a run: `--eval-every 0` turns it off; by default it is skipped (with a note)
 * when the data has no labels, while an explicit `--eval-every K` on unlabelled data is an error.
 */
const onlineEvaluation = async (
  source: DataSource,
  size: number,
  every: number | undefined,
  samples: number,
  io: Io,
) => {
  if (every === 0) return undefined;
  let held: Dataset;
  try {
    held = await openEvalData(source, size, samples);
  } catch (e) {
    if (every !== undefined) throw e;
    io.out('online kNN off: the data has no labels (class subfolders)\n');
    return undefined;
  }
  const { makeOnlineEval } = await import('../../eval/online.js');
  const evaluator = await makeOnlineEval(held, { samples });
  return { every: every ?? ONLINE_EVERY, evaluator, held };
};

const trainAndReport = async (v: Options, mainJob: boolean, io: Io): Promise<number> => {
  const p = await plan(v);
  const resolved = await resolveSpec(p.request);
  if (!resolved.ok) {
    io.err(
      resolved.code === 2
        ? `tessera train: ${resolved.message}\n`
        : `${resolved.message}\nnothing was trained: the spec must check first\n`,
    );
    return resolved.code;
  }
  const [{ train }, { useBackend, backendLabel }] = await Promise.all([
    import('../../runtime/train.js'),
    import('../../runtime/backend.js'),
  ]);
  const source = await parseDataSource(p.data);
  const dataset = await openTrainingData(source, resolved.method.input.size);
  const { batch, folds } = resolved.method.training;
  const perEpoch = stepsPerEpoch(dataset.size, batch, folds);
  const steps =
    p.steps ??
    (p.epochs !== undefined
      ? p.epochs * perEpoch
      : mainJob
        ? MAIN_JOB_STEPS
        : resolved.method.training.steps);
  // --steps 0 (the untrained encoder, to evaluate or export) keeps the spec's training.steps;
  // train takes the checked graph and does not check the spec again
  const checked = steps === 0 ? resolved.checked : withTrainingSteps(resolved.checked, steps);
  const method = checked.method;
  const out = v.out ?? defaultRunFolder(method.name, new Date());
  await useBackend(p.backend); // the online evaluator keeps its images as tensors of this backend
  io.out(
    `training "${method.name}" (${resolved.name}) on ${dataset.name}: ${steps} steps of batch ${batch}, backend ${backendLabel(p.backend)}, seed ${p.seed}\nrun folder: ${out}\n`,
  );
  const online = await onlineEvaluation(source, method.input.size, p.evalEvery, p.evalSamples, io);
  for (const w of datasetWarnings(dataset, online?.held)) io.err(`${w}\n`);
  const skipped = () => skippedImages(dataset, online?.held);
  const progress = makeProgress(io, Math.max(1, Math.round(steps / 20)), () =>
    progressNote(skipped()),
  );
  const signal = interruptible(io);
  let started = false;
  const measured: Array<readonly [number, Readonly<Record<string, number>>]> = [];
  const t0 = performance.now();
  let result: TrainResult;
  try {
    result = await train({
      method: checked,
      dataset,
      steps,
      seed: p.seed,
      backend: p.backend,
      outDir: out,
      checkpointEvery: p.checkpointEvery,
      init: p.inits,
      resume: v.resume === true,
      ...(p.maxNonFinite !== undefined ? { maxNonFinite: p.maxNonFinite } : {}),
      onStep: progress.step,
      onEvent: progress.event,
      shouldStop: signal.stop,
      ...(online === undefined
        ? {}
        : {
            evaluate: {
              every: online.every,
              measure: online.evaluator.measure,
              onResult: (d, values, sec) => (
                measured.push([d, values]),
                progress.online(d, values, sec)
              ),
            },
          }),
      onStart: async (specHash) => {
        started = true;
        await writeSkipped(out, skipped());
        await writeRunInfo(out, {
          version: 1,
          method: resolved.name,
          data: source.text,
          imageSize: method.input.size,
          datasetSize: dataset.size,
          seed: p.seed,
          steps,
          batch,
          backend: p.backend,
          checkpointEvery: p.checkpointEvery,
          evalEvery: online?.every ?? 0,
          evalSamples: p.evalSamples,
          specHash,
          createdAt: p.previous?.createdAt ?? new Date().toISOString(),
        });
      },
    });
  } finally {
    progress.end();
    signal.release();
    online?.evaluator.dispose();
    if (started) {
      await writeSkipped(out, skipped()).catch(() => undefined);
      io.err(skippedText(skipped(), join(out, UNREADABLE_FILE)));
    }
  }
  result.compiled.dispose();
  io.out(summary(result, out, (performance.now() - t0) / 1000));
  if (measured.length > 1) io.out(gainText(measured[0]!, measured[measured.length - 1]!));
  if (result.stopped || !(mainJob || v.eval === true)) return 0;
  io.out('evaluating frozen features (linear probe and kNN, 10% labels)...\n');
  const [{ evaluateRun }, { renderProbeTable, renderGainTable }] = await Promise.all([
    import('../evalRun.js'),
    import('../../eval/index.js'),
  ]);
  // the untrained encoder gets the same probes, so the table says what training added
  const evaluated = await evaluateRun(out, { backend: p.backend, untrained: steps > 0 });
  io.err(skippedText(evaluated.skipped, `${join(out, 'eval.json')} (unreadable)`));
  const table =
    evaluated.untrainedRows === undefined
      ? renderProbeTable(evaluated.rows)
      : renderGainTable(evaluated.untrainedRows, evaluated.rows);
  io.out(`${table}\nwrote ${join(out, 'eval.json')}; report: tessera report --run ${out}\n`);
  return 0;
};

/** The `train` command. */
export const trainCommand: Command = {
  name: 'train',
  summary: `train a method (default: ${DEFAULT_METHOD} tiny on built-in data, then evaluate)`,
  usage,
  run,
};
