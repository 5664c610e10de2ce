import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../../runtime/backend.js';
import {
  amplitude,
  clearDftCache,
  dft2,
  idft2Real,
  logAmplitude,
} from '../../../../compiler/lower/kernels/dft.js';
import {
  absError,
  fromStored,
  loadFixture,
  relError,
  type StoredArray,
} from '../../../fixtures/fixture.js';

type Fx = Record<'x' | 're' | 'im' | 'logAmp' | 'zRe' | 'zIm' | 'zInv', StoredArray>;
const fx = loadFixture<Fx>('dft');

/** A loss touching every output element with different weights, so its gradient checks the whole transform. */
const weightedLogAmp = (x: tf.Tensor): tf.Scalar => {
  const la = logAmplitude(dft2(x as tf.Tensor4D));
  const w = tf.linspace(0.5, 1.5, la.size).reshape(la.shape);
  return tf.sum(tf.mul(la, w));
};
const gradOn = async (backend: 'wasm' | 'cpu', x: tf.Tensor4D): Promise<Float32Array> => {
  await useBackend(backend);
  const g = tf.tidy(() => tf.grad(weightedLogAmp)(x));
  const out = g.dataSync() as Float32Array;
  g.dispose();
  return out;
};

describe('dft2 / idft2Real (numpy.fft fixtures)', () => {
  beforeAll(async () => useBackend('wasm'));
  afterAll(() => clearDftCache());

  it('forward matches numpy.fft.fft2(norm=ortho) in [N, C, H, W] layout', () => {
    const x = fromStored(fx.x) as tf.Tensor4D;
    const { re, im } = dft2(x);
    expect(re.shape).toEqual(fx.re.shape);
    expect(absError(re.dataSync(), fx.re.data)).toBeLessThan(1e-5);
    expect(absError(im.dataSync(), fx.im.data)).toBeLessThan(1e-5);
    expect(relError(logAmplitude({ re, im }).dataSync(), fx.logAmp.data)).toBeLessThan(1e-5);
    tf.dispose([x, re, im]);
  });

  it('inverse is the real part of numpy.fft.ifft2(norm=ortho), also for non-Hermitian spectra', () => {
    const re = fromStored(fx.zRe) as tf.Tensor4D;
    const im = fromStored(fx.zIm) as tf.Tensor4D;
    const x = idft2Real(re, im);
    expect(x.shape).toEqual(fx.zInv.shape);
    expect(absError(x.dataSync(), fx.zInv.data)).toBeLessThan(1e-5);
    tf.dispose([re, im, x]);
  });

  it('round-trips a real image and preserves its L2 norm (orthonormal)', () => {
    const x = fromStored(fx.x) as tf.Tensor4D;
    const s = dft2(x);
    const back = idft2Real(s.re, s.im);
    expect(absError(back.dataSync(), fx.x.data)).toBeLessThan(1e-5);
    const energy = tf.add(tf.sum(tf.square(s.re)), tf.sum(tf.square(s.im))).dataSync()[0]!;
    expect(energy).toBeCloseTo(tf.sum(tf.square(x)).dataSync()[0]!, 3);
    tf.dispose([x, s.re, s.im, back]);
  });

  it('leaks no tensor once the size is cached', () => {
    const x = fromStored(fx.x) as tf.Tensor4D;
    tf.tidy(() => amplitude(dft2(x))); // warm the cache
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const s = dft2(x);
      idft2Real(s.re, s.im);
      tf.grad(weightedLogAmp)(x);
    });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('has the same gradient on wasm as on cpu (1e-4 relative), and cpu agrees with finite differences', async () => {
    const x = fromStored(fx.x) as tf.Tensor4D;
    const gw = await gradOn('wasm', x);
    const gc = await gradOn('cpu', x);
    expect(relError(gw, gc)).toBeLessThan(1e-4);
    // central differences in float64 on a few coordinates, through the cpu forward
    const base = Float32Array.from(fx.x.data);
    const f = (v: Float32Array): number =>
      tf.tidy(
        () =>
          weightedLogAmp(
            tf.tensor4d(v, x.shape as [number, number, number, number]),
          ).dataSync()[0]!,
      );
    for (const i of [0, 7, 40, 143]) {
      const h = 1e-2;
      const up = Float32Array.from(base);
      const dn = Float32Array.from(base);
      up[i] = up[i]! + h;
      dn[i] = dn[i]! - h;
      const fd = (f(up) - f(dn)) / (2 * h);
      expect(Math.abs(fd - gc[i]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(gc[i]!)));
    }
    await useBackend('wasm');
    x.dispose();
  });
});
