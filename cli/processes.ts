/**
 * `tessera check --processes N`: what one process of a data-parallel run (torch target, DDP)
 * holds. Every process keeps all parameters, buffers and optimizer state, plus DDP's gradient
 * buckets (a second copy of the trainable gradients with `gradient_as_bucket_view` off, torch's
 * default), and runs the step on `batch / N` images: its working set is the memory pass's at that
 * batch. FLOPs per process likewise.
 */
import * as E from 'fp-ts/lib/Either.js';
import { checkMethod } from '../compiler/check.js';
import type { Method } from '../compiler/ir/node.js';
import { cse } from '../compiler/passes/cse.js';
import { memoryPlanning } from '../compiler/passes/memory.js';
import { checkingPasses } from '../compiler/passes/pipeline.js';
import { showFlops } from '../compiler/ir/printer.js';
import { countParams, stepFlops } from '../compiler/passes/shapes/index.js';

/** One process's share of a step. */
export interface PerProcess {
  readonly processes: number;
  readonly batch: number;
  readonly parameters: number;
  readonly optimizerState: number;
  readonly ddpBuckets: number;
  readonly workingSet: number;
  readonly peakBytes: number;
  readonly trainingFlops: number;
}

const BYTES = 4;

/** The per-process plan of `method` on `n` processes, or an error line (the batch does not split). */
export const perProcess = (method: Method, n: number): PerProcess | string => {
  const { batch } = method.training;
  if (!Number.isInteger(n) || n < 1) return `--processes must be a positive integer, got ${n}`;
  if (batch % n !== 0)
    return `the global batch ${batch} does not split over ${n} processes\nhint: a process count that divides ${batch}`;
  const local: Method = { ...method, training: { ...method.training, batch: batch / n } };
  const checked = checkMethod(local, { passes: [...checkingPasses, cse, memoryPlanning] });
  if (E.isLeft(checked) || checked.right.memory === undefined)
    return `the spec does not check at batch ${batch / n}`;
  const g = checked.right;
  const optimized = new Set(method.objectives.flatMap((o) => o.params));
  const trainable = g.modules
    .filter((m) => optimized.has(m.decl.name))
    .reduce((s, m) => s + (m.params === undefined ? 0 : countParams(m.params).trainable), 0);
  const mem = g.memory!;
  const workingSet = Math.max(0, ...mem.objectives.map((o) => o.workingSet));
  const ddpBuckets = trainable * BYTES;
  return {
    processes: n,
    batch: batch / n,
    parameters: mem.parameters,
    optimizerState: mem.optimizerState,
    ddpBuckets,
    workingSet,
    peakBytes: mem.peakBytes + ddpBuckets,
    trainingFlops: stepFlops(g).training,
  };
};

const gb = (b: number): string =>
  b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${(b / 1e6).toFixed(1)} MB`;

/** The lines `check` prints. */
export const showPerProcess = (p: PerProcess): string =>
  [
    `per process on ${p.processes} processes (DDP, ${p.batch} images each): predicted peak ${gb(p.peakBytes)}`,
    `  = parameters ${gb(p.parameters)} + optimizer state ${gb(p.optimizerState)} + DDP gradient buckets ${gb(p.ddpBuckets)} + working set ${gb(p.workingSet)}`,
    `  FLOPs per process per step ~${showFlops(p.trainingFlops)} (forward + backward)`,
    '',
  ].join('\n');
