/** The random halves of the augmentations: ranges over many draws, probabilities, determinism. */
import { beforeAll, describe, expect, it } from 'vitest';
import type {
  AugNode,
  ColorJitter,
  GaussianBlur,
  RandomResizedCrop,
} from '../../../../compiler/ir/augment.js';
import {
  blurKernelSize,
  gaussianKernel,
  sampleSigmas,
} from '../../../../compiler/lower/augment/blur.js';
import { LUMA, applyJitter, sampleJitter } from '../../../../compiler/lower/augment/color.js';
import { sampleCropBox } from '../../../../compiler/lower/augment/geometry.js';
import { applyPipeline } from '../../../../compiler/lower/augment/pipeline.js';
import { tf, useBackend } from '../../../../runtime/backend.js';
import { Rng } from '../../../../compiler/ir/rng.js';

const rrc: RandomResizedCrop = {
  _tag: 'RandomResizedCrop',
  size: 32,
  scale: [0.08, 1],
  ratio: [3 / 4, 4 / 3],
};
const jitter: ColorJitter = {
  _tag: 'ColorJitter',
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0.2,
  hue: 0.1,
  p: 0.8,
};
const blur: GaussianBlur = { _tag: 'GaussianBlur', sigma: [0.1, 2], kernel: 0, p: 0.5 };

describe('random resized crop boxes', () => {
  it('stay inside the image, with area and aspect within the ranges (torchvision rounding)', () => {
    const rng = Rng.seeded(1);
    let fallbacks = 0;
    for (let k = 0; k < 5000; k++) {
      const b = sampleCropBox(rrc, 64, 64, rng);
      expect(b.top).toBeGreaterThanOrEqual(0);
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.top + b.height).toBeLessThanOrEqual(64);
      expect(b.left + b.width).toBeLessThanOrEqual(64);
      if (b.height === 64 && b.width === 64) fallbacks++;
      const area = (b.height * b.width) / 4096;
      // rounding of w and h to integers moves area and aspect by at most ~1 pixel per side
      expect(area).toBeGreaterThan(0.08 * 0.8);
      expect(area).toBeLessThanOrEqual(1);
      const aspect = b.width / b.height;
      expect(aspect).toBeGreaterThan((3 / 4) * 0.85);
      expect(aspect).toBeLessThan(4 / 3 / 0.85);
    }
    expect(fallbacks).toBeLessThan(500);
  });

  it('fall back to a centre crop with the aspect clamped when nothing fits', () => {
    const tall: RandomResizedCrop = { ...rrc, scale: [1, 1], ratio: [2, 3] };
    const b = sampleCropBox(tall, 40, 20, Rng.seeded(2));
    expect(b).toEqual({ top: 15, left: 0, height: 10, width: 20 });
  });
});

describe('colour jitter parameters', () => {
  it('draw factors in [1-b, 1+b], hue in [-h, h], a permutation per image, p respected', () => {
    const n = 4000;
    const p = sampleJitter(jitter, n, Rng.seeded(3));
    const inRange = (v: Float32Array, lo: number, hi: number): boolean =>
      v.every((x) => x >= lo - 1e-6 && x <= hi + 1e-6);
    expect(inRange(p.brightness, 0.6, 1.4) && inRange(p.contrast, 0.6, 1.4)).toBe(true);
    expect(inRange(p.saturation, 0.8, 1.2) && inRange(p.hue, -0.1, 0.1)).toBe(true);
    for (const o of p.order) expect([...o].sort()).toEqual([0, 1, 2, 3]);
    const untouched = p.brightness.filter((b, i) => b === 1 && p.hue[i] === 0).length / n;
    expect(untouched).toBeGreaterThan(0.17);
    expect(untouched).toBeLessThan(0.23);
  });

  it('applies each image its own op order (brightness then contrast differs from the reverse)', async () => {
    await useBackend('wasm');
    const x = tf.tensor4d(
      [0.2, 0.5, 0.9, 0.8, 0.1, 0.4, 0.3, 0.3, 0.3, 0.6, 0.7, 0.2],
      [2, 1, 2, 3],
    );
    const one = (order: number[]) => ({
      brightness: Float32Array.of(1.5, 1.5),
      contrast: Float32Array.of(0.5, 0.5),
      saturation: Float32Array.of(1, 1),
      hue: Float32Array.of(0, 0),
      order: [order, order],
    });
    const a = applyJitter(x, one([0, 1, 2, 3]));
    const b = applyJitter(x, one([1, 0, 2, 3]));
    const mixed = applyJitter(x, {
      ...one([0, 1, 2, 3]),
      order: [
        [0, 1, 2, 3],
        [1, 0, 2, 3],
      ],
    });
    const [av, bv, mv] = [a.dataSync(), b.dataSync(), mixed.dataSync()];
    expect(Math.max(...av.map((v, i) => Math.abs(v - bv[i]!)))).toBeGreaterThan(0.01);
    expect([...mv.slice(0, 6)]).toEqual([...av.slice(0, 6)]);
    expect([...mv.slice(6)]).toEqual([...bv.slice(6)]);
    tf.dispose([x, a, b, mixed]);
  });
});

