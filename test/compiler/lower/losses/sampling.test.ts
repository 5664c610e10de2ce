import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { LossNode } from '../../../../compiler/ir/loss.js';
import {
  lossKernels,
  patchGrid,
  patchNceAt,
  laplacianPyramid,
  randomProjections,
  slicedWassersteinAt,
  slicedWassersteinPyramidAt,
  type LossContext,
} from '../../../../compiler/lower/losses/index.js';
import { createLossState } from '../../../../runtime/lossState.js';
import { useBackend } from '../../../../runtime/backend.js';
import { Rng } from '../../../../compiler/ir/rng.js';
import { contextWith, fixture } from './cases.js';
import { fromStored, relError, type StoredArray } from '../../../fixtures/fixture.js';

const ref = { _tag: 'Ref', name: 'unused' } as never;
const run = (
  node: LossNode,
  inputs: Record<string, tf.Tensor | Record<string, tf.Tensor>>,
  ctx: LossContext,
): number =>
  tf.tidy(
    () =>
      (lossKernels[node._tag] as (l: LossNode, i: typeof inputs, c: LossContext) => tf.Scalar)(
        node,
        inputs,
        ctx,
      ).dataSync()[0]!,
  );
const normal = (shape: number[], seed: number): tf.Tensor =>
  tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('loss state: InfoNCEQueue queues', () => {
  beforeAll(async () => useBackend('wasm'));

  it('creates a queue of unit columns from the rng, deterministically', () => {
    const a = createLossState();
    const b = createLossState();
    const qa = a.queue('t', 4, 6, Rng.seeded(3));
    const qb = b.queue('t', 4, 6, Rng.seeded(3));
    expect(qa.shape).toEqual([4, 6]);
    expect(Array.from(qa.dataSync())).toEqual(Array.from(qb.dataSync()));
    const norms = tf.norm(qa, 'euclidean', 0).dataSync();
    for (const n of norms) expect(n).toBeCloseTo(1, 5);
    expect(a.queue('t', 4, 6, Rng.seeded(99))).toBe(qa); // created once
    a.dispose();
    b.dispose();
  });

  it('defers keys during the loss and enqueues them FIFO (newest first) at afterStep', () => {
    const ctx = contextWith();
    const node: LossNode = {
      _tag: 'InfoNCEQueue',
      query: ref,
      key: ref,
      temperature: { _tag: 'Constant', value: 0.2 },
      queueSize: 5,
    };
    const q = normal([2, 3], 1);
    const k = normal([2, 3], 2);
    run(node, { query: q, key: k }, ctx);
    const queue = ctx.state.queues.get('term')!;
    const before = queue.arraySync() as number[][];
    const count = tf.memory().numTensors;
    ctx.state.afterStep();
    expect(tf.memory().numTensors).toBe(count - 1); // the deferred clone is freed
    const after = queue.arraySync() as number[][];
    const kn = tf.tidy(
      () => tf.transpose(tf.div(k, tf.norm(k, 'euclidean', 1, true))).arraySync() as number[][],
    );
    for (let d = 0; d < 3; d++) {
      expect(after[d]!.slice(0, 2).map((v) => +v.toFixed(5))).toEqual(
        kn[d]!.map((v) => +v.toFixed(5)),
      );
      expect(after[d]!.slice(2)).toEqual(before[d]!.slice(0, 3));
    }
    ctx.state.afterStep(); // nothing pending: no change
    expect(queue.arraySync()).toEqual(after);
    ctx.state.dispose();
    expect(ctx.state.queues.size).toBe(0);
    tf.dispose([q, k]);
  });

  it('rejects keys of the wrong width with a clear message', () => {
    const s = createLossState();
    s.queue('t', 4, 6, Rng.seeded(1));
    const bad = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => s.enqueue('t', bad)).toThrow(/holds 4-d keys, got \[2, 5\]/);
    expect(() => s.enqueue('nope', bad)).toThrow(/no queue "nope"/);
    bad.dispose();
    s.dispose();
  });
});

