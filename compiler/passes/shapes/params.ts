/**
 * Parameter descriptors and their naming convention (see `README.md` in this folder; the TF.js
 * lowering mirrors these paths exactly). Builders return lists of `ParamInfo` relative to a net;
 * `prefixed` moves them under a child path.
 */
import type { ParamInfo } from '../../ir/graph.js';

/** A list of parameter descriptors. */
export type Params = ReadonlyArray<ParamInfo>;

/**
 * One trainable parameter. `decay` is false for biases and parameters of rank <= 1 (I-JEPA's
 * rule, which the optimizers read from here).
 */
export const param = (path: string, shape: ReadonlyArray<number>): ParamInfo => ({
  path,
  shape,
  decay: !(path === 'bias' || path.endsWith('.bias')) && shape.length > 1,
  buffer: false,
});

/** A non-trainable buffer (batch-norm running statistics, spectral-norm vectors). */
export const buffer = (path: string, shape: ReadonlyArray<number>): ParamInfo => ({
  path,
  shape,
  decay: false,
  buffer: true,
});

/** The same parameters under `prefix` (`'blocks.0'` + `'norm1.gamma'` -> `'blocks.0.norm1.gamma'`). */
export const prefixed = (prefix: string, params: Params): Params =>
  params.map((p) => ({ ...p, path: `${prefix}.${p.path}` }));

/** Linear: `weight` [in, out], `bias` [out]. */
export const linearParams = (inDim: number, out: number, bias: boolean): Params => [
  param('weight', [inDim, out]),
  ...(bias ? [param('bias', [out])] : []),
];

/** Conv2d: `weight` [k, k, in, out] (HWIO), `bias` [out], buffer `u` [out] with spectral norm. */
export const convParams = (
  kernel: number,
  inCh: number,
  outCh: number,
  bias: boolean,
  spectralNorm = false,
): Params => [
  param('weight', [kernel, kernel, inCh, outCh]),
  ...(bias ? [param('bias', [outCh])] : []),
  ...(spectralNorm ? [buffer('u', [outCh])] : []),
];

/** Norm: `gamma`, `beta` [f] when affine; batch norm adds buffers `movingMean`, `movingVar` [f]. */
export const normParams = (
  kind: 'batch' | 'layer' | 'instance',
  features: number,
  affine: boolean,
): Params => [
  ...(affine ? [param('gamma', [features]), param('beta', [features])] : []),
  ...(kind === 'batch' ? [buffer('movingMean', [features]), buffer('movingVar', [features])] : []),
];

/** Parameter counts in elements: trainable parameters, buffers, and their sum. */
export interface ParamCount {
  readonly trainable: number;
  readonly buffers: number;
  readonly total: number;
}

/** Counts elements of a parameter list, trainable vs buffers. */
export const countParams = (params: Params): ParamCount => {
  const size = (p: ParamInfo): number => p.shape.reduce((a, b) => a * b, 1);
  const trainable = params.filter((p) => !p.buffer).reduce((a, p) => a + size(p), 0);
  const buffers = params.filter((p) => p.buffer).reduce((a, p) => a + size(p), 0);
  return { trainable, buffers, total: trainable + buffers };
};
