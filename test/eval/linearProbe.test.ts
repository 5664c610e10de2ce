import { beforeAll, describe, expect, it } from 'vitest';
import { columnStats, trainLinearProbe } from '../../eval/linearProbe.js';
import { tf, useBackend } from '../../runtime/backend.js';
import { Rng } from '../../compiler/ir/rng.js';
import { evalReference } from './reference.js';

/** One Gaussian blob per class (centres drawn from `centreRng`, samples from `rng`): `[n, dim]` and labels. */
const blobs = (
  n: number,
  dim: number,
  classes: number,
  rng: Rng,
  separable: boolean,
  centreRng: Rng = Rng.seeded(100),
) => {
  const centres = Array.from({ length: classes * dim }, () => centreRng.normal() * 4);
  const labels = Int32Array.from({ length: n }, () => rng.int(0, classes));
  const x = Float32Array.from(
    { length: n * dim },
    (_, i) =>
      centres[labels[Math.floor(i / dim)]! * dim + (i % dim)]! * (separable ? 1 : 0) +
      rng.normal() * 0.5,
  );
  return { x, labels };
};

const accuracy = (pred: Int32Array, labels: Int32Array): number =>
  pred.reduce((s, p, i) => s + (p === labels[i] ? 1 : 0), 0) / labels.length;

describe('trainLinearProbe', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('standardises with the numpy mean and population std', () => {
    const ref = evalReference().linear;
    const { mean, std } = columnStats(Float32Array.from(ref.train), ref.dim);
    ref.mean.forEach((m, j) => expect(mean[j]).toBeCloseTo(m, 4));
    ref.std.forEach((s, j) => expect(std[j]! / s).toBeCloseTo(1, 5));
  });

  it('reaches the optimum of the convex objective found by Newton steps in numpy', () => {
    const ref = evalReference().linear;
    const before = tf.memory().numTensors;
    const probe = trainLinearProbe(
      Float32Array.from(ref.train),
      ref.labels,
      ref.dim,
      ref.n_classes,
      { weightDecay: ref.weight_decay, epochs: 400, learningRate: 0.1 },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(probe.loss).toBeGreaterThanOrEqual(ref.optimum_loss - 1e-5);
    expect(probe.loss - ref.optimum_loss).toBeLessThan(2e-4);
    const pred = probe.predict(Float32Array.from(ref.test));
    ref.predictions.forEach((p, i) => {
      if (ref.margins[i]! > 0.05) expect(pred[i], `test row ${i}`).toBe(p);
    });
  });

  it('separates linearly separable classes (> 95%) and stays near chance on random labels (wasm backend)', async () => {
    await useBackend('wasm');
    const rng = Rng.seeded(5);
    const train = blobs(400, 16, 4, rng, true);
    const probe = trainLinearProbe(train.x, train.labels, 16, 4, {
      epochs: 100,
      batchSize: 64,
      seed: 1,
    });
    const test = blobs(400, 16, 4, Rng.seeded(6), true); // same centres, fresh samples
    expect(accuracy(probe.predict(test.x), test.labels)).toBeGreaterThan(0.95);
    const noise = blobs(400, 16, 4, Rng.seeded(9), false);
    const noiseProbe = trainLinearProbe(
      noise.x.subarray(0, 300 * 16),
      noise.labels.subarray(0, 300),
      16,
      4,
      { epochs: 100 },
    );
    const chance = accuracy(
      noiseProbe.predict(noise.x.subarray(300 * 16)),
      noise.labels.subarray(300),
    );
    expect(chance).toBeGreaterThan(0.1);
    expect(chance).toBeLessThan(0.45);
    await useBackend('cpu');
  });

  it('is deterministic for a seed with mini-batches', () => {
    const { x, labels } = blobs(100, 4, 3, Rng.seeded(2), true);
    const a = trainLinearProbe(x, labels, 4, 3, { epochs: 5, batchSize: 16, seed: 3 });
    const b = trainLinearProbe(x, labels, 4, 3, { epochs: 5, batchSize: 16, seed: 3 });
    const c = trainLinearProbe(x, labels, 4, 3, { epochs: 5, batchSize: 16, seed: 4 });
    expect([...a.weights]).toEqual([...b.weights]);
    expect([...a.weights]).not.toEqual([...c.weights]);
  });
});
