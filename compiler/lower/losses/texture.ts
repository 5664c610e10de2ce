/**
 * Texture loss kernels (ST-STORM): L1 between log-amplitude spectra (through the matmul DFT of
 * `kernels/dft.ts`, since wasm has no FFT) and the sliced Wasserstein distance between patch
 * distributions (sorting by a constant permutation applied as a one-hot contraction, since
 * gather has no gradient on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import type { FftAmplitudeL1, SlicedWasserstein } from '../../ir/loss.js';
import type { Rng } from '../../ir/rng.js';
import { dft2, halfSpectrum, logAmplitude } from '../kernels/dft.js';
import { matMulConst } from '../kernels/matmul.js';
import { inputTensor, l2Norm, type LossKernel } from './context.js';

/**
 * ST-STORM's FFT texture loss: `mean |log max(|F a|, 1e-8) - log max(|F b|, 1e-8)|` over the
 * per-channel orthonormal 2-D spectra, on the `rfft2` half (`v = 0 .. W/2`) as the reference does.
 *
 * @param pred images `[B, H, W, C]`; target images `[B, H, W, C]`
 * @see [1] Hamedkiri/RT-STORM-V2 `models/losses_nce.py` `fft_texture_loss` (log_mag, per_channel).
 */
export const fftAmplitudeL1Kernel: LossKernel<FftAmplitudeL1> = (_loss, inputs) =>
  tf.tidy(() => {
    const p = inputTensor(inputs, 'pred', 'FftAmplitudeL1') as tf.Tensor4D;
    const t = inputTensor(inputs, 'target', 'FftAmplitudeL1') as tf.Tensor4D;
    if (p.rank !== 4 || p.shape.join() !== t.shape.join()) {
      throw new Error(
        `FftAmplitudeL1: expected two images [B, H, W, C] of one shape, got [${p.shape.join(', ')}] and [${t.shape.join(', ')}]`,
      );
    }
    const la = logAmplitude(halfSpectrum(dft2(p)));
    const lb = logAmplitude(halfSpectrum(dft2(t)));
    return tf.mean(tf.abs(tf.sub(la, lb)));
  });

/** One square patch: image index and top-left corner. */
export interface PatchAt {
  readonly image: number;
  readonly top: number;
  readonly left: number;
}

/**
 * Every patch position of an image batch `[B, H, W, C]` for patch size `k = min(patch, H, W)`
 * and stride `max(floor(k / 2), 1)` (RT-STORM `_sample_patches`: `F.unfold(k, stride=k//2)`),
 * image-major.
 */
export const patchGrid = (
  shape: readonly number[],
  patch: number,
): { k: number; all: PatchAt[] } => {
  const [b, h, w] = shape as [number, number, number, number];
  const k = Math.min(patch, h, w);
  const s = Math.max(Math.floor(k / 2), 1);
  const all: PatchAt[] = [];
  for (let image = 0; image < b; image++) {
    for (let top = 0; top + k <= h; top += s)
      for (let left = 0; left + k <= w; left += s) all.push({ image, top, left });
  }
  return { k, all };
};

/**
 * Patches `[N, k k C]` (row-major inside each patch), each standardised (biased std, `sqrt(var + 1e-12)`).
 * Patches are sliced from their image's own slice, so each patch's gradient (a pad) is one image,
 * not the whole batch.
 */
const standardPatches = (x: tf.Tensor4D, at: ReadonlyArray<PatchAt>, k: number): tf.Tensor2D => {
  const [, h, w, c] = x.shape;
  const images = new Map<number, tf.Tensor4D>();
  const imageOf = (i: number): tf.Tensor4D => {
    if (!images.has(i)) images.set(i, tf.slice(x, [i, 0, 0, 0], [1, h, w, c]));
    return images.get(i)!;
  };
  const rows = at.map((p) =>
    tf.reshape(tf.slice(imageOf(p.image), [0, p.top, p.left, 0], [1, k, k, c]), [1, k * k * c]),
  );
  const m = tf.concat(rows, 0) as tf.Tensor2D;
  const { mean, variance } = tf.moments(m, 1, true);
  // sqrt(var + 1e-12) rather than sqrt(var) + 1e-6: the same value for a flat patch (1e-6), and a
  // finite gradient there (sqrt'(0) is infinite, and 0 * inf made the whole step NaN)
  return tf.div(tf.sub(m, mean), tf.sqrt(tf.add(variance, 1e-12)));
};

