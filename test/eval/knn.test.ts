import { describe, expect, it } from 'vitest';
import { knnPredict, l2Normalize } from '../../eval/knn.js';
import { evalReference } from './reference.js';

describe('knnPredict', () => {
  const ref = evalReference().knn;
  const train = Float32Array.from(ref.train);
  const test = Float32Array.from(ref.test);

  it('matches the numpy weighted kNN (DINO eval_knn.py) for several k and temperatures', () => {
    for (const c of ref.cases) {
      const pred = knnPredict(train, ref.labels, test, ref.dim, ref.n_classes, {
        k: c.k,
        temperature: c.temperature,
      });
      expect([...pred], `k=${c.k} T=${c.temperature}`).toEqual(c.predictions);
    }
  });

  it('gives the same answer whatever the block size', () => {
    const c = ref.cases[0]!;
    for (const blockSize of [1, 4, 1000]) {
      expect([
        ...knnPredict(train, ref.labels, test, ref.dim, ref.n_classes, {
          k: c.k,
          temperature: c.temperature,
          blockSize,
        }),
      ]).toEqual(c.predictions);
    }
  });

  it('uses cosine similarity: scaling a query does not change its neighbours', () => {
    const scaled = test.map((v) => v * 37);
    expect([...knnPredict(train, ref.labels, scaled, ref.dim, ref.n_classes, { k: 5 })]).toEqual(
      ref.cases[0]!.predictions,
    );
  });

  it('normalises rows and leaves zero rows at zero', () => {
    const n = l2Normalize(new Float32Array([3, 4, 0, 0]), 2);
    expect([...n]).toEqual([0.6000000238418579, 0.800000011920929, 0, 0]);
  });
});
