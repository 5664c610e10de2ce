import { beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateRepresentations,
  renderGainTable,
  renderProbeTable,
  type ProbeRow,
} from '../../eval/probe.js';
import { tf, useBackend } from '../../runtime/backend.js';
import { Rng } from '../../compiler/ir/rng.js';

/** n samples with two independent labels; "content" features encode the first, "style" the second. */
const dataset = (n: number) => {
  const rng = Rng.seeded(11);
  const shape = Int32Array.from({ length: n }, () => rng.int(0, 3));
  const weather = Int32Array.from({ length: n }, () => rng.int(0, 4));
  const features = (labels: Int32Array, classes: number, dim: number) => {
    const centres = Array.from({ length: classes * dim }, () => rng.normal() * 3);
    return {
      dim,
      data: Float32Array.from(
        { length: n * dim },
        (_, i) => centres[labels[Math.floor(i / dim)]! * dim + (i % dim)]! + rng.normal(),
      ),
    };
  };
  return {
    features: { content: features(shape, 3, 8), style: features(weather, 4, 6) },
    labels: {
      content: { values: shape, classes: ['disc', 'square', 'star'] },
      appearance: { values: weather, classes: ['clear', 'rain', 'fog', 'night'] },
    },
  };
};

const find = (rows: ProbeRow[], representation: string, label: string, probe: string): ProbeRow =>
  rows.find((r) => r.representation === representation && r.label === label && r.probe === probe)!;

describe('evaluateRepresentations', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('probes every representation for every label with both probes, on shared splits', () => {
    const before = tf.memory().numTensors;
    const rows = evaluateRepresentations({
      ...dataset(600),
      labelFraction: 0.25,
      seed: 3,
      linear: { epochs: 100 },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(rows).toHaveLength(2 * 2 * 2);
    expect(rows.map((r) => `${r.representation}/${r.label}/${r.probe}`).slice(0, 4)).toEqual([
      'content/content/linear',
      'content/content/knn',
      'content/appearance/linear',
      'content/appearance/knn',
    ]);
    for (const probe of ['linear', 'knn']) {
      expect(find(rows, 'content', 'content', probe).accuracy).toBeGreaterThan(0.95);
      expect(find(rows, 'style', 'appearance', probe).accuracy).toBeGreaterThan(0.95);
      expect(find(rows, 'content', 'appearance', probe).accuracy).toBeLessThan(0.45); // 4 classes: chance 0.25
      expect(find(rows, 'style', 'content', probe).accuracy).toBeLessThan(0.55); // 3 classes: chance 0.33
    }
    const r = find(rows, 'content', 'content', 'linear');
    expect(r.nTest).toBe(find(rows, 'style', 'content', 'knn').nTest);
    expect(r.nTest).toBeGreaterThan(100);
    expect(r.nTrain).toBeGreaterThan(100);
    expect(r.nTrain).toBeLessThan(140); // 25% of the 80% train split
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(r.nTest);
    expect(r.f1Weighted).toBeGreaterThan(0.95);
  });

  it('is reproducible for a seed and runs a single probe when asked', () => {
    const a = evaluateRepresentations({ ...dataset(200), probe: 'knn', seed: 1 });
    const b = evaluateRepresentations({ ...dataset(200), probe: 'knn', seed: 1 });
    expect(a).toEqual(b);
    expect(a.every((r) => r.probe === 'knn')).toBe(true);
  });

  it('names the culprit when inputs disagree', () => {
    const d = dataset(50);
    expect(() =>
      evaluateRepresentations({
        ...d,
        features: { ...d.features, bad: { dim: 3, data: new Float32Array(30) } },
      }),
    ).toThrow('representation "bad" has 10');
    expect(() =>
      evaluateRepresentations({
        ...d,
        features: { nan: { dim: 1, data: new Float32Array(50).fill(NaN) } },
      }),
    ).toThrow('"nan" has non-finite features');
    expect(() =>
      evaluateRepresentations({
        ...d,
        labels: { x: { values: new Int32Array(50).fill(2), classes: ['a', 'b'] } },
      }),
    ).toThrow('label "x" value 2 at 0 is not an index into its 2 classes');
  });
});

describe('renderProbeTable', () => {
  it('renders aligned columns with percentages', () => {
    const row: ProbeRow = {
      representation: 'content',
      label: 'appearance',
      probe: 'linear',
      accuracy: 0.9134,
      f1Weighted: 0.9,
      f1Macro: 0.88,
      nTrain: 80,
      nTest: 200,
      nClasses: 2,
      confusion: [],
    };
    const lines = renderProbeTable([
      row,
      { ...row, representation: 'fused', probe: 'knn', accuracy: 1 },
    ]).split('\n');
    expect(lines[0]).toBe('representation  label       probe   acc %  F1w %  F1m %  train  test');
    expect(lines[1]).toBe('content         appearance  linear   91.3   90.0   88.0     80   200');
    expect(lines[2]).toBe('fused           appearance  knn     100.0   90.0   88.0     80   200');
  });
});

describe('renderGainTable', () => {
  const row = (
    representation: string,
    label: string,
    probe: 'linear' | 'knn',
    accuracy: number,
  ): ProbeRow => ({
    representation,
    label,
    probe,
    accuracy,
    f1Weighted: accuracy,
    f1Macro: accuracy,
    nTrain: 10,
    nTest: 10,
    nClasses: 2,
    confusion: [
      [1, 0],
      [0, 1],
    ],
  });

  it('pairs each trained probe with the untrained one, gives the gain in points and a verdict per label', () => {
    const untrained = [
      row('backbone', 'content', 'linear', 0.179),
      row('backbone', 'content', 'knn', 0.2),
      row('backbone', 'appearance', 'linear', 0.3),
    ];
    const trained = [
      row('backbone', 'content', 'linear', 0.294),
      row('backbone', 'content', 'knn', 0.25),
      row('backbone', 'appearance', 'linear', 0.28),
      row('other', 'content', 'linear', 0.5), // no untrained row: left out
    ];
    const lines = renderGainTable(untrained, trained).split('\n');
    expect(lines[0]).toMatch(/^representation\s+label\s+probe\s+untrained %\s+trained %\s+gain$/);
    expect(lines[1]).toMatch(/^backbone\s+content\s+linear\s+17\.9\s+29\.4\s+\+11\.5$/);
    expect(lines[2]).toMatch(/^backbone\s+content\s+knn\s+20\.0\s+25\.0\s+\+5\.0$/);
    expect(lines[3]).toMatch(/^backbone\s+appearance\s+linear\s+30\.0\s+28\.0\s+-2\.0$/);
    expect(lines.slice(4)).toEqual([
      'content: backbone +11.5 points over the untrained encoder (linear probe)',
      'appearance: backbone -2.0 points over the untrained encoder (linear probe)',
    ]);
  });
});
