/**
 * Each augmentation with fixed per-image parameters against numpy reference outputs
 * (test/fixtures/augment.py), on the wasm backend (where input preparation runs) and the cpu
 * backend (the numerical reference).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend, type BackendName } from '../../../../runtime/backend.js';
import { applyBlur } from '../../../../compiler/lower/augment/blur.js';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  applyGrayscale,
  applySolarize,
} from '../../../../compiler/lower/augment/color.js';
import { applyCrops, resize } from '../../../../compiler/lower/augment/geometry.js';
import { applySpectralNoise } from '../../../../compiler/lower/augment/spectral.js';
import { clearDftCache } from '../../../../compiler/lower/kernels/dft.js';

interface Case {
  readonly params?: number[];
  readonly out: number[];
  readonly threshold?: number;
  readonly kernel?: number;
  readonly boxes?: [number, number, number, number][];
  readonly size?: number;
  readonly gamma?: number;
  readonly eps?: number[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/augment.json', import.meta.url), 'utf8'),
) as {
  shape: [number, number, number, number];
  input: number[];
  cases: Record<string, Case>;
};
const c = (name: string): Case => fixture.cases[name]!;
const f32 = (v: number[]): Float32Array => Float32Array.from(v);

type Op = (x: tf.Tensor4D) => tf.Tensor4D;
const ops: Record<string, Op> = {
  brightness: (x) => adjustBrightness(x, c('brightness').params!),
  contrast: (x) => adjustContrast(x, c('contrast').params!),
  saturation: (x) => adjustSaturation(x, c('saturation').params!),
  hue: (x) => adjustHue(x, c('hue').params!),
  grayscale: (x) => applyGrayscale(x, f32(c('grayscale').params!)),
  solarize: (x) => applySolarize(x, f32(c('solarize').params!), c('solarize').threshold!),
  blur: (x) => applyBlur(x, c('blur').params!, c('blur').kernel!),
  crop: (x) =>
    applyCrops(
      x,
      c('crop').boxes!.map(([top, left, height, width]) => ({ top, left, height, width })),
      c('crop').size!,
    ),
  resize: (x) => resize(x, c('resize').size!),
  spectral: (x) => {
    const [b, h, w, ch] = fixture.shape;
    return tf.tidy(() =>
      applySpectralNoise(
        x,
        tf.tensor4d(c('spectral').eps!, [b, ch, h, w]),
        c('spectral').params!,
        c('spectral').gamma!,
      ),
    );
  },
};

for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  describe(`augmentations match numpy (${backend})`, () => {
    let input: tf.Tensor4D;
    beforeAll(async () => {
      await useBackend(backend);
      input = tf.tensor4d(fixture.input, fixture.shape);
    });
    afterAll(() => {
      input.dispose();
      clearDftCache();
    });

    for (const name of Object.keys(ops)) {
      it(name, () => {
        const out = ops[name]!(input);
        const got = out.dataSync();
        out.dispose();
        const want = c(name).out;
        expect(got.length).toBe(want.length);
        const worst = want.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i]!)), 0);
        expect(worst).toBeLessThan(2e-5);
      });
    }

    it('leaks no tensor', () => {
      for (const op of Object.values(ops)) op(input).dispose(); // warm caches (DFT matrices)
      const before = tf.memory().numTensors;
      for (const op of Object.values(ops)) op(input).dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
