/**
 * fast-check arbitraries for the whole IR: every `NetNode`, `AugNode`, `LossNode`, `ValueExpr`,
 * schedule, optimizer and `Method`, with numbers inside the domains the codec accepts. Written
 * independently of the codec (from the IR types), so the round-trip property tests both.
 */
import fc from 'fast-check';
import type * as A from '../../../compiler/ir/augment.js';
import type * as L from '../../../compiler/ir/loss.js';
import type * as N from '../../../compiler/ir/net.js';
import type * as M from '../../../compiler/ir/node.js';
import type * as O from '../../../compiler/ir/optim.js';
import type * as S from '../../../compiler/ir/schedule.js';

const noNegZero = (x: number): number => (Object.is(x, -0) ? 0 : x);
const dbl = (c: fc.DoubleConstraints): fc.Arbitrary<number> =>
  fc.double({ noNaN: true, noDefaultInfinity: true, ...c }).map(noNegZero);

const posInt = fc.integer({ min: 1, max: 4096 });
/** Repeat counts (layers, depth, levels, blocks): the codec caps them at `MAX_REPEATS`. */
const repeats = fc.integer({ min: 1, max: 1024 });
const nonNegInt = fc.integer({ min: 0, max: 1000 });
const finite = dbl({});
const unit = dbl({ min: 0, max: 1 });
const fraction = dbl({ min: 0, max: 1, minExcluded: true });
const positive = dbl({ min: 0, minExcluded: true });
const nonNeg = dbl({ min: 0 });
const name = fc.string({ maxLength: 8 });
const ordered = (a: fc.Arbitrary<number>): fc.Arbitrary<readonly [number, number]> =>
  fc.tuple(a, a).map(([x, y]): readonly [number, number] => (x <= y ? [x, y] : [y, x]));

const activationFn = fc.constantFrom<N.ActivationFn>(
  'relu',
  'gelu',
  'silu',
  'leakyRelu',
  'tanh',
  'sigmoid',
  'softplus',
  'identity',
);

const unetEncoder = fc.record<N.UNetEncoder>({
  _tag: fc.constant('UNetEncoder'),
  inChannels: posInt,
  ngf: posInt,
  levels: repeats,
  maxChannels: posInt,
});
const styleEncoder = fc.record<N.StylePyramidEncoder>({
  _tag: fc.constant('StylePyramidEncoder'),
  inChannels: posInt,
  ngf: posInt,
  levels: repeats,
  maxChannels: posInt,
  tokenDim: posInt,
  mapChannels: posInt,
});
const unetDecoder = fc.record<N.UNetDecoder>({
  _tag: fc.constant('UNetDecoder'),
  outChannels: posInt,
  ngf: posInt,
  levels: repeats,
  maxChannels: posInt,
  tokenDim: posInt,
  mapChannels: posInt,
  spadeHidden: posInt,
  spadeRelu: fc.boolean(),
});

