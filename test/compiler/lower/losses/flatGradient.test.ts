/**
 * Regression: losses that standardise or normalise must keep a finite gradient where the input is
 * flat (a constant patch, a zero vector). A flat image patch made ST-STORM's sliced-Wasserstein
 * gradient NaN (sqrt'(0) is infinite), which turned a whole generator update into NaN.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { SlicedWasserstein } from '../../../../compiler/ir/loss.js';
import { lossKernels } from '../../../../compiler/lower/losses/index.js';
import { createLossState } from '../../../../runtime/lossState.js';
import { useBackend } from '../../../../runtime/backend.js';
import { Rng } from '../../../../compiler/ir/rng.js';

describe('finite gradients on flat inputs', () => {
  beforeAll(async () => useBackend('wasm'));

  test('sliced Wasserstein of a constant image against a textured one', () => {
    const loss: SlicedWasserstein = {
      _tag: 'SlicedWasserstein',
      pred: { _tag: 'Input', name: 'images' },
      target: { _tag: 'Input', name: 'images' },
      projections: 8,
      patch: 4,
      maxPatches: 8,
      levels: 1,
    };
    const flat = tf.fill([2, 16, 16, 3], 0.5) as tf.Tensor4D;
    const textured = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const state = createLossState();
    const grad = tf.grad((x: tf.Tensor) =>
      lossKernels.SlicedWasserstein(
        loss,
        { pred: x, target: textured },
        {
          progress: 0,
          step: 0,
          rng: Rng.seeded(1),
          state,
          module: () => {
            throw new Error('unused');
          },
        },
      ),
    )(flat);
    const values = grad.dataSync();
    expect(values.every(Number.isFinite)).toBe(true);
    tf.dispose([flat, textured, grad]);
    state.dispose();
  });
});