/** Each row of `v` `[P, N]` sorted ascending, differentiably: a constant one-hot `[P, N, N]` contraction. */
const sortRows = (v: tf.Tensor2D): tf.Tensor2D => {
  const [p, n] = v.shape;
  const values = v.dataSync();
  const order = new Int32Array(p * n);
  for (let j = 0; j < p; j++) {
    const idx = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => values[j * n + a]! - values[j * n + b]!,
    );
    order.set(idx, j * n);
  }
  const pick = tf.oneHot(tf.tensor2d(order, [p, n], 'int32'), n).toFloat(); // [P, N(rank), N(source)]
  return tf.sum(tf.mul(pick, tf.expandDims(v, 1)), 2) as tf.Tensor2D;
};

/**
 * The deterministic core of the sliced Wasserstein distance: patches `patchesA` of `a` and
 * `patchesB` of `b` (as many of each), standardised, projected on the unit columns of
 * `projections` `[k k C, P]`, each projection sorted, then `mean |sorted A - sorted B|` over
 * patches and projections.
 */
export const slicedWassersteinAt = (
  a: tf.Tensor4D,
  b: tf.Tensor4D,
  patchesA: ReadonlyArray<PatchAt>,
  patchesB: ReadonlyArray<PatchAt>,
  k: number,
  projections: tf.Tensor2D,
): tf.Scalar =>
  tf.tidy(() => {
    if (patchesA.length !== patchesB.length)
      throw new Error('SlicedWasserstein: patch counts differ');
    const projectionsT = tf.transpose(projections);
    const project = (x: tf.Tensor4D, at: ReadonlyArray<PatchAt>): tf.Tensor2D =>
      tf.transpose(matMulConst(standardPatches(x, at, k), projections, projectionsT)); // [P, N]
    const pa = project(a, patchesA);
    const pb = project(b, patchesB);
    return tf.mean(tf.abs(tf.sub(sortRows(pa), sortRows(pb))));
  });

/** `[dim, count]` standard normal columns from `rng`, each scaled to unit norm (`+1e-12`). */
export const randomProjections = (dim: number, count: number, rng: Rng): tf.Tensor2D =>
  tf.tidy(() => {
    const m = tf.tensor2d(
      Float32Array.from({ length: dim * count }, () => rng.normal()),
      [dim, count],
    );
    return tf.div(m, tf.add(l2Norm(m, 0), 1e-12));
  });

/**
 * Sliced Wasserstein distance between the distributions of standardised `patch x patch` patches
 * of two image batches: from each batch at most `maxPatches` patches drawn without replacement
 * from the stride-`patch/2` grid, `projections` random unit directions, sorted 1-D projections
 * compared by L1. ST-STORM: patch 64, 128 projections, 64 patches. Single level: RT-STORM
 * averages this over a 3-level Laplacian pyramid, which the IR node does not describe (apply the
 * loss to pyramid levels upstream if wanted).
 *
 * @param pred images `[B, H, W, C]`; target images `[B, H, W, C]`
 * @see [0] Rabin et al. Wasserstein Barycenter and its Application to Texture Mixing. SSVM 2011.
 * @see [1] Hamedkiri/RT-STORM-V2 `models/losses_nce.py` `_swd_single_level`.
 */
export const slicedWassersteinKernel: LossKernel<SlicedWasserstein> = (loss, inputs, ctx) =>
  tf.tidy(() => {
    const p = inputTensor(inputs, 'pred', 'SlicedWasserstein') as tf.Tensor4D;
    const t = inputTensor(inputs, 'target', 'SlicedWasserstein') as tf.Tensor4D;
    if (p.rank !== 4 || p.shape.join() !== t.shape.join()) {
      throw new Error(
        `SlicedWasserstein: expected two images [B, H, W, C] of one shape, got [${p.shape.join(', ')}] and [${t.shape.join(', ')}]`,
      );
    }
    const { k, all } = patchGrid(p.shape, loss.patch);
    const n = Math.min(all.length, loss.maxPatches);
    const choose = (): PatchAt[] =>
      ctx.rng
        .permutation(all.length)
        .slice(0, n)
        .map((i) => all[i]!);
    const patchesA = choose();
    const patchesB = choose();
    const w = randomProjections(k * k * p.shape[3], loss.projections, ctx.rng);
    return slicedWassersteinAt(p, t, patchesA, patchesB, k, w);
  });
