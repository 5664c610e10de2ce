/**
 * The whole update, TF.js `cpu` vs an independent reference: from the same initial weights, the
 * same images and the same views/masks, 3 training steps of MoCo v3 `tiny` and I-JEPA `tiny`
 * (batch 8, steps 1-3 of 12: the learning rate goes from warmup into the cosine decay, the EMA
 * momentum and I-JEPA's weight decay follow their schedules) reach the same state.
 *
 * TF.js runs the steps as `tessera train` does (`runtime/compiled.ts`: the pure step, the
 * optimizer of `runtime/optim`, buffer writes, EMA) and records its draws of views and masks
 * (`tfjsTrajectory.ts`). The reference replays them with `python/tessera_torch` (`update.py`):
 * loss and gradients by torch autograd on the torch target's networks, the update by PyTorch's
 * own `torch.optim.AdamW` (two parameter groups, `lr` and `weight_decay` set from the schedules
 * before each step), the schedules and the EMA `xi <- m xi + (1 - m) theta` written in Python from
 * the papers (`schedule.py`, `Method._ema`), BatchNorm statistics by the torch target's
 * `GlobalBatchNorm`, which the script checks against `torch.nn.BatchNorm1d`. None of it is
 * generated from the TF.js code.
 *
 * Compared after step 3, for every weight, EMA target and BatchNorm running statistic:
 * - `abs`, the largest absolute difference: below 1e-4 (measured: MoCo 7.5e-5 on a BatchNorm
 *   running mean, see below; I-JEPA 1e-7);
 * - because AdamW moves a weight by only ~lr (2e-4 to 1e-3) per step, a wrong weight decay or EMA
 *   momentum would hide under 1e-4; so, for weights and EMA targets, the largest difference is
 *   also below 1e-2 of how far the tensor moved (at least 4 float32 ulps of its largest value),
 *   and the L2 norm of what exceeds 4 ulps per element is below 1e-3 of the L2 norm of the
 *   movement (measured for MoCo: 2.1e-3 of the movement and 1.5e-5);
 * - Adam moments (outside the noise mask) within 1e-3 of each moment's largest value, step
 *   counts exactly; each step's loss terms within 1e-4, learning rate and EMA momentum within 1e-9.
 * Rounding noise: Adam scales a gradient to about +-1 whatever its size, so an element whose
 * gradient is zero in exact arithmetic (the key bias of attention; MoCo's final LayerNorm shift,
 * followed by a bias-free linear layer and BatchNorm) or, at some step, below 1e-6 of its tensor's
 * largest, moves by up to lr per step in a direction rounding decides, differently on each side.
 * Those elements (from the reference's gradients; at most 1% of the elements, measured 0.1% for
 * MoCo, 0.6% for I-JEPA) are only held to 2.2 x the summed learning rates; the MoCo projector's
 * first BatchNorm running mean inherits the LayerNorm shift's noise through the linear layer.
 * Mutants (the reference replayed without weight decay, with the lr or the EMA momentum frozen,
 * with BatchNorm momentum 0.05) must each break a tolerance, so the comparison sees every part.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Method } from '../../compiler/ir/node.js';
import { torchTarget } from '../../compiler/torchTarget.js';
import { renderAppearance } from '../../data/appearance/generator.js';
import { ijepa } from '../../library/ijepa.js';
import { mocoV3 } from '../../library/mocoV3.js';
import { useBackend } from '../../runtime/backend.js';
import type { StepMetrics } from '../../runtime/compiled.js';
import { compileGraph } from '../../runtime/compile.js';
import { TORCH_PACKAGE } from '../../runtime/torchPackage.js';
import { runPython } from './python.js';
import { writeTrajectory, type StepsAt } from './tfjsTrajectory.js';

interface Report {
  readonly weights: Record<
    string,
    {
      abs: number;
      moved: number;
      l2: number;
      scale: number;
      buffer: boolean;
      masked: number;
      maskedAbs: number;
    }
  >;
  /** Elements of the optimized tensors, and how many of them the noise mask holds. */
  readonly noise: { masked: number; elements: number };
  readonly optimizer: Record<string, { abs: number; scale: number }>;
  readonly missing: ReadonlyArray<string>;
  readonly extra: ReadonlyArray<string>;
  readonly steps: ReadonlyArray<{
    terms: Record<string, number>;
    lr: Record<string, number>;
    ema: Record<string, number>;
  }>;
  readonly mutants: Record<string, number>;
  readonly batchNormVsTorch: number;
}

