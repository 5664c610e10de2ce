/**
 * The 2-D discrete Fourier transform as plain 2-D matmuls with constant cos/sin matrices.
 *
 * Why: the `wasm` backend has no FFT/IFFT/RFFT/Complex/Real/Imag kernels at all, and `tf.spectral`
 * transforms only the innermost axis. For the small images and feature maps of the losses
 * (ST-STORM's FFT log-amplitude L1, spectral noise) a DFT by matmul is fast on wasm (10-20
 * GFLOP/s), exact to float32 rounding and differentiable everywhere (matMul, transpose, reshape,
 * concat and slice all have wasm kernels and gradients).
 *
 * Scaling is orthonormal (`norm='ortho'`, as `numpy.fft.fft2(x, norm='ortho')`): the forward and
 * inverse both divide by `sqrt(H W)`, so the transform preserves the L2 norm.
 *
 * Only plain 2-D `matMul` (no `transposeB`, ~13x slower on wasm; no batched 3-D matmul) and rank-4
 * transposes are used, in the backward pass too: each matrix's transpose is another cached matrix
 * (`forward^T = inverse`, `realForward^T = realInverse`), used through `matMulConst`. The spectrum layout is **`[N, C, H, W]`** (channels first, frequency
 * `(u, v)` at `[n, c, u, v]`, unshifted: index 0 is the DC term), the layout the transform computes
 * naturally; images stay `[N, H, W, C]` (NHWC).
 */
import * as tf from '@tensorflow/tfjs';
import { matMulConst } from './matmul.js';

/** A complex spectrum as two real tensors `[N, C, H, W]` (real and imaginary parts). */
export interface Spectrum {
  readonly re: tf.Tensor4D;
  readonly im: tf.Tensor4D;
}

/**
 * The constant matrices for one length `n` (all `[2n, 2n]` or `[2n, n]`, entries scaled by
 * `1 / sqrt(n)`), with `C[j, k] = cos(2 pi j k / n)` and `S[j, k] = sin(2 pi j k / n)`:
 * - `forward = [[C, -S], [S, C]]`: `[re, im] @ forward = [re C + im S, im C - re S]`, the
 *   forward DFT `X = x e^{-i theta}` of a complex row vector;
 * - `inverse = [[C, S], [-S, C]]`: the inverse (`e^{+i theta}`);
 * - `realForward = [C, -S]` (`[n, 2n]`): forward DFT of a real row vector, `[re, im]`;
 * - `realInverse = [[C], [-S]]` (`[2n, n]`): real part of the inverse of a complex row vector.
 */
interface DftMatrices {
  readonly forward: tf.Tensor2D;
  readonly inverse: tf.Tensor2D;
  readonly realForward: tf.Tensor2D;
  readonly realInverse: tf.Tensor2D;
}

const cache = new Map<string, DftMatrices>();

/** cos/sin tables of `2 pi j k / n / sqrt(n)`, the index product reduced mod n for accuracy. */
const tables = (n: number): { cos: Float32Array; sin: Float32Array } => {
  const cos = new Float32Array(n * n);
  const sin = new Float32Array(n * n);
  const scale = 1 / Math.sqrt(n);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < n; k++) {
      const angle = (2 * Math.PI * ((j * k) % n)) / n;
      cos[j * n + k] = Math.cos(angle) * scale;
      sin[j * n + k] = Math.sin(angle) * scale;
    }
  }
  return { cos, sin };
};

/** Builds the four matrices for length `n` (block layout documented on `DftMatrices`). */
const build = (n: number): DftMatrices => {
  const { cos, sin } = tables(n);
  const forward = new Float32Array(4 * n * n);
  const inverse = new Float32Array(4 * n * n);
  const realForward = new Float32Array(2 * n * n);
  const realInverse = new Float32Array(2 * n * n);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < n; k++) {
      const c = cos[j * n + k]!;
      const s = sin[j * n + k]!;
      // rows j (top block) and n + j (bottom block) of the [2n, 2n] matrices
      forward[j * 2 * n + k] = c;
      forward[j * 2 * n + n + k] = -s;
      forward[(n + j) * 2 * n + k] = s;
      forward[(n + j) * 2 * n + n + k] = c;
      inverse[j * 2 * n + k] = c;
      inverse[j * 2 * n + n + k] = s;
      inverse[(n + j) * 2 * n + k] = -s;
      inverse[(n + j) * 2 * n + n + k] = c;
      realForward[j * 2 * n + k] = c;
      realForward[j * 2 * n + n + k] = -s;
      realInverse[j * n + k] = c;
      realInverse[(n + j) * n + k] = -s;
    }
  }
  return {
    forward: tf.keep(tf.tensor2d(forward, [2 * n, 2 * n])),
    inverse: tf.keep(tf.tensor2d(inverse, [2 * n, 2 * n])),
    realForward: tf.keep(tf.tensor2d(realForward, [n, 2 * n])),
    realInverse: tf.keep(tf.tensor2d(realInverse, [2 * n, n])),
  };
};

/**
 * The cached constant matrices for length `n` on the active backend. They are created once per
 * (backend, n), kept out of any `tf.tidy` scope (`tf.keep`) and live until `clearDftCache()`.
 * The first call for a size therefore adds 4 tensors to `tf.memory().numTensors`.
 */
