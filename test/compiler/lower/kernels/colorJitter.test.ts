/**
 * The colour-jitter kernel (`compiler/lower/kernels/colorJitter.ts`, wasm) against the numpy
 * reference outputs of each colour op (test/fixtures/augment.py) and against the element-wise
 * jitter (`applyJitterOps`) on the `cpu` backend, with per-image orders, grey pixels (zero chroma),
 * ties between channels and values at 0 and 1.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  applyJitter,
  applyJitterOps,
  LUMA,
  sampleJitter,
  type JitterParams,
} from '../../../../compiler/lower/augment/color.js';
import { Rng } from '../../../../compiler/ir/rng.js';
import { onBackend } from '../compare.js';
import { useBackend } from '../../../../runtime/backend.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/augment.json', import.meta.url), 'utf8'),
) as {
  shape: [number, number, number, number];
  input: number[];
  cases: Record<string, { params?: number[]; out: number[] }>;
};

const worst = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** Parameters that apply only `op` (0-3) with per-image `values`, first in every order. */
const only = (op: number, values: number[]): JitterParams => {
  const fill = (k: number, identity: number) =>
    Float32Array.from(values, (v) => (k === op ? v : identity));
  return {
    brightness: fill(0, 1),
    contrast: fill(1, 1),
    saturation: fill(2, 1),
    hue: fill(3, 0),
    order: values.map(() => [op, ...[0, 1, 2, 3].filter((o) => o !== op)]),
  };
};

/** `[B, 4, 4, 3]` pixels in [0, 1] with grey pixels, channel ties, 0s and 1s mixed in. */
const awkwardBatch = (b: number): Float32Array => {
  const rng = Rng.seeded(11);
  const v = Float32Array.from({ length: b * 48 }, () => rng.uniform(0, 1));
  for (let p = 0; p < v.length; p += 3 * 5) v.fill(v[p]!, p, p + 3); // grey pixel
  for (let p = 3; p < v.length; p += 3 * 7) v[p + 1] = v[p]!; // r == g
  for (let p = 6; p < v.length; p += 3 * 11) v.set([1, 0, 1], p);
  return v;
};

describe('colour-jitter kernel (wasm)', () => {
  it('is what applyJitter runs on wasm: one kernel', async () => {
    await useBackend('wasm');
    const x = tf.ones([2, 2, 2, 3]) as tf.Tensor4D;
    const info = await tf.profile(() => applyJitter(x, only(3, [0.2, -0.1])));
    expect(info.kernelNames).toEqual(['TesseraColorJitter']);
    tf.dispose([x, info.result as tf.Tensor]);
  });

  for (const [name, op] of [
    ['brightness', 0],
    ['contrast', 1],
    ['saturation', 2],
    ['hue', 3],
  ] as const) {
    it(`${name} matches numpy`, async () => {
      const [got] = await onBackend('wasm', () => [
        applyJitter(
          tf.tensor4d(fixture.input, fixture.shape),
          only(op, fixture.cases[name]!.params!),
        ),
      ]);
      expect(worst(got!, fixture.cases[name]!.out)).toBeLessThan(2e-5);
    });
  }

  it('matches the element-wise jitter on cpu: random factors and orders, awkward pixels', async () => {
    const b = 24;
    const node = {
      _tag: 'ColorJitter',
      brightness: 0.8,
      contrast: 0.8,
      saturation: 0.8,
      hue: 0.5,
      p: 0.8,
    } as const;
    const params = sampleJitter(node, b, Rng.seeded(5));
    expect(new Set(params.order.map((o) => o.join(''))).size).toBeGreaterThan(5);
    const x = awkwardBatch(b);
    const [got] = await onBackend('wasm', () => [
      applyJitter(tf.tensor4d(x, [b, 4, 4, 3]), params),
    ]);
    const [want] = await onBackend('cpu', () => [
      applyJitterOps(tf.tensor4d(x, [b, 4, 4, 3]), params),
    ]);
    expect(worst(got!, want!)).toBeLessThan(1e-5);
    expect(got!.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(worst(got!, x)).toBeGreaterThan(0.1); // it did something
  });

  it('uses the ITU-R 601 weights it is given (grayscale by saturation 0)', async () => {
    const [got] = await onBackend('wasm', () => [
      applyJitter(tf.tensor4d([1, 0, 0], [1, 1, 1, 3]), only(2, [0])),
    ]);
    for (const v of got!) expect(v).toBeCloseTo(LUMA[0], 6);
  });
});