describe('sampled losses: the kernels draw from ctx.rng and apply their cores', () => {
  it('PatchNce draws `patches` distinct positions and averages struct layers with equal weights', () => {
    const q = { a: normal([2, 4, 4, 3], 1), b: normal([2, 2, 2, 3], 2) };
    const k = { a: normal([2, 4, 4, 3], 3), b: normal([2, 2, 2, 3], 4) };
    const node: LossNode = {
      _tag: 'PatchNce',
      query: ref,
      key: ref,
      temperature: 0.07,
      patches: 6,
    };
    const got = run(node, { query: q, key: k }, contextWith());
    const rng = Rng.seeded(1); // contextWith's rng: layer a then layer b, in field order
    const pa = rng.permutation(16).slice(0, 6);
    const pb = rng.permutation(4).slice(0, 4); // capped at h*w
    const want = tf.tidy(
      () =>
        (patchNceAt(q.a as tf.Tensor4D, k.a as tf.Tensor4D, pa, 0.07).dataSync()[0]! +
          patchNceAt(q.b as tf.Tensor4D, k.b as tf.Tensor4D, pb, 0.07).dataSync()[0]!) /
        2,
    );
    expect(got).toBeCloseTo(want, 5);
    expect(() => run(node, { query: q, key: { a: k.a } }, contextWith())).toThrow(/no layer "b"/);
    tf.dispose([q.a, q.b, k.a, k.b]);
  });

  it('PatchNce is lower for aligned features than for unrelated ones', () => {
    const x = normal([2, 4, 4, 8], 5);
    const node: LossNode = {
      _tag: 'PatchNce',
      query: ref,
      key: ref,
      temperature: 0.07,
      patches: 8,
    };
    const aligned = run(node, { query: x, key: x }, contextWith());
    const other = normal([2, 4, 4, 8], 6);
    const unrelated = run(node, { query: x, key: other }, contextWith());
    expect(aligned).toBeLessThan(0.1);
    expect(unrelated).toBeGreaterThan(1);
    tf.dispose([x, other]);
  });

  it('SlicedWasserstein samples patches on the stride-k/2 grid and is zero for identical batches', () => {
    const { k, all } = patchGrid([2, 8, 6, 3], 4);
    expect(k).toBe(4);
    expect(all.length).toBe(2 * 3 * 2); // tops 0,2,4; lefts 0,2
    expect(patchGrid([1, 3, 5, 1], 64).k).toBe(3);
    const a = normal([2, 8, 6, 3], 7);
    const node: LossNode = {
      _tag: 'SlicedWasserstein',
      pred: ref,
      target: ref,
      projections: 16,
      patch: 4,
      maxPatches: 12,
      levels: 1,
    };
    expect(run(node, { pred: a, target: a }, contextWith())).toBeCloseTo(0, 6); // all 12 patches both sides
    const b = normal([2, 8, 6, 3], 8);
    const got = run({ ...node, maxPatches: 5 }, { pred: a, target: b }, contextWith());
    const rng = Rng.seeded(1);
    const pa = rng
      .permutation(all.length)
      .slice(0, 5)
      .map((i) => all[i]!);
    const pb = rng
      .permutation(all.length)
      .slice(0, 5)
      .map((i) => all[i]!);
    const want = tf.tidy(
      () =>
        slicedWassersteinAt(
          a as tf.Tensor4D,
          b as tf.Tensor4D,
          pa,
          pb,
          k,
          randomProjections(48, 16, rng),
        ).dataSync()[0]!,
    );
    expect(got).toBeCloseTo(want, 6);
    expect(got).toBeGreaterThan(0.05);
    tf.dispose([a, b]);
  });

  it('laplacianPyramid matches the numpy bands of losses.py (avg-pool 2x2, bilinear half-pixel up; checked there against torch)', () => {
    const p = fixture.cases['slicedWassersteinPyramid']!['pyramid'] as {
      x: StoredArray;
      levels: number;
      bands: StoredArray[];
    };
    const x = fromStored(p.x) as tf.Tensor4D;
    const bands = laplacianPyramid(x, p.levels);
    expect(bands.map((b) => b.shape)).toEqual(p.bands.map((b) => b.shape));
    bands.forEach((b, i) => expect(relError(b.dataSync(), p.bands[i]!.data)).toBeLessThan(1e-5));
    // the bands sum back to the image (a Laplacian pyramid is exactly invertible)
    const [fine] = laplacianPyramid(x, 2);
    expect(laplacianPyramid(x, 1)).toHaveLength(1);
    expect(fine!.shape).toEqual(x.shape);
    tf.dispose([x, ...bands, fine!]);
  });

  it('SlicedWasserstein with levels draws per band (A, B, projections) and averages the band SWDs', () => {
    const a = normal([2, 8, 8, 3], 3);
    const b = normal([2, 8, 8, 3], 4);
    const node: LossNode = {
      _tag: 'SlicedWasserstein',
      pred: ref,
      target: ref,
      projections: 8,
      patch: 4,
      maxPatches: 6,
      levels: 3,
    };
    const got = run(node, { pred: a, target: b }, contextWith());
    const rng = Rng.seeded(1);
    const want = tf.tidy(() => {
      const draws = [8, 4, 2].map((size) => {
        const { k, all } = patchGrid([2, size, size, 3], 4);
        const pick = () =>
          rng
            .permutation(all.length)
            .slice(0, Math.min(6, all.length))
            .map((i) => all[i]!);
        const patchesA = pick();
        const patchesB = pick();
        return { k, patchesA, patchesB, projections: randomProjections(k * k * 3, 8, rng) };
      });
      return slicedWassersteinPyramidAt(a as tf.Tensor4D, b as tf.Tensor4D, draws).dataSync()[0]!;
    });
    expect(got).toBeCloseTo(want, 6);
    // more bands than the size allows are capped (8x8: 4 bands), as the reference does
    const capped = run({ ...node, levels: 64 }, { pred: a, target: b }, contextWith());
    const four = run({ ...node, levels: 4 }, { pred: a, target: b }, contextWith());
    expect(capped).toBeCloseTo(four, 6);
    expect(Math.abs(four - got)).toBeGreaterThan(1e-4);
    tf.dispose([a, b]);
  });

  it('randomProjections gives unit columns', () => {
    const w = randomProjections(10, 7, Rng.seeded(2));
    for (const n of tf.norm(w, 'euclidean', 0).dataSync()) expect(n).toBeCloseTo(1, 5);
    w.dispose();
  });
});

