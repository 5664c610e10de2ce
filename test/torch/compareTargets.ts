/**
 * The comparison the torch equivalence tests share: write the TF.js reference of one objective
 * (`tfjsReference.ts`), run `equivalence.py` on it, and check the report: loss terms within 1e-4
 * and every gradient within 1e-3 relative (max abs difference over the largest reference magnitude
 * of the tensor, floored at 1e-5 of the largest gradient of the objective: a gradient that is zero
 * in exact arithmetic, such as a bias followed by a norm, holds only rounding noise on both sides).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { Graph } from '../../compiler/ir/graph.js';
import { torchTarget } from '../../compiler/torchTarget.js';
import { renderAppearance } from '../../data/appearance/generator.js';
import { TORCH_PACKAGE } from '../../runtime/torchPackage.js';
import { runPython } from './python.js';
import { writeReference } from './tfjsReference.js';

/** What `equivalence.py` prints. */
export interface Report {
  readonly terms: Record<string, { tfjs: number; torch: number; abs: number }>;
  readonly grads: Record<string, { maxAbs: number; scale: number }>;
  readonly missing: ReadonlyArray<string>;
  readonly extra: ReadonlyArray<string>;
}

/** `batch` images of the built-in appearance set (`first + i * 37`), NHWC in [0, 1]. */
export const appearanceImages = (batch: number, size: number, first = 0): tf.Tensor4D => {
  const data = new Float32Array(batch * size * size * 3);
  for (let i = 0; i < batch; i++)
    renderAppearance(first + i * 37, size, 0).forEach(
      (v, j) => (data[i * size * size * 3 + j] = v / 255),
    );
  return tf.tensor4d(data, [batch, size, size, 3]);
};

/** Where and what to compare: objective (default the first) at `step` of `totalSteps`. */
export interface CompareAt {
  readonly step: number;
  readonly totalSteps: number;
  readonly objective?: string;
  readonly backend?: string;
  /** The other pseudo-domain fold's batch, for a graph reading `pairedImages`. */
  readonly paired?: tf.Tensor4D;
}

/** Runs both targets on one objective of `graph` from seed 3's weights and returns the report. */
export const compareObjective = async (
  dir: string,
  name: string,
  graph: Graph,
  images: tf.Tensor4D,
  at: CompareAt,
): Promise<Report> => {
  const graphFile = join(dir, `${name}.graph.json`);
  writeFileSync(graphFile, JSON.stringify(torchTarget(graph, name, 'test')));
  const ref = join(dir, `${name}.safetensors`);
  await writeReference(ref, graph, images, { seed: 3, ...at });
  const out = runPython([
    join(__dirname, 'equivalence.py'),
    ref,
    graphFile,
    join(TORCH_PACKAGE, '..'),
    String(at.step),
    String(at.totalSteps),
    ...(at.objective === undefined ? [] : [at.objective]),
  ]);
  return JSON.parse(out) as Report;
};

/** The largest relative gradient difference of a report (floored scale, see the module comment), `zero` paths left out. */
export const worstGradient = (r: Report, zero?: RegExp): number => {
  const floor = 1e-5 * Math.max(...Object.values(r.grads).map((g) => g.scale));
  return Math.max(
    ...Object.entries(r.grads)
      .filter(([path]) => zero?.test(path) !== true)
      .map(([, g]) => g.maxAbs / Math.max(g.scale, floor)),
  );
};

/**
 * Terms within 1e-4 (relative to the term above 1: float32 holds ~7 digits), the same parameters
 * with gradients on both sides, gradients within 1e-3. `zero`: parameters whose gradient is zero
 * in exact arithmetic (a conv bias right before an InstanceNorm): on both sides they must hold
 * only rounding noise, below 1e-5 of the objective's largest gradient, and are not compared.
 */
export const expectClose = (r: Report, zero?: RegExp): void => {
  expect(Object.keys(r.terms).length).toBeGreaterThan(0);
  for (const [term, t] of Object.entries(r.terms))
    expect(
      t.abs / Math.max(1, Math.abs(t.tfjs)),
      `loss term ${term}: tfjs ${t.tfjs}, torch ${t.torch}`,
    ).toBeLessThan(1e-4);
  expect(r.missing, 'parameters with a TF.js gradient but none in torch').toEqual([]);
  expect(r.extra, 'parameters with a torch gradient but none in TF.js').toEqual([]);
  const floor = 1e-5 * Math.max(...Object.values(r.grads).map((g) => g.scale));
  for (const [path, g] of Object.entries(r.grads)) {
    if (zero?.test(path)) {
      expect(g.scale + g.maxAbs, `${path}: zero in exact arithmetic`).toBeLessThan(2 * floor);
      continue;
    }
    expect(
      g.maxAbs / Math.max(g.scale, floor),
      `gradient of ${path} (scale ${g.scale}, max abs difference ${g.maxAbs})`,
    ).toBeLessThan(1e-3);
  }
};
