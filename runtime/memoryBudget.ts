/**
 * Does a training step fit? Before the first step, the checker's predicted peak of a step (pass 8,
 * `compiler/passes/memory.ts`) plus the input batches in flight is compared with what the backend
 * can hold: the wasm backend's linear memory is at most 4 GiB (wasm32; TF.js's wasm binaries
 * declare 65536 pages), and every backend lives in the machine's memory. An over-large step is
 * refused with the numbers and the largest batch predicted to fit, instead of aborting inside
 * wasm a minute later (`Aborted(). Build with -sASSERTIONS`). A step that fits the limit but not
 * the memory free right now gets a warning.
 */
import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import type { MemoryPlan } from '../compiler/ir/graph.js';
import type { BackendName } from './backendName.js';

/** The wasm backend's largest heap: 65536 pages of 64 KiB (wasm32). */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/** Batches of images alive at once in the training loop: the one stepped on and two prefetched. */
export const BATCHES_IN_FLIGHT = 3;

/** What a step needs and what the machine has. */
export interface MemoryFitInput {
  readonly plan: MemoryPlan;
  readonly backend: BackendName;
  readonly batch: number;
  /** Input side in pixels. */
  readonly imageSize: number;
  /** Image streams a step reads: 2 with pseudo-domain folds (images and the paired batch). Default 1. */
  readonly streams?: number;
  /** `os.totalmem()`. */
  readonly totalBytes: number;
  /** `os.freemem()` (or available memory). */
  readonly freeBytes: number;
}

/** The verdict: `refuse` (an error message with a hint) or `warn` (a line), or neither. */
export interface MemoryFit {
  /** Predicted bytes of a step with its input batches. */
  readonly neededBytes: number;
  readonly refuse?: string;
  readonly warn?: string;
}

/** Bytes as `6.3 GiB` / `377 MiB`. */
export const showGiB = (bytes: number): string =>
  bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;

/** Bytes of a step that do not grow with the batch: weights, optimizer moments, gradients. */
const fixedBytes = (plan: MemoryPlan): number =>
  plan.parameters + plan.optimizerState + Math.max(0, ...plan.objectives.map((o) => o.gradients));

/** The largest batch whose predicted bytes stay under `limit` (the step is affine in the batch). */
export const largestBatch = (
  needed: number,
  fixed: number,
  batch: number,
  limit: number,
): number => {
  const perImage = (needed - fixed) / batch;
  return perImage > 0 ? Math.max(0, Math.floor((limit - fixed) / perImage)) : batch;
};

/** Whether a step of `input.plan` fits the backend and the machine (see the module doc). */
export const memoryFit = (input: MemoryFitInput): MemoryFit => {
  const batches = BATCHES_IN_FLIGHT * (input.streams ?? 1);
  const images = batches * input.batch * input.imageSize ** 2 * 3 * 4;
  const needed = input.plan.peakBytes + images;
  const limits: ReadonlyArray<readonly [number, string, string]> = [
    ...(input.backend === 'wasm'
      ? [
          [
            WASM_HEAP_BYTES,
            'the wasm heap can hold (4 GiB)',
            '--backend tensorflow (no 4 GiB limit) if installed',
          ] as const,
        ]
      : []),
    [input.totalBytes, `this machine has (${showGiB(input.totalBytes)})`, 'a larger machine'],
  ];
  for (const [limit, what, instead] of limits) {
    if (needed <= limit) continue;
    const fits = largestBatch(needed, fixedBytes(input.plan), input.batch, limit);
    const lower =
      fits >= 1
        ? `lower --batch to ${fits} or less (the largest predicted to fit)`
        : 'the weights alone do not fit: a smaller model (--preset tiny, --set ...)';
    return {
      neededBytes: needed,
      refuse: `a training step of batch ${input.batch} needs about ${showGiB(needed)} (predicted peak ${showGiB(input.plan.peakBytes)} + ${batches} input batches ${showGiB(images)}), more than ${what}\nhint: ${lower}, or ${instead}; tessera check prints the predicted peak`,
    };
  }
  if (needed > input.freeBytes)
    return {
      neededBytes: needed,
      warn: `warning: a training step needs about ${showGiB(needed)}, more than the ${showGiB(input.freeBytes)} free now: the machine may swap or the run be killed`,
    };
  return { neededBytes: needed };
};

/** Memory available now: `MemAvailable` of `/proc/meminfo` (page cache counts as free), else `os.freemem()`. */
export const availableBytes = (): number => {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m !== null) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall back
  }
  return freemem();
};

/** The machine's memory, `os.totalmem()`. */
export const machineBytes = (): number => totalmem();
