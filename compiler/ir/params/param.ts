/**
 * One parameter of a net (path, shape, weight decay, buffer flag and initialiser) and the builders
 * every net kind's entry in the parameter table (`./index.ts`) is made of. Paths are dot-joined and
 * relative to the net; `under` moves a part's parameters below its path.
 */
import type { ParamInfo } from '../graph.js';
import { kaimingNormal, ones, zeros, type Init } from './init.js';

/** A parameter with its initialiser: what the shape pass reports and the lowering creates. */
export interface ParamSpec extends ParamInfo {
  readonly init: Init;
}

/** A list of parameter specs, relative to a net. */
export type Params = ReadonlyArray<ParamSpec>;

/**
 * One trainable parameter. `decay` is false for biases and parameters of rank <= 1 (I-JEPA's
 * rule, which the optimizers read from here).
 */
export const param = (path: string, shape: ReadonlyArray<number>, init: Init): ParamSpec => ({
  path,
  shape,
  decay: !(path === 'bias' || path.endsWith('.bias')) && shape.length > 1,
  buffer: false,
  init,
});

/** A non-trainable buffer (batch-norm running statistics, spectral-norm vectors). */
export const buffer = (path: string, shape: ReadonlyArray<number>, init: Init): ParamSpec => ({
  path,
  shape,
  decay: false,
  buffer: true,
  init,
});

/** The same parameters under `prefix` (`'blocks.0'` + `'norm1.gamma'` -> `'blocks.0.norm1.gamma'`). */
export const under = (prefix: string, params: Params): Params =>
  params.map((p) => ({ ...p, path: `${prefix}.${p.path}` }));

/** Linear: `weight` [in, out] (initialised by `init`), zero `bias` [out] (if `bias`). */
export const linearParams = (inDim: number, out: number, bias: boolean, init: Init): Params => [
  param('weight', [inDim, out], init),
  ...(bias ? [param('bias', [out], zeros)] : []),
];

/**
 * Conv2d: `weight` [k, k, in, out] (HWIO; default init He normal, fan-out), zero `bias` [out],
 * spectral-norm buffer `u` [out] (a random unit vector).
 */
export const convParams = (
  k: number,
  inCh: number,
  outCh: number,
  opts: { readonly bias: boolean; readonly spectralNorm?: boolean; readonly init?: Init },
): Params => [
  param('weight', [k, k, inCh, outCh], opts.init ?? kaimingNormal(k * k * outCh)),
  ...(opts.bias ? [param('bias', [outCh], zeros)] : []),
  ...(opts.spectralNorm ? [buffer('u', [outCh], { kind: 'unitNormal' })] : []),
];

/**
 * Norm: `gamma` 1 (0 with `zeroGamma`), `beta` 0 [f] when affine; batch norm adds the buffers
 * `movingMean` 0, `movingVar` 1 [f].
 */
export const normParams = (
  kind: 'batch' | 'layer' | 'instance',
  features: number,
  affine: boolean,
  zeroGamma = false,
): Params => [
  ...(affine
    ? [param('gamma', [features], zeroGamma ? zeros : ones), param('beta', [features], zeros)]
    : []),
  ...(kind === 'batch'
    ? [buffer('movingMean', [features], zeros), buffer('movingVar', [features], ones)]
    : []),
];
