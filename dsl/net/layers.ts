/**
 * Basic layers of `Net`: linear, MLP, conv, norms, activations, and the parameter-free reshapers
 * (pool, field, l2Normalize, flatten). Each returns the IR node typed as a `Net<In, Out, Arch>`.
 */
import type * as IR from '../../compiler/ir/net.js';
import {
  asNet as typed,
  type Any,
  type Img,
  type Net,
  type Pick,
  type Pooled,
  type Same,
  type Vec,
} from '../types.js';

/**
 * `[batch, in] -> [batch, out]`. Defaults: `bias: true`, `init: 'xavierUniform'`.
 * @example
 * ```ts
 * const head = Net.linear({ in: 768, out: 10 }); // Net<Vec<768>, Vec<10>>
 * ```
 */
export const linear = <const I extends number, const O extends number>(o: {
  readonly in: I;
  readonly out: O;
  readonly bias?: boolean;
  readonly init?: IR.InitScheme;
}): Net<Vec<I>, Vec<O>, 'Linear'> =>
  typed({
    _tag: 'Linear',
    in: o.in,
    out: o.out,
    bias: o.bias ?? true,
    init: o.init ?? 'xavierUniform',
  });

/**
 * MoCo v3's `_build_mlp`: `(layers - 1) x [Linear -> norm -> activation]`, a final Linear and an
 * optional last norm. `[batch, in] -> [batch, out]`. Defaults: `layers: 2`, `norm: 'batch'`,
 * `lastNorm: 'none'`, `activation: 'relu'`, `bias: false` (MoCo v3 linears have no bias).
 * @example
 * ```ts
 * const projector = Net.mlp({ in: 768, hidden: 4096, out: 256, layers: 3, lastNorm: 'batchNoAffine' });
 * ```
 */
export const mlp = <const I extends number, const O extends number>(o: {
  readonly in: I;
  readonly hidden: number;
  readonly out: O;
  readonly layers?: number;
  readonly norm?: IR.Mlp['norm'];
  readonly lastNorm?: IR.Mlp['lastNorm'];
  readonly activation?: IR.ActivationFn;
  readonly bias?: boolean;
}): Net<Vec<I>, Vec<O>, 'Mlp'> =>
  typed({
    _tag: 'Mlp',
    in: o.in,
    hidden: o.hidden,
    out: o.out,
    layers: o.layers ?? 2,
    norm: o.norm ?? 'batch',
    lastNorm: o.lastNorm ?? 'none',
    activation: o.activation ?? 'relu',
    bias: o.bias ?? false,
  });

/**
 * 2-D convolution, `[batch, h, w, in] -> [batch, h', w', out]`. Defaults: `stride: 1`,
 * `padding: 'same'`, `dilation: 1`, `bias: true`, `spectralNorm: false`.
 * @example
 * ```ts
 * const down = Net.conv2d({ in: 3, out: 64, kernel: 4, stride: 2, padding: 1 });
 * ```
 */
export const conv2d = <const I extends number, const O extends number>(o: {
  readonly in: I;
  readonly out: O;
  readonly kernel: number;
  readonly stride?: number;
  readonly padding?: number | 'same' | 'valid';
  readonly dilation?: number;
  readonly bias?: boolean;
  readonly spectralNorm?: boolean;
}): Net<Img<I>, Img<O>, 'Conv2d'> =>
  typed({
    _tag: 'Conv2d',
    inChannels: o.in,
    outChannels: o.out,
    kernel: o.kernel,
    stride: o.stride ?? 1,
    padding: o.padding ?? 'same',
    dilation: o.dilation ?? 1,
    bias: o.bias ?? true,
    spectralNorm: o.spectralNorm ?? false,
  });

type NormOptions = { readonly features: number; readonly affine?: boolean; readonly eps?: number };
const norm = (kind: IR.Norm['kind'], o: NormOptions, eps: number): Net<Any, Same, 'Norm'> =>
  typed({ _tag: 'Norm', kind, features: o.features, affine: o.affine ?? true, eps: o.eps ?? eps });