const BATCH = 8;
const STEPS = 3;
const AT: StepsAt = { seed: 5, first: 1, totalSteps: 12 };
/** Largest absolute difference of any weight, EMA target or BatchNorm statistic. */
const ABS = 1e-4;
/**
 * Largest difference over how far the tensor moved in the 3 steps, or at least `ULPS` float32
 * units in the last place of the tensor's largest value (an EMA target near 1 moves ~1e-5).
 */
const MOVED = 1e-2;
const ULPS = 4;
/** At most this fraction of the optimized elements may be rounding noise (measured 0.1%, 0.6%). */
const NOISE_FRACTION = 1e-2;
/** L2 norm of the differences beyond `ULPS` ulps per element over the L2 norm of the movement. */
const L2 = 1e-3;
/** Adam moments: largest difference over the moment's largest value. */
const MOMENTS = 1e-3;

const batchOf = (size: number, k: number): tf.Tensor4D => {
  const data = new Float32Array(BATCH * size * size * 3);
  for (let i = 0; i < BATCH; i++) {
    const pixels = renderAppearance((k * BATCH + i) * 37, size, 0);
    pixels.forEach((v, j) => (data[i * size * size * 3 + j] = v / 255));
  }
  return tf.tensor4d(data, [BATCH, size, size, 3]);
};

const dir = mkdtempSync(join(tmpdir(), 'tessera-torch-update-'));

const replay = async (
  name: string,
  method: Method,
): Promise<{ report: Report; tfjs: ReadonlyArray<StepMetrics> }> => {
  const graph = compileGraph(method, { backend: 'cpu' });
  const graphFile = join(dir, `${name}.graph.json`);
  writeFileSync(graphFile, JSON.stringify(torchTarget(graph, name, 'test')));
  const batches = Array.from({ length: STEPS }, (_, k) => batchOf(method.input.size, k));
  const file = join(dir, `${name}.safetensors`);
  const tfjs = await writeTrajectory(file, graph, batches, AT);
  batches.forEach((b) => b.dispose());
  const out = runPython([
    join(__dirname, 'update.py'),
    file,
    graphFile,
    join(TORCH_PACKAGE, '..'),
    String(AT.first),
    String(AT.totalSteps),
  ]);
  return { report: JSON.parse(out) as Report, tfjs };
};

/** Difference over what the movement allows; a tensor that did not move may differ by a few ulps. */
const overMoved = (w: Report['weights'][string]): number =>
  w.abs / Math.max(MOVED * w.moved, ULPS * 2 ** -23 * w.scale) || 0;

/** One line of the measured worst cases, for docs/learning.md. */
const summary = (name: string, r: Report): string => {
  const ws = Object.values(r.weights);
  const trained = ws.filter((w) => !w.buffer);
  const moments = Object.entries(r.optimizer).filter(([k]) => !k.endsWith(':step'));
  return `${name}: max abs ${Math.max(...ws.map((w) => w.abs)).toExponential(2)}, largest share of the movement allowance ${Math.max(...trained.map(overMoved)).toExponential(2)}, max relative L2 ${Math.max(...trained.map((w) => w.l2)).toExponential(2)}, moments ${Math.max(...moments.map(([, o]) => o.abs / o.scale || 0)).toExponential(2)}, noise elements ${r.noise.masked}/${r.noise.elements} (max ${Math.max(...ws.map((w) => w.maskedAbs)).toExponential(2)}), mutants ${JSON.stringify(r.mutants)}`;
};

