/**
 * Training with pseudo-domain folds (`training.folds`, `Value.pairedImages()`): a run stopped
 * mid-epoch, or after the fold pair rotated, and resumed ends with exactly the weights and losses
 * of the uninterrupted run; a step that reads the paired batch refuses to run without one.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Method } from '../../compiler/ir/node.js';
import { appearanceDataset } from '../../data/appearance/generator.js';
import { loadLatestCheckpoint } from '../../runtime/checkpoint/index.js';
import { compile } from '../../runtime/compile.js';
import { train, TrainError, type TrainConfig } from '../../runtime/train.js';
import { mutate } from '../compiler/mutate.js';
import { tinyMoco } from '../fixtures/methods.js';
import { expectSameRun, lossesOf, tempRunDir, trainLeakFree } from './trainRuns.js';

const STEPS = 8;
/** tinyMoco whose second view comes from the other fold; 84 images: 42 a fold, 5 steps an epoch. */
const method = mutate(tinyMoco, (s) => {
  s.values[1].value.source = { _tag: 'Input', name: 'pairedImages' };
  s.training = { batch: 8, steps: STEPS, folds: { k: 2, rotateEvery: 1 } };
}) as Method;
const dataset = appearanceDataset({ n: 84, size: 32, seed: 0, cache: true });
const tempDir = (): string => tempRunDir('tessera-folds-');
const config = (outDir: string, extra: Partial<TrainConfig> = {}): TrainConfig => ({
  method,
  dataset,
  steps: STEPS,
  seed: 5,
  backend: 'wasm',
  outDir,
  checkpointEvery: 100,
  resume: false,
  ...extra,
});

describe('train with pseudo-domain folds', () => {
  let straight: string;
  beforeAll(async () => {
    straight = tempDir();
    await trainLeakFree(config(straight));
    expect(lossesOf(straight).length).toBe(STEPS);
    expect(lossesOf(straight).every(Number.isFinite)).toBe(true);
  });

  for (const stopAt of [3, 6])
    it(`stopped at step ${stopAt} and resumed, ends with the uninterrupted run's weights and losses`, async () => {
      const dir = tempDir();
      let done = 0;
      const first = await train(
        config(dir, { onStep: () => done++, shouldStop: () => done >= stopAt }),
      );
      first.compiled.dispose();
      expect((await loadLatestCheckpoint(dir))!.step).toBe(stopAt);
      const second = await train(config(dir, { resume: true }));
      second.compiled.dispose();
      expect(second.startStep).toBe(stopAt);
      await expectSameRun(dir, straight);
    });

  it('refuses a dataset with less than one batch per fold, naming the folds', async () => {
    const small = appearanceDataset({ n: 12, size: 32, seed: 0, cache: true });
    await expect(train(config(tempDir(), { dataset: small }))).rejects.toThrow(TrainError);
    await expect(train(config(tempDir(), { dataset: small }))).rejects.toThrow(
      /fewer than one batch of 8 per fold \(2 pseudo-domain folds\)/,
    );
  });

  it('a step without the paired batch says what is missing', async () => {
    const compiled = await compile(method, { backend: 'wasm' });
    compiled.init(0);
    const images = tf.zeros([8, 32, 32, 3]) as tf.Tensor4D;
    expect(() => compiled.step(images, { step: 0, totalSteps: 1 })).toThrow(
      /reads pairedImages but was given no paired batch/,
    );
    images.dispose();
    compiled.dispose();
  });
});