/**
 * BatchNorm over the batch (and spatial axes of images); batch-coupled. Defaults: `affine: true`,
 * `eps: 1e-5`.
 * @example
 * ```ts
 * const bn = Net.batchNorm({ features: 256, affine: false });
 * ```
 */
export const batchNorm = (o: NormOptions): Net<Any, Same, 'Norm'> => norm('batch', o, 1e-5);

/**
 * LayerNorm over the last axis. Defaults: `affine: true`, `eps: 1e-6` (timm ViTs).
 * @example
 * ```ts
 * const ln = Net.layerNorm({ features: 384 });
 * ```
 */
export const layerNorm = (o: NormOptions): Net<Any, Same, 'Norm'> => norm('layer', o, 1e-6);

/**
 * InstanceNorm per sample and channel over the spatial axes (images). Defaults: `affine: true`,
 * `eps: 1e-5`.
 * @example
 * ```ts
 * const inorm = Net.instanceNorm({ features: 64 });
 * ```
 */
export const instanceNorm = (o: NormOptions): Net<Any, Same, 'Norm'> => norm('instance', o, 1e-5);

/**
 * An element-wise activation; `alpha` is the leaky-ReLU slope (default 0.2). Shorthands:
 * `Net.relu`, `Net.gelu`, `Net.silu`, `Net.leakyRelu`, `Net.tanh`, `Net.sigmoid`, `Net.softplus`.
 * @example
 * ```ts
 * const act = Net.activation({ fn: 'leakyRelu', alpha: 0.1 });
 * ```
 */
export const activation = (o: {
  readonly fn: IR.ActivationFn;
  readonly alpha?: number;
}): Net<Any, Same, 'Activation'> => typed({ _tag: 'Activation', fn: o.fn, alpha: o.alpha ?? 0.2 });

/**
 * The activation shorthands, each a ready `Net<Any, Same>`.
 * @example
 * ```ts
 * const block = Net.seq(Net.linear({ in: 8, out: 16 }), Net.relu, Net.linear({ in: 16, out: 4 }));
 * ```
 */
export const activations = {
  relu: activation({ fn: 'relu' }),
  gelu: activation({ fn: 'gelu' }),
  silu: activation({ fn: 'silu' }),
  leakyRelu: activation({ fn: 'leakyRelu' }),
  tanh: activation({ fn: 'tanh' }),
  sigmoid: activation({ fn: 'sigmoid' }),
  softplus: activation({ fn: 'softplus' }),
} as const;

/**
 * Pooling to a vector: `mean` over tokens or spatial axes (default), `cls` takes token 0, `max`
 * over spatial axes. `tokens[batch, n, D] -> [batch, D]`, `image[batch, h, w, C] -> [batch, C]`.
 * @example
 * ```ts
 * const gap = Net.pool({ kind: 'mean' });
 * ```
 */
export const pool = (o: { readonly kind?: IR.Pool['kind'] } = {}): Net<Any, Pooled, 'Pool'> =>
  typed({ _tag: 'Pool', kind: o.kind ?? 'mean' });

/**
 * Picks one field of a struct value, e.g. `tokens` of a style encoder.
 * @example
 * ```ts
 * const tokens = Net.field('tokens');
 * ```
 */
export const field = <K extends string>(name: K): Net<Any, Pick<K>, 'Field'> =>
  typed({ _tag: 'Field', name });

/**
 * Divides by the L2 norm along the last axis (no parameters).
 * @example
 * ```ts
 * const unit = Net.l2Normalize();
 * ```
 */
export const l2Normalize = (): Net<Any, Same, 'L2Normalize'> => typed({ _tag: 'L2Normalize' });

/**
 * `tokens[batch, n, D] -> [batch, n*D]`, `image[batch, h, w, C] -> [batch, h*w*C]`.
 * @example
 * ```ts
 * const flat = Net.flatten();
 * ```
 */
export const flatten = (): Net<Any, Vec, 'Flatten'> => typed({ _tag: 'Flatten' });
