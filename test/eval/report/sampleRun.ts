/** Writes a synthetic run folder (metrics, probe rows, embeddings, spec) for report tests and manual rendering. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeEmbeddings } from '../../../eval/report/formats.js';
import type { ProbeRow } from '../../../eval/probe.js';
import { Rng } from '../../../compiler/ir/rng.js';

/** Number of points per representation in the sample embeddings. */
export const SAMPLE_POINTS = 300;

const metricsLines = (steps: number, rng: Rng): string[] =>
  Array.from({ length: steps }, (_, s) => {
    const t = s / steps;
    const nce = 4 * Math.exp(-4 * t) + 0.6 + 0.15 * rng.normal();
    const jepa = 0.5 * Math.exp(-6 * t) + 0.02 + 0.01 * Math.abs(rng.normal());
    const lr =
      s < steps / 10
        ? (1.5e-4 * s) / (steps / 10)
        : 0.5 * 1.5e-4 * (1 + Math.cos((Math.PI * (s - steps / 10)) / (0.9 * steps)));
    const ema = 1 - (1 - 0.99) * 0.5 * (1 + Math.cos(Math.PI * t));
    return JSON.stringify({
      step: s,
      loss: nce + jepa,
      'loss/infoNCE': nce,
      jepa,
      lr,
      ema,
      time: s * 0.1,
      phase: s % 2 ? 'A' : 'B',
    });
  });

const rows = (): ProbeRow[] =>
  ['content', 'style', 'fused'].flatMap((representation, i) =>
    ['content', 'appearance'].flatMap((label, j) =>
      (['linear', 'knn'] as const).map((probe, k) => {
        const accuracy =
          [
            [0.93, 0.31],
            [0.35, 0.88],
            [0.9, 0.84],
          ][i]![j]! -
          0.03 * k;
        return {
          representation,
          label,
          probe,
          accuracy,
          f1Weighted: accuracy - 0.01,
          f1Macro: accuracy - 0.02,
          nTrain: 120,
          nTest: 600,
          nClasses: j ? 6 : 4,
          confusion: [],
        };
      }),
    ),
  );

const features = (n: number, labels: Int32Array, dim: number, rng: Rng) => {
  const centres = Array.from({ length: 8 * dim }, () => rng.normal() * 3);
  return {
    dim,
    data: Float32Array.from(
      { length: n * dim },
      (_, i) => centres[labels[Math.floor(i / dim)]! * dim + (i % dim)]! + rng.normal(),
    ),
  };
};

/** Creates `dir` with metrics.jsonl (`steps` lines + one truncated line), eval.json, embeddings.json and spec.json. */
export const writeSampleRun = (dir: string, steps = 2000): void => {
  mkdirSync(dir, { recursive: true });
  const rng = Rng.seeded(42);
  writeFileSync(
    join(dir, 'metrics.jsonl'),
    `${metricsLines(steps, rng).join('\n')}\n{"step": ${steps}, "lo`,
  );
  writeFileSync(
    join(dir, 'eval.json'),
    JSON.stringify({ version: 1, rows: rows(), labelFraction: 0.1, seed: 0 }),
  );
  const n = 500;
  const shape = Int32Array.from({ length: n }, () => rng.int(0, 4));
  const weather = Int32Array.from({ length: n }, () => rng.int(0, 6));
  const emb = makeEmbeddings(
    { content: features(n, shape, 16, rng), style: features(n, weather, 8, rng) },
    {
      content: { values: shape, classes: ['disc', 'square', 'triangle', 'star'] },
      appearance: { values: weather, classes: ['clear', 'rain', 'snow', 'fog', 'night', 'glare'] },
    },
    { maxPoints: SAMPLE_POINTS, seed: 1 },
  );
  writeFileSync(join(dir, 'embeddings.json'), JSON.stringify(emb));
  writeFileSync(
    join(dir, 'spec.json'),
    JSON.stringify({ name: 'st-storm', preset: 'tiny', loss: { temperature: 0.2 } }),
  );
};
