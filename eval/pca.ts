/**
 * Principal component analysis to two dimensions, for the report's scatter plots. The top
 * eigenvectors of the covariance `Xc^T Xc / (n - 1)` are found by orthogonal (block power)
 * iteration on a block of six vectors, applied implicitly as `Xc^T (Xc V)` so the `[dim, dim]` covariance
 * is never formed, followed by a Rayleigh-Ritz step (Jacobi eigen-decomposition of the small
 * projected matrix). Same result as numpy's SVD of the centred data, up to the sign convention
 * below.
 */
import { Rng } from '../compiler/ir/rng.js';

/** The 2-D projection of `[n, dim]` data. */
export interface Pca2 {
  /** Projected points `[n, 2]`, row-major. */
  readonly coords: Float32Array;
  /** The two principal axes `[2, dim]`, unit length; each axis's largest-magnitude entry is positive. */
  readonly components: Float64Array;
  /** Variance along each axis (the covariance eigenvalues). */
  readonly variance: readonly [number, number];
  /** Fraction of the total variance each axis explains. */
  readonly varianceRatio: readonly [number, number];
}

/** Options of `pca2`. */
export interface PcaOptions {
  /** Seed of the random start vectors. Default 0. */
  readonly seed?: number;
  /** Iteration cap. Default 100 (reached only when the 2nd and 7th eigenvalues are close, where the 2-D view is ambiguous anyway). */
  readonly maxIterations?: number;
  /** Stop when the top-2 eigenvalue estimates change less than this, relatively. Default 1e-9 (axes then within ~1e-4 of exact: plenty for a plot); 1e-14 reaches float64 SVD agreement. */
  readonly tolerance?: number;
}

type Mat = Float64Array[];

const centre = (data: Float32Array, n: number, dim: number): Float64Array => {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += data[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= n;
  const xc = new Float64Array(n * dim);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) xc[i * dim + j] = data[i * dim + j]! - mean[j]!;
  return xc;
};

/** `C V = Xc^T (Xc V) / (n - 1)` for a block of vectors, without forming C (one pass over the data). */
const covTimes = (xc: Float64Array, n: number, dim: number, vs: Mat): Mat => {
  const b = vs.length;
  const v = new Float64Array(dim * b); // interleaved [dim][b], so the inner loops are contiguous
  vs.forEach((vk, k) => vk.forEach((x, j) => (v[j * b + k] = x)));
  const out = new Float64Array(dim * b);
  const s = new Float64Array(b);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    s.fill(0);
    for (let j = 0; j < dim; j++) {
      const x = xc[row + j]!;
      for (let k = 0; k < b; k++) s[k]! += x * v[j * b + k]!;
    }
    for (let j = 0; j < dim; j++) {
      const x = xc[row + j]!;
      for (let k = 0; k < b; k++) out[j * b + k]! += s[k]! * x;
    }
  }
  const scale = 1 / Math.max(1, n - 1);
  return vs.map((_, k) => Float64Array.from({ length: dim }, (_, j) => out[j * b + k]! * scale));
};

const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

/**
 * Gram-Schmidt with re-orthogonalisation (two passes), in place. A vector whose residual is
 * negligible (the block exceeds the data's rank) is replaced by a fresh random direction.
 */
const orthonormalize = (vs: Mat, rng: Rng): void => {
  for (let i = 0; i < vs.length; i++) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = Math.sqrt(dot(vs[i]!, vs[i]!));
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < i; j++) {
          const d = dot(vs[i]!, vs[j]!);
          vs[i]!.forEach((x, t) => (vs[i]![t] = x - d * vs[j]![t]!));
        }
      }
      const norm = Math.sqrt(dot(vs[i]!, vs[i]!));
      if (norm > 1e-10 * before && norm > 0) {
        vs[i]!.forEach((x, t) => (vs[i]![t] = x / norm));
        break;
      }
      vs[i] = Float64Array.from(vs[i]!, () => rng.normal());
    }
  }
};

/** Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations: values and column vectors. */
export const jacobiEigen = (a: number[][]): { values: number[]; vectors: number[][] } => {
  const m = a.length;
  const A = a.map((r) => [...r]);
  const V: number[][] = Array.from({ length: m }, (_, i) =>
    Array.from({ length: m }, (_, j) => (i === j ? 1 : 0)),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += A[p]![q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        if (Math.abs(A[p]![q]!) < 1e-300) continue;
        const theta = (A[q]![q]! - A[p]![p]!) / (2 * A[p]![q]!);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = A[k]![p]!,
            akq = A[k]![q]!;
          A[k]![p] = c * akp - s * akq;
          A[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p]![k]!,
            aqk = A[q]![k]!;
          A[p]![k] = c * apk - s * aqk;
          A[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = V[k]![p]!,
            vkq = V[k]![q]!;
          V[k]![p] = c * vkp - s * vkq;
          V[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: A.map((r, i) => r[i]!), vectors: V };
};

/** Rayleigh-Ritz: the block's eigenpairs, largest first, as vectors in the original space. */
const ritz = (vs: Mat, cvs: Mat): { values: number[]; vectors: Mat } => {
  const h = vs.map((v) => cvs.map((cv) => dot(v, cv)));
  const sym = h.map((r, i) => r.map((x, j) => (x + h[j]![i]!) / 2));
  const { values, vectors } = jacobiEigen(sym);
  const order = values.map((_, i) => i).sort((i, j) => values[j]! - values[i]!);
  return {
    values: order.map((i) => values[i]!),
    vectors: order.map((i) => {
      const out = new Float64Array(vs[0]!.length);
      vs.forEach((v, k) => v.forEach((x, t) => (out[t]! += vectors[k]![i]! * x)));
      return out;
    }),
  };
};

const signFix = (v: Float64Array): Float64Array => {
  let at = 0;
  v.forEach((x, i) => (Math.abs(x) > Math.abs(v[at]!) ? (at = i) : undefined));
  return v[at]! < 0 ? v.map((x) => -x) : v;
};

/**
 * The top-2 principal components of row-major `[n, dim]` data (n >= 1, dim >= 1) and the data
 * projected on them. With `dim` 1 the second axis is all zeros.
 */
export const pca2 = (data: Float32Array, dim: number, options: PcaOptions = {}): Pca2 => {
  const n = data.length / dim;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`pca2: ${data.length} values is not a whole number (>= 1) of rows of ${dim}`);
  const rng = Rng.seeded(options.seed ?? 0);
  const xc = centre(data, n, dim);
  const b = Math.min(dim, 6);
  let vs: Mat = Array.from({ length: b }, () =>
    Float64Array.from({ length: dim }, () => rng.normal()),
  );
  orthonormalize(vs, rng);
  let values: number[] = [];
  let vectors: Mat = vs;
  for (let it = 0; it < (options.maxIterations ?? 100); it++) {
    const cvs = covTimes(xc, n, dim, vs);
    const r = ritz(vs, cvs);
    const converged =
      values.length > 0 &&
      [0, 1].every(
        (i) =>
          Math.abs((r.values[i] ?? 0) - (values[i] ?? 0)) <=
          (options.tolerance ?? 1e-9) * Math.max(r.values[0]!, 1e-300),
      );
    values = r.values;
    vectors = r.vectors;
    if (converged) break;
    vs = cvs;
    orthonormalize(vs, rng);
  }
  return project(xc, n, dim, values, vectors);
};

const project = (
  xc: Float64Array,
  n: number,
  dim: number,
  values: number[],
  vectors: Mat,
): Pca2 => {
  const axes = [0, 1].map((i) => (vectors[i] ? signFix(vectors[i]!) : new Float64Array(dim)));
  const coords = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 2; a++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += xc[i * dim + j]! * axes[a]![j]!;
      coords[i * 2 + a] = s;
    }
  }
  let total = 0;
  for (let j = 0; j < xc.length; j++) total += xc[j]! * xc[j]!;
  total /= Math.max(1, n - 1);
  const variance = [Math.max(0, values[0] ?? 0), Math.max(0, values[1] ?? 0)] as const;
  const components = new Float64Array(2 * dim);
  components.set(axes[0]!, 0);
  components.set(axes[1]!, dim);
  return {
    coords,
    components,
    variance,
    varianceRatio: [total > 0 ? variance[0] / total : 0, total > 0 ? variance[1] / total : 0],
  };
};