describe('grayscale', () => {
  it('uses the ITU-R 601 luma weights, summing to 1', () => {
    expect(LUMA).toEqual([0.299, 0.587, 0.114]);
    expect(LUMA.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });
});

describe('gaussian blur', () => {
  it('kernels are normalized, symmetric, and peak at the centre', () => {
    for (const sigma of [0.1, 0.5, 1, 2, 3]) {
      const k = gaussianKernel(sigma, 13);
      expect(k.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
      for (let i = 0; i < 13; i++) expect(k[i]).toBeCloseTo(k[12 - i]!, 7);
      expect(Math.max(...k)).toBe(k[6]);
    }
    expect([...gaussianKernel(0, 5)]).toEqual([0, 0, 1, 0, 0]);
  });

  it('kernel size: 2 ceil(3 sigma_max) + 1, odd, capped by the image', () => {
    expect(blurKernelSize(blur, 64)).toBe(13);
    expect(blurKernelSize({ ...blur, kernel: 8 }, 64)).toBe(9);
    expect(blurKernelSize({ ...blur, sigma: [1, 20] }, 16)).toBe(31);
  });

  it('sigmas lie in the range, zero with probability 1 - p', () => {
    const s = sampleSigmas(blur, 4000, Rng.seeded(5));
    const on = s.filter((v) => v > 0);
    expect(on.every((v) => v >= 0.1 && v < 2)).toBe(true);
    expect(on.length / s.length).toBeGreaterThan(0.46);
    expect(on.length / s.length).toBeLessThan(0.54);
  });
});

describe('applyPipeline', () => {
  const mocoView2: ReadonlyArray<AugNode> = [
    rrc,
    jitter,
    { _tag: 'Grayscale', p: 0.2 },
    { ...blur, p: 0.1 },
    { _tag: 'Solarize', threshold: 0.5, p: 0.2 },
    { _tag: 'HorizontalFlip', p: 0.5 },
    { _tag: 'SpectralNoise', sigma: 2, gamma: 3, p: 0.5 },
    { _tag: 'Normalize', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  ];
  beforeAll(async () => useBackend('wasm'));

  it('is deterministic for a seed, differs across seeds, keeps shapes and leaks nothing', () => {
    const x = tf.randomUniform([4, 48, 48, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    applyPipeline(x, mocoView2, Rng.seeded(0)).dispose(); // warm the DFT matrix cache
    const before = tf.memory().numTensors;
    const a = applyPipeline(x, mocoView2, Rng.seeded(11));
    const b = applyPipeline(x, mocoView2, Rng.seeded(11));
    const c = applyPipeline(x, mocoView2, Rng.seeded(12));
    expect(a.shape).toEqual([4, 32, 32, 3]);
    expect([...a.dataSync()]).toEqual([...b.dataSync()]);
    expect([...a.dataSync()]).not.toEqual([...c.dataSync()]);
    tf.dispose([a, b, c]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('flip with p = 1 mirrors every image, p = 0 none', () => {
    const x = tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]);
    const flipped = applyPipeline(x, [{ _tag: 'HorizontalFlip', p: 1 }], Rng.seeded(1));
    const kept = applyPipeline(x, [{ _tag: 'HorizontalFlip', p: 0 }], Rng.seeded(1));
    expect([...flipped.dataSync()]).toEqual([3, 4, 5, 0, 1, 2]);
    expect([...kept.dataSync()]).toEqual([0, 1, 2, 3, 4, 5]);
    tf.dispose([x, flipped, kept]);
  });

  it('solarize inverts exactly the values at or above the threshold', () => {
    const x = tf.tensor4d([0.1, 0.49, 0.5, 0.9, 0.2, 1], [1, 1, 2, 3]);
    const y = applyPipeline(x, [{ _tag: 'Solarize', threshold: 0.5, p: 1 }], Rng.seeded(1));
    const got = [...y.dataSync()];
    [0.1, 0.49, 0.5, 0.1, 0.2, 0].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    tf.dispose([x, y]);
  });
});
