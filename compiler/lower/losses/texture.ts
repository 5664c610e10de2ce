/**
 * Texture loss kernels (ST-STORM): L1 between log-amplitude spectra (through the matmul DFT of
 * `kernels/dft.ts`, since wasm has no FFT) and the sliced Wasserstein distance between patch
 * distributions (sorting by a constant permutation applied as a one-hot contraction, since
 * gather has no gradient on wasm), over the bands of a Laplacian pyramid.
 */
import * as tf from '@tensorflow/tfjs';
import { maxPyramidLevels, type FftAmplitudeL1, type SlicedWasserstein } from '../../ir/loss.js';
import type { Rng } from '../../ir/rng.js';
import { dft2, halfSpectrum, logAmplitude } from '../kernels/dft.js';
import { matMulConst, matMulConstLeft } from '../kernels/matmul.js';
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

/** `[ceil(n / 2), n]`: row `i` averages inputs `2i` and `2i + 1` (one of them at an odd end). */
const poolMatrix = (n: number): number[][] =>
  Array.from({ length: Math.ceil(n / 2) }, (_, i) => {
    const cols = [2 * i, 2 * i + 1].filter((c) => c < n);
    return Array.from({ length: n }, (_, c) => (cols.includes(c) ? 1 / cols.length : 0));
  });

/** `[out, n]`: linear interpolation from `n` to `out` samples, half-pixel centres (`align_corners=False`). */
const upsampleMatrix = (out: number, n: number): number[][] =>
  Array.from({ length: out }, (_, i) => {
    const src = Math.max(0, ((i + 0.5) * n) / out - 0.5);
    const i0 = Math.min(Math.floor(src), n - 1);
    const i1 = Math.min(i0 + 1, n - 1);
    const row = new Array<number>(n).fill(0);
    row[i0]! += 1 - (src - i0);
    row[i1]! += src - i0;
    return row;
  });

/** `m` applied along axis 1 (`rows`) or 2 of `x [B, H, W, C]`, as one constant 2-D product. */
const alongAxis = (x: tf.Tensor4D, m: number[][], axis: 1 | 2): tf.Tensor4D => {
  const [perm, back] =
    axis === 1
      ? [
          [1, 0, 2, 3],
          [1, 0, 2, 3],
        ]
      : [
          [2, 0, 1, 3],
          [1, 2, 0, 3],
        ];
  const moved = tf.transpose(x, perm);
  const [n, ...rest] = moved.shape;
  const mat = tf.tensor2d(m);
  const out = matMulConstLeft(mat, tf.transpose(mat), tf.reshape(moved, [n, -1]) as tf.Tensor2D);
  return tf.transpose(tf.reshape(out, [m.length, ...rest]), back) as tf.Tensor4D;
};

/**
 * The Laplacian pyramid of `x [B, H, W, C]` with `levels` bands (RT-STORM `_laplacian_pyramid`):
 * `down = avgPool2x2(cur)` (ceil mode), `band = cur - upsample(down)` (bilinear, half-pixel
 * centres, to `cur`'s size), `cur = down`, for `levels - 1` bands, then the last `cur` (the
 * low-pass). `levels = 1` is `[x]` (the reference returns 2 bands there). Finest band first.
 */
export const laplacianPyramid = (x: tf.Tensor4D, levels: number): tf.Tensor4D[] => {
  const bands: tf.Tensor4D[] = [];
  let cur = x;
  for (let l = 1; l < levels; l++) {
    const [, h, w] = cur.shape;
    const down = alongAxis(alongAxis(cur, poolMatrix(h), 1), poolMatrix(w), 2);
    const up = alongAxis(
      alongAxis(down, upsampleMatrix(h, down.shape[1]), 1),
      upsampleMatrix(w, down.shape[2]),
      2,
    );
    bands.push(tf.sub(cur, up));
    cur = down;
  }
  return [...bands, cur];
};

/** The random draws of one band: patches of each image batch, patch size, projections `[k k C, P]`. */
export interface BandDraws {
  readonly patchesA: ReadonlyArray<PatchAt>;
  readonly patchesB: ReadonlyArray<PatchAt>;
  readonly k: number;
  readonly projections: tf.Tensor2D;
}

/** The deterministic core over a pyramid: the mean over bands of `slicedWassersteinAt`. */
export const slicedWassersteinPyramidAt = (
  a: tf.Tensor4D,
  b: tf.Tensor4D,
  draws: ReadonlyArray<BandDraws>,
): tf.Scalar =>
  tf.tidy(() => {
    const pa = laplacianPyramid(a, draws.length);
    const pb = laplacianPyramid(b, draws.length);
    const per = draws.map((d, i) =>
      slicedWassersteinAt(pa[i]!, pb[i]!, d.patchesA, d.patchesB, d.k, d.projections),
    );
    return tf.div(tf.addN(per), per.length) as tf.Scalar;
  });

/** Draws `loss`'s patches and projections for a band of `shape`, from `rng` (A's patches, B's, projections). */
const drawBand = (loss: SlicedWasserstein, shape: readonly number[], rng: Rng): BandDraws => {
  const { k, all } = patchGrid(shape, loss.patch);
  const n = Math.min(all.length, loss.maxPatches);
  const choose = (): PatchAt[] =>
    rng
      .permutation(all.length)
      .slice(0, n)
      .map((i) => all[i]!);
  const patchesA = choose();
  const patchesB = choose();
  return {
    patchesA,
    patchesB,
    k,
    projections: randomProjections(k * k * shape[3]!, loss.projections, rng),
  };
};

/** The band shapes of a pyramid of `levels` bands on `[B, H, W, C]` (ceil halving). */
const bandShapes = (shape: readonly number[], levels: number): number[][] =>
  Array.from({ length: levels }, (_, l) => [
    shape[0]!,
    Math.ceil(shape[1]! / 2 ** l),
    Math.ceil(shape[2]! / 2 ** l),
    shape[3]!,
  ]);

/**
 * Sliced Wasserstein distance between the distributions of standardised `patch x patch` patches
 * of two image batches, averaged over the `levels` bands of their Laplacian pyramids: per band,
 * from each batch at most `maxPatches` patches drawn without replacement from the stride-`k/2`
 * grid (`k = min(patch, band size)`), `projections` random unit directions, sorted 1-D
 * projections compared by L1. ST-STORM: patch 64, 128 projections, 64 patches, 9 bands at 256
 * (`--swd_levels 64` capped at `1 + log2(256)`). `levels` is capped at `maxPyramidLevels` as in
 * the reference (the shape pass refuses more where the size is known).
 *
 * @param pred images `[B, H, W, C]`; target images `[B, H, W, C]`
 * @see [0] Rabin et al. Wasserstein Barycenter and its Application to Texture Mixing. SSVM 2011.
 * @see [1] Hamedkiri/RT-STORM-V2 `models/losses_nce.py` `swd_loss_images`, `_laplacian_pyramid`,
 *   `_swd_single_level`.
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
    const levels = Math.min(loss.levels, maxPyramidLevels(p.shape[1], p.shape[2]));
    const draws = bandShapes(p.shape, levels).map((shape) => drawBand(loss, shape, ctx.rng));
    return slicedWassersteinPyramidAt(p, t, draws);
  });
