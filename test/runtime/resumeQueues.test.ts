/**
 * Resuming restores the loss state too: ST-STORM's semantic branch keeps an InfoNCE key queue
 * across steps; a run stopped after 3 steps and resumed follows the uninterrupted run exactly.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appearanceDataset } from '../../data/appearance/generator.js';
import { stStorm } from '../../library/stStorm.js';
import { train } from '../../runtime/train.js';
import type { CompiledMethod } from '../../runtime/compiled.js';
import { everyStep } from '../library/graph.js';

const root = mkdtempSync(join(tmpdir(), 'tessera-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const losses = (dir: string): number[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { loss: number }).loss);

/** `[split losses, whole losses]`; `last` reads the final compiled methods before they are disposed. */
const wholeAndSplit = async (
  name: string,
  method: ReturnType<typeof stStorm>,
  last: (split: CompiledMethod, whole: CompiledMethod) => void = () => {},
): Promise<[number[], number[]]> => {
  const base = {
    method,
    dataset: appearanceDataset({ n: 84, size: 32 }),
    steps: 6,
    seed: 0,
    backend: 'wasm' as const,
    checkpointEvery: 3,
  };
  const whole = join(root, `${name}-whole`);
  const split = join(root, `${name}-split`);
  const wholeRun = (await train({ ...base, outDir: whole, resume: false })).compiled;
  let calls = 0;
  const first = await train({
    ...base,
    outDir: split,
    resume: false,
    shouldStop: () => calls++ >= 3,
  });
  first.compiled.dispose();
  expect(first.stopped).toBe(true);
  const resumed = (await train({ ...base, outDir: split, resume: true })).compiled;
  last(resumed, wholeRun);
  resumed.dispose();
  wholeRun.dispose();
  return [losses(split), losses(whole)];
};

describe('resume with loss state', () => {
  test('ST-STORM tiny with the style bank and replay (phases of 1 + 1 steps): 3 + resume 3 == 6 steps', async () => {
    const [split, whole] = await wholeAndSplit(
      'memory',
      stStorm({ preset: 'tiny', batch: 4, steps: 6, phaseSteps: [1, 1], memory: true }),
    );
    expect(split).toEqual(whole);
    expect(whole.every(Number.isFinite)).toBe(true);
  }, 120_000);

  test('ST-STORM tiny with lambda_styB adapting every step (phase B at steps 1, 3, 5): 3 + resume 3 == 6 steps, same weight', async () => {
    const weights: number[] = [];
    const [split, whole] = await wholeAndSplit(
      'adaptive',
      everyStep(stStorm({ preset: 'tiny', batch: 4, steps: 6, phaseSteps: [1, 1] })),
      (s, w) =>
        weights.push(
          ...[s, w].map((m) => m.optimizerState()['adaptive/generatorB.tok']!.dataSync()[0]!),
        ),
    );
    expect(split).toEqual(whole);
    expect(weights[0]).toBe(weights[1]);
    expect(weights[0]).not.toBeCloseTo(0.005, 6); // it moved: three updates
  }, 120_000);

  test('ST-STORM tiny: 3 steps + resume 3 steps == 6 steps (the key queue is checkpointed)', async () => {
    const base = {
      method: stStorm({ preset: 'tiny', batch: 4, steps: 6 }),
      dataset: appearanceDataset({ n: 84, size: 32 }),
      steps: 6,
      seed: 0,
      backend: 'wasm' as const,
      checkpointEvery: 3,
    };
    const whole = join(root, 'whole');
    const split = join(root, 'split');
    (await train({ ...base, outDir: whole, resume: false })).compiled.dispose();
    let calls = 0;
    const first = await train({
      ...base,
      outDir: split,
      resume: false,
      shouldStop: () => calls++ >= 3,
    });
    first.compiled.dispose();
    expect(first.stopped).toBe(true);
    (await train({ ...base, outDir: split, resume: true })).compiled.dispose();
    expect(losses(split)).toEqual(losses(whole));
  });
});
