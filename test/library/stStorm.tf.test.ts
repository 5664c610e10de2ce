/**
 * ST-STORM `tiny` on TF.js: it compiles on wasm and trains through both phases (R1 included)
 * with finite losses, no tensor leak, phase-gated updates and EMA after their sources; its
 * representations embed. And R1's second-order gradient through the tiny PatchGAN matches
 * central finite differences on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compile } from '../../runtime/compile.js';
import type { CompiledMethod, StepMetrics } from '../../runtime/compiled.js';
import { lossKernels, type Lowered } from '../../compiler/lower/losses/index.js';
import { createLossState } from '../../runtime/lossState.js';
import { applyNet, initNet } from '../../compiler/lower/nets/index.js';
import { stStorm } from '../../library/stStorm.js';
import { everyStep, tokOnly } from './graph.js';
import { useBackend } from '../../runtime/backend.js';
import { Rng } from '../../compiler/ir/rng.js';

const A_TERMS = [
  'lsgan',
  'r1',
  'moco',
  'moco2',
  'adv',
  'nce_bottleneck',
  'nce_skip2',
  'nce_skip3',
  'tok',
  'l1',
  'gate',
  'fft',
  'swd',
  'jepa',
  'jepa_var',
  'jepa_cov',
];
const B_TERMS = [
  'moco',
  'nce_bottleneck',
  'nce_skip2',
  'nce_skip3',
  'idt',
  'tok',
  'gate',
  'fft',
  'swd',
];

describe('ST-STORM tiny trains on wasm', () => {
  let m: CompiledMethod;
  let images: tf.Tensor4D;
  let paired: tf.Tensor4D; // y: the other pseudo-domain fold's batch
  const metrics: StepMetrics[] = [];
  const counts: number[] = [];
  const snapshots: Array<Record<string, Float32Array>> = [];
  const watched = [
    'G_A/decoder.head.conv2.weight',
    'G_B/decoder.head.conv2.weight',
    'T_A/decoder.head.conv2.weight',
    'T_B/decoder.head.conv2.weight',
    'D_A/convs.1.weight',
  ];
  const snapshot = () =>
    Object.fromEntries(watched.map((k) => [k, Float32Array.from(m.variables()[k]!.dataSync())]));

  beforeAll(async () => {
    m = await compile(stStorm({ preset: 'tiny', phaseSteps: [2, 1] }), { backend: 'wasm' });
    m.init(0);
    images = tf.randomUniform([8, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    paired = tf.randomUniform([8, 32, 32, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    snapshots.push(snapshot());
    for (let step = 0; step < 6; step++) {
      metrics.push(m.step(images, { step, totalSteps: 600 }, { paired }));
      counts.push(tf.memory().numTensors);
      snapshots.push(snapshot());
    }
  }, 120_000);

  afterAll(() => {
    m.dispose();
    images.dispose();
    paired.dispose();
  });

  test('steps 0, 1, 3, 4 run phase A (D_A, semantic, G_A), steps 2, 5 phase B (semanticB, G_B with style bank and replay), with every term finite', () => {
    expect(metrics.map((r) => r.phase)).toEqual(['A', 'A', 'B', 'A', 'A', 'B']);
    expect(Object.keys(metrics[0]!.terms).sort()).toEqual([...A_TERMS].sort());
    expect(Object.keys(metrics[2]!.terms).sort()).toEqual([...B_TERMS].sort());
    for (const r of metrics)
      for (const [name, v] of Object.entries(r.terms))
        expect(Number.isFinite(v), `${name} at step ${r.step}`).toBe(true);
  });

  test('R1 runs at step 0 (every 16) and is 0 at step 1; LSGAN starts near its untrained value', () => {
    expect(metrics[0]!.terms['r1']).toBeGreaterThan(0);
    expect(metrics[1]!.terms['r1']).toBe(0);
    expect(metrics[0]!.terms['lsgan']).toBeGreaterThan(0.1);
  });

  test('no tensor leak: the count is constant once the first step of each phase created its queues, optimizer state and memories', () => {
    expect(counts.slice(3)).toEqual([counts[2], counts[2], counts[2]]);
  });

  test('phase A updates G_A, D_A and the teachers T_A and T_B (towards the unchanged G_B); phase B updates G_B and T_B only', () => {
    const changed = (i: number, k: string) =>
      snapshots[i + 1]![k]!.some((v, j) => v !== snapshots[i]![k]![j]);
    for (const step of [0, 1, 3]) {
      expect(
        ['G_A', 'T_A', 'D_A', 'G_B'].map((n) =>
          changed(
            step,
            watched.find((w) => w.startsWith(`${n}/`))!,
          ),
        ),
      ).toEqual([true, true, true, false]);
    }
    // step 3 (phase A, after G_B moved at step 2): T_B <- 0.999 T_B + 0.001 G_B (helpers.py)
    const k = (n: string) => `${n}/decoder.head.conv2.weight`;
    const [t3, g3, t4] = [
      snapshots[3]![k('T_B')]!,
      snapshots[3]![k('G_B')]!,
      snapshots[4]![k('T_B')]!,
    ];
    expect(changed(3, k('T_B'))).toBe(true);
    t4.forEach((v, j) => expect(v).toBeCloseTo(0.999 * t3[j]! + 0.001 * g3[j]!, 6));
    expect(
      ['G_A', 'T_A', 'D_A', 'G_B', 'T_B'].map((n) =>
        changed(
          2,
          watched.find((w) => w.startsWith(`${n}/`))!,
        ),
      ),
    ).toEqual([false, false, false, true, true]);
    expect(Object.keys(metrics[0]!.ema).sort()).toEqual([
      'T_A',
      'T_B',
      'semBackboneKey',
      'semProjectorKey',
    ]);
    expect(Object.keys(metrics[2]!.ema).sort()).toEqual([
      'T_B',
      'semBackboneKey',
      'semProjectorKey',
    ]);
  });

  test('the teacher follows its generator with momentum 0.999 (T_A <- 0.999 T_A + 0.001 G_A after the update)', () => {
    const k = (n: string) => `${n}/decoder.head.conv2.weight`;
    const [t0, g1, t1] = [
      snapshots[0]![k('T_A')]!,
      snapshots[1]![k('G_A')]!,
      snapshots[1]![k('T_A')]!,
    ];
    t1.forEach((v, j) => expect(v).toBeCloseTo(0.999 * t0[j]! + 0.001 * g1[j]!, 6));
  });

  test('representations: style tok [batch, 4 x 32], content [batch, 128], fused [batch, 64], finite, without leaks', () => {
    const four = images.slice([0, 0, 0, 0], [4, 32, 32, 3]);
    const before = tf.memory().numTensors;
    const dims = ['style', 'content', 'fused'].map((r) => {
      const e = m.embed(r, four);
      const finite = tf.tidy(() => e.isFinite().all().dataSync()[0]);
      e.dispose();
      return [e.shape, finite];
    });
    expect(dims).toEqual([
      [[4, 128], 1],
      [[4, 128], 1],
      [[4, 64], 1],
    ]);
    expect(tf.memory().numTensors).toBe(before);
    four.dispose();
  });
});

describe('R1 through the tiny PatchGAN (second-order gradient)', () => {
  test('its gradient w.r.t. the discriminator weights matches central finite differences on cpu', async () => {
    await useBackend('cpu');
    const net = stStorm({ preset: 'tiny' }).modules.find((d) => d.name === 'D_A')!.net;
    const vars = Object.fromEntries(
      Object.entries(initNet(net, 1)).map(([k, t]) => [k, tf.variable(t, !k.endsWith('.u'))]),
    );
    const real = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 5);
    const state = createLossState();
    const apply = (inputs: Readonly<Record<string, Lowered>>) =>
      applyNet(net, vars, inputs, { training: false, buffers: new Map(), prefix: '' });
    const penalty = (): tf.Scalar =>
      lossKernels.R1(
        { _tag: 'R1', module: 'D_A', real: { _tag: 'Input', name: 'images' }, gamma: 10, every: 1 },
        { real },
        {
          progress: 0,
          step: 0,
          rng: Rng.seeded(0),
          state,
          module: () => ({ apply, params: vars }),
        },
      );
    const { grads } = tf.variableGrads(penalty);
    const value = (): number => tf.tidy(() => penalty().dataSync()[0]!);
    const fd = (v: tf.Variable, base: Float32Array, i: number, eps: number): number => {
      const at = (d: number) => {
        const c = Float32Array.from(base);
        c[i] = c[i]! + d;
        v.assign(tf.tensor(c, v.shape));
        return value();
      };
      const out = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(base, v.shape));
      return out;
    };
    const compared: number[] = [];
    for (const path of ['convs.0.weight', 'convs.2.weight', 'convs.3.weight']) {
      const v = vars[path]!;
      const g = grads[v.name]!.dataSync();
      const base = Float32Array.from(v.dataSync());
      const top = Array.from(g.keys())
        .sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!))
        .slice(0, 3);
      for (const i of top) {
        // R1 of a ReLU net is piecewise smooth: a difference that changes with eps crossed a kink
        const [f1, f2] = [fd(v, base, i, 2e-4), fd(v, base, i, 4e-4)];
        if (Math.abs(f1 - f2) > 1e-2 * Math.abs(f1)) continue;
        compared.push(Math.abs(f1 - g[i]!) / Math.abs(g[i]!));
      }
    }
    expect(compared.length).toBeGreaterThanOrEqual(6);
    for (const e of compared) expect(e).toBeLessThan(1e-2);
    Object.values(vars).forEach((v) => v.dispose());
    Object.values(grads).forEach((t) => t.dispose());
    real.dispose();
    state.dispose();
    await useBackend('wasm');
  }, 60_000);
});

describe('ST-STORM tiny options on wasm', () => {
  const run = async (method: ReturnType<typeof stStorm>, steps: number, watch: string) => {
    const m = await compile(method, { backend: 'wasm' });
    m.init(0);
    const images = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const paired = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const before = Float32Array.from(m.variables()[watch]!.dataSync());
    const out = Array.from({ length: steps }, (_, step) =>
      m.step(images, { step, totalSteps: 100 }, { paired }),
    );
    const moved = m
      .variables()
      [watch]!.dataSync()
      .some((v, j) => v !== before[j]);
    m.dispose();
    images.dispose();
    paired.dispose();
    return { out, moved };
  };

  test('every flag the other way (no memory, views, second style, phase-B semantic; epoch lr; T_A style; code quirks; styles from the batch) trains both phases with finite terms', async () => {
    const method = stStorm({
      preset: 'tiny',
      styleSource: 'batch',
      batch: 4,
      phaseSteps: [1, 1],
      memory: false,
      semanticViews: false,
      semanticTwoStyles: false,
      semanticPhaseB: false,
      semanticSchedule: 'epoch',
      styleFrom: 'T_A',
      quirks: 'code',
      spadeBlock: 'plain',
      styleGain: [1, 1],
      teacherBInPhaseA: false,
      styleWeightB: 'fixed',
      swdLevels: 1,
    });
    const { out } = await run(method, 2, 'G_A/decoder.head.conv2.weight');
    expect(out.map((r) => r.phase)).toEqual(['A', 'B']);
    expect(Object.keys(out[0]!.terms)).toContain('moco');
    expect(Object.keys(out[0]!.terms)).not.toContain('moco2');
    expect(Object.keys(out[1]!.terms)).not.toContain('moco');
    for (const r of out)
      for (const [name, v] of Object.entries(r.terms)) expect(Number.isFinite(v), name).toBe(true);
  }, 120_000);

  test("lambda_styB adapts after a phase-B step from that step's token distance (every 1 here): 0.005 (1 + 0.1 (d - 0.06) / 0.06)", async () => {
    const base = stStorm({ preset: 'tiny', batch: 4, phaseSteps: [1, 1], memory: false });
    const method = everyStep(base);
    const m = await compile(method, { backend: 'wasm' });
    m.init(0);
    const images = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const paired = { paired: images.reverse(0) as tf.Tensor4D };
    const weight = () => m.optimizerState()['adaptive/generatorB.tok']!.dataSync()[0]!;
    expect(weight()).toBeCloseTo(0.005, 9);
    m.step(images, { step: 0, totalSteps: 100 }, paired); // phase A: unchanged
    expect(weight()).toBeCloseTo(0.005, 9);
    const b = m.step(images, { step: 1, totalSteps: 100 }, paired);
    const d = b.terms['tok']!;
    expect(Number.isFinite(d)).toBe(true);
    expect(weight()).toBeCloseTo(
      Math.min(2, Math.max(1e-4, 0.005 * (1 + (0.1 * (d - 0.06)) / 0.06))),
      7,
    );
    m.dispose();
    images.dispose();
    paired.paired.dispose();
  }, 120_000);

  test('the tok-only ablation (regression): the teacher-token term alone moves G_A through the EMA teacher T_A', async () => {
    const { out, moved } = await run(
      tokOnly({ preset: 'tiny', batch: 4 }),
      1,
      'G_A/decoder.head.conv2.weight',
    );
    expect(
      Object.keys(out[0]!.terms).filter((t) => !['lsgan', 'r1', 'moco', 'moco2'].includes(t)),
    ).toEqual(['tok']);
    expect(Number.isFinite(out[0]!.terms['tok'])).toBe(true);
    expect(moved).toBe(true);
  }, 120_000);
});