const leafNets: ReadonlyArray<fc.Arbitrary<N.NetNode>> = [
  fc.record<N.Linear>({
    _tag: fc.constant('Linear'),
    in: posInt,
    out: posInt,
    bias: fc.boolean(),
    init: fc.constantFrom(
      'xavierUniform',
      'truncNormal02',
      'kaimingNormal',
      'normal001',
      'default',
    ),
  }),
  fc.record<N.Mlp>({
    _tag: fc.constant('Mlp'),
    in: posInt,
    hidden: posInt,
    out: posInt,
    layers: repeats,
    norm: fc.constantFrom('batch', 'layer', 'none'),
    lastNorm: fc.constantFrom('none', 'batch', 'batchNoAffine'),
    activation: activationFn,
    bias: fc.boolean(),
  }),
  fc.record<N.Conv2d>({
    _tag: fc.constant('Conv2d'),
    inChannels: posInt,
    outChannels: posInt,
    kernel: posInt,
    stride: posInt,
    padding: fc.oneof(nonNegInt, fc.constantFrom('same' as const, 'valid' as const)),
    dilation: posInt,
    bias: fc.boolean(),
    spectralNorm: fc.boolean(),
  }),
  fc.record<N.Norm>({
    _tag: fc.constant('Norm'),
    kind: fc.constantFrom('batch', 'layer', 'instance'),
    features: posInt,
    affine: fc.boolean(),
    eps: positive,
  }),
  fc.record<N.Activation>({ _tag: fc.constant('Activation'), fn: activationFn, alpha: finite }),
  fc.record<N.PatchEmbed>({
    _tag: fc.constant('PatchEmbed'),
    inChannels: posInt,
    patch: posInt,
    dim: posInt,
  }),
  fc.record<N.Attention>({
    _tag: fc.constant('Attention'),
    dim: posInt,
    heads: posInt,
    qkvBias: fc.boolean(),
  }),
  fc.record<N.TransformerBlock>({
    _tag: fc.constant('TransformerBlock'),
    dim: posInt,
    heads: posInt,
    mlpRatio: positive,
    qkvBias: fc.boolean(),
    eps: positive,
  }),
  fc.record<N.Vit>({
    _tag: fc.constant('Vit'),
    imageSize: posInt,
    patch: posInt,
    inChannels: posInt,
    dim: posInt,
    depth: repeats,
    heads: posInt,
    mlpRatio: positive,
    qkvBias: fc.boolean(),
    cls: fc.boolean(),
    output: fc.constantFrom('cls', 'mean', 'tokens'),
    stopGradPatchEmbed: fc.boolean(),
    eps: positive,
  }),
  fc.record<N.ResNet>({
    _tag: fc.constant('ResNet'),
    inChannels: posInt,
    stem: fc.record({ channels: posInt, kernel: posInt, stride: posInt, maxPool: fc.boolean() }),
    stages: fc.array(fc.record({ channels: posInt, blocks: repeats, stride: posInt }), {
      maxLength: 4,
    }),
    block: fc.constantFrom('basic', 'bottleneck'),
    zeroInitResidual: fc.boolean(),
    output: fc.constantFrom('pooled', 'map'),
  }),
  unetEncoder,
  styleEncoder,
  fc.record<N.SpadeResBlock>({
    _tag: fc.constant('SpadeResBlock'),
    in: posInt,
    out: posInt,
    mapChannels: posInt,
    tokenDim: posInt,
    hidden: posInt,
    relu: fc.boolean(),
  }),
  unetDecoder,
  fc.record<N.Generator>({
    _tag: fc.constant('Generator'),
    encoder: unetEncoder,
    styleEncoder,
    decoder: unetDecoder,
  }),
  fc.record<N.PatchGan>({
    _tag: fc.constant('PatchGan'),
    inChannels: posInt,
    ndf: posInt,
    layers: repeats,
    spectralNorm: fc.boolean(),
  }),
  fc.record<N.Pool>({ _tag: fc.constant('Pool'), kind: fc.constantFrom('mean', 'cls', 'max') }),
  fc.record<N.Field>({ _tag: fc.constant('Field'), name }),
  fc.constant<N.L2Normalize>({ _tag: 'L2Normalize' }),
  fc.constant<N.Flatten>({ _tag: 'Flatten' }),
  fc.record<N.TransformerPredictor>({
    _tag: fc.constant('TransformerPredictor'),
    inDim: posInt,
    dim: posInt,
    depth: repeats,
    heads: posInt,
    mlpRatio: positive,
    grid: fc.tuple(posInt, posInt),
  }),
  fc.record<N.TokenPredictor>({
    _tag: fc.constant('TokenPredictor'),
    dim: posInt,
    count: posInt,
    heads: posInt,
    hiddenRatio: positive,
  }),
  fc.record<N.FusionHead>({
    _tag: fc.constant('FusionHead'),
    styleDim: posInt,
    contentDim: posInt,
    dim: posInt,
  }),
];

/** Any net, Sequential nesting included. */
export const netArb: fc.Arbitrary<N.NetNode> = fc.letrec<{ net: N.NetNode }>((tie) => ({
  net: fc.oneof(
    { depthSize: 'small', maxDepth: 2 },
    fc.oneof(...leafNets),
    fc.record<N.Sequential>({
      _tag: fc.constant('Sequential'),
      layers: fc.array(tie('net'), { maxLength: 3 }),
    }),
  ),
})).net;

/** A schedule whose values come from `value` (the domain of what it drives). */
const scheduleOf = (value: fc.Arbitrary<number>): fc.Arbitrary<S.Schedule> =>
  fc.oneof(
    fc.record<S.Constant>({ _tag: fc.constant('Constant'), value }),
    fc.record<S.LinearSchedule>({
      _tag: fc.constant('Linear'),
      from: value,
      to: value,
      start: unit,
      end: unit,
    }),
    fc.record<S.CosineSchedule>({
      _tag: fc.constant('Cosine'),
      from: value,
      to: value,
      start: unit,
      end: unit,
    }),
    fc.record<S.WarmupCosine>({
      _tag: fc.constant('WarmupCosine'),
      warmup: unit,
      start: value,
      peak: value,
      end: value,
    }),
  );

/** Any schedule (loss weights); learning rates and decays are >= 0, temperatures > 0, momenta in [0, 1]. */
export const scheduleArb: fc.Arbitrary<S.Schedule> = scheduleOf(finite);
const rateArb = scheduleOf(dbl({ min: 0, max: 10 }));
const temperatureArb = scheduleOf(dbl({ min: 1e-3, max: 10 }));
const momentumArb = scheduleOf(dbl({ min: 0, max: 1 }));

