/**
 * Issue 12, item 4: a step predicted not to fit the wasm heap (4 GiB) or the machine is refused
 * before training, with the numbers and the largest batch that fits; one that fits the limits but
 * not the memory free now is a warning.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MemoryPlan } from '../../compiler/ir/graph.js';
import { stStorm } from '../../library/stStorm.js';
import type { Dataset } from '../../runtime/dataset.js';
import { largestBatch, memoryFit, showGiB, WASM_HEAP_BYTES } from '../../runtime/memoryBudget.js';
import { train, TrainError } from '../../runtime/train.js';

const GiB = 2 ** 30;

/** A plan whose batch-dependent part is `perImage` bytes per image at `batch`. */
const plan = (batch: number, perImage: number, fixed = 0.1 * GiB): MemoryPlan => ({
  peakBytes: fixed + batch * perImage,
  parameters: fixed / 4,
  optimizerState: fixed / 2,
  objectives: [
    {
      objective: 'o',
      constants: 0,
      activations: (batch * perImage) / 2,
      gradients: fixed / 4,
      workingSet: fixed / 4 + batch * perImage,
    },
  ],
  lifetimes: [],
});

const machine = { totalBytes: 128 * GiB, freeBytes: 100 * GiB, imageSize: 32 };

describe('memoryFit', () => {
  it('passes a step that fits', () => {
    const fit = memoryFit({ plan: plan(32, 2 ** 20), backend: 'wasm', batch: 32, ...machine });
    expect(fit.refuse).toBeUndefined();
    expect(fit.warn).toBeUndefined();
    // peak + 3 input batches of 32 x 32 x 32 x 3 float32
    expect(fit.neededBytes).toBe(0.1 * GiB + 32 * 2 ** 20 + 3 * 32 * 32 * 32 * 3 * 4);
  });

  it('refuses more than the wasm heap, with the numbers and the largest batch predicted to fit', () => {
    const fit = memoryFit({
      plan: plan(2520, 2.5 * 2 ** 20),
      backend: 'wasm',
      batch: 2520,
      ...machine,
    });
    expect(fit.refuse).toMatch(
      /^a training step of batch 2520 needs about 6\.3 GiB \(predicted peak 6\.3 GiB \+ 3 input batches 89 MiB\), more than the wasm heap can hold \(4 GiB\)\nhint: lower --batch to (\d+) or less/,
    );
    const fits = Number(/lower --batch to (\d+)/.exec(fit.refuse!)![1]);
    const at = (b: number) =>
      memoryFit({ plan: plan(b, 2.5 * 2 ** 20), backend: 'wasm', batch: b, ...machine });
    expect(at(fits).refuse).toBeUndefined();
    expect(at(fits + 1).refuse).toBeDefined();
  });

  it('other backends: only the machine limits; the free memory gives a warning', () => {
    const p = plan(2520, 2.5 * 2 ** 20);
    expect(
      memoryFit({ plan: p, backend: 'tensorflow', batch: 2520, ...machine }).refuse,
    ).toBeUndefined();
    const small = { totalBytes: 4 * GiB, freeBytes: 2 * GiB, imageSize: 32 };
    expect(memoryFit({ plan: p, backend: 'cpu', batch: 2520, ...small }).refuse).toMatch(
      /more than this machine has \(4\.0 GiB\)\nhint: lower --batch to \d+ or less/,
    );
    const tight = { totalBytes: 16 * GiB, freeBytes: 2 * GiB, imageSize: 32 };
    expect(memoryFit({ plan: p, backend: 'cpu', batch: 2520, ...tight }).warn).toMatch(
      /^warning: a training step needs about 6\.3 GiB, more than the 2\.0 GiB free now/,
    );
  });

  it('weights alone over the limit: no batch fits, the hint says so', () => {
    const fit = memoryFit({
      plan: plan(8, 2 ** 20, 5 * GiB),
      backend: 'wasm',
      batch: 8,
      ...machine,
    });
    expect(fit.refuse).toMatch(/hint: the weights alone do not fit/);
    expect(largestBatch(10, 2, 4, 1)).toBe(0);
    expect(showGiB(WASM_HEAP_BYTES)).toBe('4.0 GiB');
  });
});

describe('train refuses before any step', () => {
  it('ST-STORM tiny at batch 2520 on wasm: TrainError with the numbers, no run folder written', async () => {
    const method = stStorm({ preset: 'tiny' });
    const big = { ...method, training: { ...method.training, batch: 2520 } };
    const dataset: Dataset = {
      name: 'fake',
      size: 2 * 2520, // one batch per pseudo-domain fold
      imageSize: method.input.size,
      classes: {},
      batches: () => {
        throw new Error('no batch may be read');
      },
      all: () => Promise.reject(new Error('no batch may be read')),
    };
    const outDir = join(mkdtempSync(join(tmpdir(), 'tessera-mem-')), 'run');
    const run = train({
      method: big,
      dataset,
      steps: 1,
      seed: 0,
      backend: 'wasm',
      outDir,
      checkpointEvery: 1,
      resume: false,
    });
    await expect(run).rejects.toThrow(TrainError);
    await expect(run).rejects.toThrow(
      /^a training step of batch 2520 needs about [\d.]+ GiB .*more than the wasm heap can hold \(4 GiB\)\nhint: lower --batch to \d+ or less/,
    );
    // images and the other fold's batch: twice the batches in flight
    await expect(run).rejects.toThrow(/\+ 6 input batches/);
    expect(existsSync(outDir)).toBe(false);
  });
});
