/**
 * Timing helpers of the kernel micro-benchmark (`bench/kernels.ts`): seeded inputs, one timed run
 * with its result read back, alternating A/B medians, and the printed GFLOP/s comparison.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../compiler/ir/rng.js';

export const randn = (shape: number[], seed = 1): tf.Tensor => {
  const r = Rng.seeded(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => r.normal()),
    shape,
  );
};

/** Milliseconds of one run of `f` (result read back, intermediates disposed). */
export const once = (f: () => tf.Tensor | tf.Tensor[]): number => {
  const t0 = performance.now();
  tf.tidy(() => {
    const r = f();
    for (const t of Array.isArray(r) ? r : [r]) t.dataSync();
  });
  return performance.now() - t0;
};

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The A/B comparison of one naive op (A) and its legal rewrite (B): medians in ms. */
export interface AbResult {
  readonly a?: number;
  readonly b: number;
  readonly err?: string;
}

/**
 * `ab(a, b)`: `reps` alternating A/B runs after one warm-up each; medians in ms, or no `a` (and
 * its error) when A cannot run.
 */
export const abRuns =
  (reps: number) =>
  (a: () => tf.Tensor | tf.Tensor[], b: () => tf.Tensor | tf.Tensor[]): AbResult => {
    let aOk = true;
    let err: string | undefined;
    try {
      once(a);
    } catch (e) {
      aOk = false;
      err = String((e as Error).message)
        .split('\n')[0]!
        .slice(0, 70);
    }
    once(b);
    const ta: number[] = [];
    const tb: number[] = [];
    for (let i = 0; i < reps; i++) {
      if (aOk) ta.push(once(a));
      tb.push(once(b));
    }
    return aOk ? { a: median(ta), b: median(tb) } : { b: median(tb), err };
  };

export const gf = (flops: number, ms: number): string =>
  flops > 0
    ? `${(flops / ms / 1e6).toFixed(2)} GFLOP/s (${ms.toFixed(1)} ms)`
    : `${ms.toFixed(1)} ms`;

export const report = (
  name: string,
  naive: string,
  legal: string,
  flops: number,
  r: AbResult,
): void => {
  const left = r.a === undefined ? `cannot run: ${r.err}` : gf(flops, r.a);
  const ratio = r.a === undefined ? 'n/a' : `${(r.a / r.b).toFixed(1)}x`;
  console.log(
    `${name}\n  naive  ${naive.padEnd(34)} ${left}\n  legal  ${legal.padEnd(34)} ${gf(flops, r.b)}\n  speed-up ${ratio}`,
  );
};