const beta = dbl({ min: 0, max: 1, maxExcluded: true });

/** Any optimizer. */
export const optimizerArb: fc.Arbitrary<O.Optimizer> = fc.oneof(
  fc.record<O.AdamW>({
    _tag: fc.constant('AdamW'),
    lr: rateArb,
    betas: fc.tuple(beta, beta),
    eps: positive,
    weightDecay: rateArb,
    decayAll: fc.boolean(),
  }),
  fc.record<O.Adam>({
    _tag: fc.constant('Adam'),
    lr: rateArb,
    betas: fc.tuple(beta, beta),
    eps: positive,
  }),
  fc.record<O.Lars>({
    _tag: fc.constant('Lars'),
    lr: rateArb,
    momentum: unit,
    weightDecay: rateArb,
    trust: positive,
  }),
  fc.record<O.Sgd>({
    _tag: fc.constant('Sgd'),
    lr: rateArb,
    momentum: unit,
    weightDecay: rateArb,
    nesterov: fc.boolean(),
  }),
);

/** Any augmentation step. */
export const augArb: fc.Arbitrary<A.AugNode> = fc.oneof(
  fc.record<A.RandomResizedCrop>({
    _tag: fc.constant('RandomResizedCrop'),
    size: posInt,
    scale: ordered(fraction),
    ratio: ordered(positive),
  }),
  fc.record<A.HorizontalFlip>({ _tag: fc.constant('HorizontalFlip'), p: unit }),
  fc.record<A.ColorJitter>({
    _tag: fc.constant('ColorJitter'),
    brightness: nonNeg,
    contrast: nonNeg,
    saturation: nonNeg,
    hue: dbl({ min: 0, max: 0.5 }),
    p: unit,
  }),
  fc.record<A.Grayscale>({ _tag: fc.constant('Grayscale'), p: unit }),
  fc.record<A.GaussianBlur>({
    _tag: fc.constant('GaussianBlur'),
    sigma: ordered(positive),
    kernel: fc.integer({ min: 0, max: 20 }).map((k) => (k === 0 ? 0 : 2 * k - 1)),
    p: unit,
  }),
  fc.record<A.Solarize>({ _tag: fc.constant('Solarize'), threshold: unit, p: unit }),
  fc.record<A.SpectralNoise>({
    _tag: fc.constant('SpectralNoise'),
    sigma: nonNeg,
    gamma: nonNeg,
    p: unit,
  }),
  fc.record<A.Resize>({ _tag: fc.constant('Resize'), size: posInt }),
  fc.record<A.Normalize>({
    _tag: fc.constant('Normalize'),
    mean: fc.array(finite, { maxLength: 3 }),
    std: fc.array(positive, { maxLength: 3 }),
  }),
);

const multiBlock = fc.record<A.MultiBlockMask>({
  grid: fc.tuple(posInt, posInt),
  targets: posInt,
  targetScale: ordered(fraction),
  targetAspect: ordered(positive),
  contexts: posInt,
  contextScale: ordered(fraction),
  contextAspect: ordered(positive),
  minKeep: nonNegInt,
  allowOverlap: fc.boolean(),
});

/** Any value expression, nested a few levels. */
export const valueArb: fc.Arbitrary<M.ValueExpr> = fc.letrec<{ value: M.ValueExpr }>((tie) => {
  const v = tie('value');
  const ports = fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), v, { maxKeys: 3 });
  return {
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 3 },
      fc.oneof(
        fc.constant<M.Input>({ _tag: 'Input', name: 'images' }),
        fc.record<M.Ref>({ _tag: fc.constant('Ref'), name }),
        fc.record<M.Masks>({ _tag: fc.constant('Masks'), name, spec: multiBlock }),
        fc.record<M.TokenMask>({
          _tag: fc.constant('TokenMask'),
          name,
          count: posInt,
          ratio: unit,
          bias: nonNeg,
        }),
      ),
      fc.oneof(
        fc.record<M.View>({
          _tag: fc.constant('View'),
          name,
          source: v,
          pipeline: fc.array(augArb, { maxLength: 3 }),
        }),
        fc.record<M.Apply>({
          _tag: fc.constant('Apply'),
          module: name,
          path: fc.array(name, { maxLength: 2 }),
          inputs: ports,
        }),
        fc.record<M.Fn>({ _tag: fc.constant('Fn'), net: netArb, inputs: ports }),
        fc.record<M.FieldOf>({ _tag: fc.constant('FieldOf'), source: v, name }),
        fc.record<M.StopGradient>({ _tag: fc.constant('StopGradient'), source: v }),
        fc.record<M.Gather>({ _tag: fc.constant('Gather'), source: v, index: v }),
        fc.record<M.Permute>({ _tag: fc.constant('Permute'), name, source: v }),
        fc.record<M.Concat>({
          _tag: fc.constant('Concat'),
          sources: fc.array(v, { maxLength: 3 }),
        }),
        fc.record<M.Memory>({
          _tag: fc.constant('Memory'),
          name,
          source: v,
          size: posInt,
          ratio: unit,
        }),
      ),
    ),
  };
}).value;