const expectSameState = (r: Report, tfjs: ReadonlyArray<StepMetrics>): void => {
  expect(r.missing, 'tensors TF.js has and torch lacks').toEqual([]);
  expect(r.extra, 'tensors torch has and TF.js lacks').toEqual([]);
  expect(Object.keys(r.weights).length).toBeGreaterThan(20);
  const lrSum = tfjs.reduce((s, m) => s + Math.max(...Object.values(m.lr)), 0);
  for (const [path, w] of Object.entries(r.weights)) {
    expect(w.abs, `${path}: max abs difference`).toBeLessThan(ABS);
    if (!w.buffer) {
      expect(overMoved(w), `${path}: difference ${w.abs}, movement ${w.moved}`).toBeLessThan(1);
      expect(w.l2, `${path}: relative L2 difference`).toBeLessThan(L2);
    }
    // Adam moves an element by at most ~1.01 lr per step in 3 steps (bias-corrected moments)
    expect(w.maskedAbs, `${path}: noise elements`).toBeLessThan(2.2 * lrSum);
  }
  expect(
    r.noise.masked / r.noise.elements,
    'fraction of elements updated from rounding noise',
  ).toBeLessThan(NOISE_FRACTION);
  for (const [key, o] of Object.entries(r.optimizer)) {
    if (key.endsWith(':step')) expect(o.abs, `${key}: step count`).toBe(0);
    else expect(o.abs / o.scale || 0, `${key}: ${o.abs} of ${o.scale}`).toBeLessThan(MOMENTS);
  }
  expect(r.steps).toHaveLength(STEPS);
  r.steps.forEach((s, i) => {
    const t = tfjs[i]!;
    for (const [term, v] of Object.entries(t.terms))
      expect(Math.abs(v - s.terms[term]!), `step ${i} term ${term}`).toBeLessThan(1e-4);
    for (const [obj, v] of Object.entries(t.lr))
      expect(Math.abs(v - s.lr[obj]!), `step ${i} lr`).toBeLessThan(1e-9);
    for (const [m, v] of Object.entries(t.ema))
      expect(Math.abs(v - s.ema[m]!), `step ${i} EMA ${m}`).toBeLessThan(1e-9);
  });
  for (const [mutant, times] of Object.entries(r.mutants))
    expect(times, `mutant "${mutant}": times over the tolerances`).toBeGreaterThan(1);
  expect(r.batchNormVsTorch).toBeLessThan(1e-5);
};

describe('the whole update: 3 TF.js cpu steps vs a torch replay', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('MoCo v3 tiny: AdamW + warmup-cosine lr, cosine EMA momentum, BatchNorm statistics', async () => {
    // the views the bounds were measured with (session 3's tiny views: crops from 30%, hue 0.5,
    // BYOL blur and solarize); the check is of the update, and other views only move which
    // elements are noise
    const views = {
      byolViews: true,
      cropMin: 0.3,
      colorJitter: { brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.5, p: 0.8 },
    };
    const { report, tfjs } = await replay(
      'moco',
      mocoV3({ preset: 'tiny', backbone: 'vit', ...views }),
    );
    console.log(summary('MoCo v3 tiny', report));
    expectSameState(report, tfjs);
    expect(Object.keys(report.mutants)).toContain('BatchNorm momentum 0.05');
    expect(Object.keys(report.weights).some((k) => k.endsWith('movingVar'))).toBe(true);
  }, 600_000);

  it('I-JEPA tiny: AdamW (no decay on 1-D) + cosine weight decay, EMA target, given masks', async () => {
    const { report, tfjs } = await replay('ijepa', ijepa({ preset: 'tiny' }));
    console.log(summary('I-JEPA tiny', report));
    expectSameState(report, tfjs);
  }, 600_000);
});
