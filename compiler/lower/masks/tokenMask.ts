/**
 * The Style-JEPA token mask (ST-STORM, methods.md 3.5, IR `TokenMask`): position `s` of each row
 * is masked with probability `min(1, ratio * imp_s)`, `imp = linspace(bias, 1, count) / mean`,
 * which favours the first (global, coarsest) style tokens. A row may come out with no masked
 * position (probability `prod_s (1 - p_s)`); the loss averages over the masked ones of the batch.
 */
import type { TokenMask } from '../../ir/node.js';
import type { Rng } from '../../ir/rng.js';

/** The masking probability of each position, `[count]`. */
export const tokenMaskProbabilities = (
  node: Pick<TokenMask, 'count' | 'ratio' | 'bias'>,
): Float32Array => {
  const n = node.count;
  const imp = Array.from({ length: n }, (_, s) =>
    n === 1 ? node.bias : node.bias + ((1 - node.bias) * s) / (n - 1),
  );
  const mean = imp.reduce((a, v) => a + v, 0) / n;
  return Float32Array.from(imp, (v) => Math.min(1, (node.ratio * v) / mean));
};

/** Samples `mask [batch, count]` of 0/1 floats (1 = masked, enters the loss), row-major. */
export const sampleTokenMask = (
  node: TokenMask,
  batch: number,
  rng: Rng,
): { readonly data: Float32Array; readonly shape: readonly [number, number] } => {
  const p = tokenMaskProbabilities(node);
  const data = new Float32Array(batch * node.count);
  for (let i = 0; i < data.length; i++) data[i] = rng.bernoulli(p[i % node.count]!) ? 1 : 0;
  return { data, shape: [batch, node.count] };
};