const matrices = (n: number): DftMatrices => {
  const key = `${tf.getBackend()}:${n}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const made = build(n);
  cache.set(key, made);
  return made;
};

/** Disposes every cached DFT matrix (e.g. between test suites or after a backend switch). */
export const clearDftCache = (): void => {
  for (const m of cache.values()) {
    m.forward.dispose();
    m.inverse.dispose();
    m.realForward.dispose();
    m.realInverse.dispose();
  }
  cache.clear();
};

/** `[rows, 2n] -> { re, im }` each `[rows, n]`, split along the columns. */
const halves = (x: tf.Tensor2D, n: number): [tf.Tensor2D, tf.Tensor2D] => [
  tf.slice(x, [0, 0], [-1, n]),
  tf.slice(x, [0, n], [-1, n]),
];

/**
 * Orthonormal 2-D DFT of a real image batch over its spatial axes, for every channel:
 * `X[n, c, u, v] = sum_{h, w} x[n, h, w, c] e^{-2 pi i (u h / H + v w / W)} / sqrt(H W)`,
 * equal to `numpy.fft.fft2(x, axes=(1, 2), norm='ortho')` transposed to `[N, C, H, W]`.
 *
 * @param x real images `[N, H, W, C]`
 * @returns the full (not half) spectrum, `re` and `im` each `[N, C, H, W]`
 */
export const dft2 = (x: tf.Tensor4D): Spectrum => {
  const [n, h, w, c] = x.shape;
  const mh = matrices(h);
  const mw = matrices(w);
  return tf.tidy((): { re: tf.Tensor4D; im: tf.Tensor4D } => {
    // along H: [N, C, W, H] rows, real input -> [re | im] over frequency u
    const byH = tf.reshape(tf.transpose(x, [0, 3, 2, 1]), [n * c * w, h]);
    const specH = matMulConst(byH as tf.Tensor2D, mh.realForward, mh.realInverse); // [NCW, 2H]
    // to [N, C, H, W] rows with [re | im] over frequency v
    const toRows = (part: tf.Tensor2D): tf.Tensor2D =>
      tf.reshape(tf.transpose(tf.reshape(part, [n, c, w, h]), [0, 1, 3, 2]), [n * c * h, w]);
    const [reH, imH] = halves(specH as tf.Tensor2D, h);
    const both = tf.concat([toRows(reH), toRows(imH)], 1) as tf.Tensor2D; // [NCH, 2W]
    const [re, im] = halves(matMulConst(both, mw.forward, mw.inverse), w);
    return {
      re: tf.reshape(re, [n, c, h, w]) as tf.Tensor4D,
      im: tf.reshape(im, [n, c, h, w]) as tf.Tensor4D,
    };
  });
};

/**
 * The real part of the orthonormal inverse 2-D DFT, back to images:
 * `x[n, h, w, c] = Re sum_{u, v} X[n, c, u, v] e^{+2 pi i (u h / H + v w / W)} / sqrt(H W)`,
 * equal to `numpy.fft.ifft2(X, axes=(2, 3), norm='ortho').real` transposed to NHWC. For the
 * spectrum of a real image this is the exact inverse of `dft2`.
 *
 * @param re real part `[N, C, H, W]`
 * @param im imaginary part `[N, C, H, W]`
 * @returns real images `[N, H, W, C]`
 */
export const idft2Real = (re: tf.Tensor4D, im: tf.Tensor4D): tf.Tensor4D => {
  const [n, c, h, w] = re.shape;
  const mh = matrices(h);
  const mw = matrices(w);
  return tf.tidy(() => {
    const rows = tf.concat([tf.reshape(re, [n * c * h, w]), tf.reshape(im, [n * c * h, w])], 1);
    const [a, b] = halves(matMulConst(rows as tf.Tensor2D, mw.inverse, mw.forward), w); // along W, [NCH, W] each
    const toCols = (part: tf.Tensor2D): tf.Tensor2D =>
      tf.reshape(tf.transpose(tf.reshape(part, [n, c, h, w]), [0, 1, 3, 2]), [n * c * w, h]);
    const real = matMulConst(
      tf.concat([toCols(a), toCols(b)], 1) as tf.Tensor2D,
      mh.realInverse,
      mh.realForward,
    ); // [NCW, H]
    return tf.transpose(tf.reshape(real, [n, c, w, h]), [0, 3, 2, 1]);
  });
};

/**
 * The amplitude `|X| = sqrt(re^2 + im^2 + eps)` of a spectrum, `[N, C, H, W]`. `eps` (default
 * `1e-16`) keeps the gradient finite where the spectrum is exactly zero.
 */
export const amplitude = (s: Spectrum, eps = 1e-16): tf.Tensor4D =>
  tf.tidy(() => tf.sqrt(tf.add(tf.add(tf.square(s.re), tf.square(s.im)), eps)) as tf.Tensor4D);

/**
 * The log-amplitude `log(max(|X|, floor))` of a spectrum, `[N, C, H, W]`, as RT-STORM's
 * `fft_texture_loss` (`torch.abs(X).clamp_min(1e-8).log()`); `floor` defaults to `1e-8`.
 */
export const logAmplitude = (s: Spectrum, floor = 1e-8): tf.Tensor4D =>
  tf.tidy(() => tf.log(tf.maximum(amplitude(s), floor)) as tf.Tensor4D);

/**
 * The non-redundant half `v = 0 .. floor(W / 2)` of a real image's spectrum `[N, C, H, W]`
 * (the columns `numpy.fft.rfft2` returns), by slicing the last axis.
 */
export const halfSpectrum = (s: Spectrum): Spectrum => {
  const [n, c, h, w] = s.re.shape;
  const keep = Math.floor(w / 2) + 1;
  return tf.tidy(() => ({
    re: tf.slice(s.re, [0, 0, 0, 0], [n, c, h, keep]),
    im: tf.slice(s.im, [0, 0, 0, 0], [n, c, h, keep]),
  }));
};