describe('schedules, cadences and errors', () => {
  it('InfoNCE evaluates its temperature schedule at ctx.progress', () => {
    const q = normal([4, 3], 1);
    const k = normal([4, 3], 2);
    const sched: LossNode = {
      _tag: 'InfoNCE',
      query: ref,
      key: ref,
      scale: 'none',
      temperature: { _tag: 'Linear', from: 0.1, to: 0.5, start: 0, end: 1 },
    };
    const at = (tau: number): LossNode =>
      ({ ...sched, temperature: { _tag: 'Constant', value: tau } }) as LossNode;
    const half = { ...contextWith(), progress: 0.5 };
    expect(run(sched, { query: q, key: k }, half)).toBeCloseTo(
      run(at(0.3), { query: q, key: k }, contextWith()),
      6,
    );
    expect(run(sched, { query: q, key: k }, half)).not.toBeCloseTo(
      run(at(0.1), { query: q, key: k }, contextWith()),
      3,
    );
    tf.dispose([q, k]);
  });

  it('R1 is 0 off its cadence and never calls the discriminator then', () => {
    let calls = 0;
    const d = {
      apply: (i: Record<string, unknown>) => (calls++, tf.sum(tf.square(i['x'] as tf.Tensor))),
      params: {},
    };
    const x = normal([2, 2, 2, 1], 3);
    const node: LossNode = { _tag: 'R1', module: 'D', real: ref, gamma: 10, every: 16 };
    expect(run(node, { real: x }, contextWith({ D: d }, 17))).toBe(0);
    expect(calls).toBe(0);
    // D = sum x^2: grad 2x, R1 = 0.5 * 10 * mean_b sum (2x)^2 = 5 * 4 * sum x^2 / B
    const want = (5 * 4 * tf.sum(tf.square(x)).dataSync()[0]!) / 2;
    expect(run(node, { real: x }, contextWith({ D: d }, 32))).toBeCloseTo(want, 4);
    expect(calls).toBe(1);
    x.dispose();
  });

  it('SpadeGate explains a module without gates; inputs errors name the loss and the field', () => {
    const ctx = contextWith({
      G: { apply: () => tf.scalar(0), params: { 'head.weight': tf.zeros([2]) } },
    });
    expect(() => run({ _tag: 'SpadeGate', module: 'G', margin: 0.75 }, {}, ctx)).toThrow(
      /module "G" has no SPADE gate parameters/,
    );
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([2, 4]);
    expect(() => run({ _tag: 'L1', pred: ref, target: ref }, { pred: a }, contextWith())).toThrow(
      /L1: input "target" is missing/,
    );
    expect(() =>
      run({ _tag: 'L2', pred: ref, target: ref }, { pred: a, target: b }, contextWith()),
    ).toThrow(/pred \[2, 3\] and target \[2, 4\] differ/);
    expect(() =>
      run({ _tag: 'L2', pred: ref, target: ref }, { pred: { s: a }, target: b }, contextWith()),
    ).toThrow(/struct \{ s \}/);
    tf.dispose([a, b]);
  });
});