const v = valueArb;
const s = scheduleArb;

/** Any loss. */
export const lossArb: fc.Arbitrary<L.LossNode> = fc.oneof(
  fc.record<L.InfoNCE>({
    _tag: fc.constant('InfoNCE'),
    query: v,
    key: v,
    temperature: temperatureArb,
    scale: fc.constantFrom('twoTau', 'none'),
  }),
  fc.record<L.InfoNCEQueue>({
    _tag: fc.constant('InfoNCEQueue'),
    query: v,
    key: v,
    temperature: temperatureArb,
    queueSize: posInt,
  }),
  fc.record<L.SmoothL1>({ _tag: fc.constant('SmoothL1'), pred: v, target: v, beta: nonNeg }),
  fc.record<L.L2>({ _tag: fc.constant('L2'), pred: v, target: v }),
  fc.record<L.L1>({ _tag: fc.constant('L1'), pred: v, target: v }),
  fc.record<L.LsganGenerator>({ _tag: fc.constant('LsganGenerator'), fake: v }),
  fc.record<L.LsganDiscriminator>({ _tag: fc.constant('LsganDiscriminator'), real: v, fake: v }),
  fc.record<L.R1>({ _tag: fc.constant('R1'), module: name, real: v, gamma: nonNeg, every: posInt }),
  fc.record<L.PatchNce>({
    _tag: fc.constant('PatchNce'),
    query: v,
    key: v,
    temperature: positive,
    patches: posInt,
  }),
  fc.record<L.TokenL1>({ _tag: fc.constant('TokenL1'), pred: v, target: v }),
  fc.record<L.FftAmplitudeL1>({ _tag: fc.constant('FftAmplitudeL1'), pred: v, target: v }),
  fc.record<L.SlicedWasserstein>({
    _tag: fc.constant('SlicedWasserstein'),
    pred: v,
    target: v,
    projections: posInt,
    patch: posInt,
    maxPatches: posInt,
    levels: posInt,
  }),
  fc.record<L.VicregVariance>({
    _tag: fc.constant('VicregVariance'),
    x: v,
    gamma: nonNeg,
    eps: nonNeg,
  }),
  fc.record<L.VicregCovariance>({ _tag: fc.constant('VicregCovariance'), x: v }),
  fc.record<L.SpadeGate>({ _tag: fc.constant('SpadeGate'), module: name, margin: nonNeg }),
  fc.record<L.MaskedTokenL2>({
    _tag: fc.constant('MaskedTokenL2'),
    pred: v,
    target: v,
    mask: v,
    weights: fc.array(finite, { maxLength: 6 }),
  }),
);

const moduleArb: fc.Arbitrary<M.ModuleDecl> = fc.record<M.ModuleDecl>(
  {
    name,
    net: netArb,
    ema: fc.record<M.EmaSpec>({ source: name, momentum: momentumArb }),
    frozen: fc.array(name, { maxLength: 2 }),
  },
  { requiredKeys: ['name', 'net', 'frozen'] },
);

const objectiveArb = fc.record<M.Objective>({
  name,
  terms: fc.array(fc.record<M.Term>({ name, loss: lossArb, weight: s }), { maxLength: 3 }),
  optimizer: optimizerArb,
  params: fc.array(name, { maxLength: 3 }),
  every: posInt,
  offset: nonNegInt,
  phases: fc.array(name, { maxLength: 2 }),
});

/** Any method (structurally valid JSON; names need not resolve). */
export const methodArb: fc.Arbitrary<M.Method> = fc.record<M.Method>({
  _tag: fc.constant('Method'),
  name,
  input: fc.record({ size: posInt, channels: posInt }),
  training: fc.record({ batch: posInt, steps: posInt }),
  modules: fc.array(moduleArb, { maxLength: 3 }),
  values: fc.array(fc.record<M.ValueDecl>({ name, value: v }), { maxLength: 3 }),
  objectives: fc.array(objectiveArb, { maxLength: 2 }),
  phases: fc.array(fc.record<M.Phase>({ name, steps: posInt }), { maxLength: 2 }),
  representations: fc.array(fc.record<M.Representation>({ name, value: v }), { maxLength: 2 }),
});
