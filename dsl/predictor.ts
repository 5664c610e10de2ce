/**
 * `Predictor`: the networks that map an online representation to a target's (MoCo v3's MLP
 * predictor, the I-JEPA transformer predictor, the Style-JEPA token predictor).
 */
import type * as IR from '../compiler/ir/net.js';
import { asNet } from './types.js';
import type { Net, Tok, Vec } from './types.js';

/**
 * MoCo v3 MLP predictor (methods.md 1.1): `[batch, in] -> [batch, out]`. Defaults (ViT):
 * `hidden: 4096`, `out: in`, `layers: 2`, BN + ReLU inside, `lastNorm: 'batchNoAffine'` (R-50 uses
 * `'none'`), no biases.
 * @example
 * ```ts
 * const predictor = Predictor.mlp({ in: 256 }); // Net<Vec<256>, Vec<256>>: 256 -> 4096 -> 256
 * ```
 */
export const mlp = <const I extends number, const O extends number = I>(o: {
  readonly in: I;
  readonly out?: O;
  readonly hidden?: number;
  readonly layers?: number;
  readonly lastNorm?: IR.Mlp['lastNorm'];
}): Net<Vec<I>, Vec<O>, 'Mlp'> =>
  asNet({
    _tag: 'Mlp',
    in: o.in,
    hidden: o.hidden ?? 4096,
    out: o.out ?? o.in,
    layers: o.layers ?? 2,
    norm: 'batch',
    lastNorm: o.lastNorm ?? 'batchNoAffine',
    activation: 'relu',
    bias: false,
  });

/**
 * I-JEPA transformer predictor (methods.md 2.2). Ports `x` context tokens `[batch, Kc, inDim]`,
 * `context` and `targets` indices; output `[targets*batch, Kt, inDim]`. `grid` is the patch grid
 * (e.g. `[16, 16]` for 224 / 14). Defaults: `dim: 384`, `depth: 12`, `heads: 12`, `mlpRatio: 4`.
 * @example
 * ```ts
 * const predictor = Predictor.transformer({ inDim: 1280, grid: [16, 16], heads: 16 }); // Net<Tok<1280>, Tok<1280>>
 * ```
 */
export const transformer = <const I extends number>(o: {
  readonly inDim: I;
  readonly grid: readonly [number, number];
  readonly dim?: number;
  readonly depth?: number;
  readonly heads?: number;
  readonly mlpRatio?: number;
}): Net<Tok<I>, Tok<I>, 'TransformerPredictor'> =>
  asNet({
    _tag: 'TransformerPredictor',
    inDim: o.inDim,
    dim: o.dim ?? 384,
    depth: o.depth ?? 12,
    heads: o.heads ?? 12,
    mlpRatio: o.mlpRatio ?? 4,
    grid: o.grid,
  });

/**
 * Style-JEPA token predictor (methods.md 3.5): `tokens[batch, count, dim] -> tokens[batch, count, dim]`,
 * residual. Defaults: `dim: 256`, `count: 6`, `heads: 4`, `hiddenRatio: 2`.
 * @example
 * ```ts
 * const predictor = Predictor.tokens({ dim: 256, count: 6 }); // Net<Tok<256>, Tok<256>>
 * ```
 */
export const tokens = <const D extends number = 256>(
  o: {
    readonly dim?: D;
    readonly count?: number;
    readonly heads?: number;
    readonly hiddenRatio?: number;
  } = {},
): Net<Tok<D>, Tok<D>, 'TokenPredictor'> =>
  asNet({
    _tag: 'TokenPredictor',
    dim: o.dim ?? 256,
    count: o.count ?? 6,
    heads: o.heads ?? 4,
    hiddenRatio: o.hiddenRatio ?? 2,
  });

/**
 * The `Predictor` namespace: `mlp` (MoCo v3), `transformer` (I-JEPA), `tokens` (Style-JEPA).
 * @example
 * ```ts
 * const p = Predictor.mlp({ in: 64, hidden: 256 });
 * ```
 */
export const Predictor = { mlp, transformer, tokens } as const;
