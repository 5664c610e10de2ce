/**
 * ST-STORM's generator parts (methods.md 3.2, `models/generator.py`): the U-Net content encoder,
 * the pyramid style encoder, the SPADE decoder and the generator that wires them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator, StylePyramidEncoder, UNetDecoder, UNetEncoder } from '../../ir/net.js';
import { applyConv, convSpecs } from './conv.js';
import { applyNorm, normSpecs } from './dense.js';
import { applySpadeBlock, spadeBlockSpecs } from './spade.js';
import {
  port,
  under,
  type Inputs,
  type Lowered,
  type NetRule,
  type ParamSpec,
  type Scope,
} from './rule.js';

const IN_EPS = 1e-5;
const down4 = { stride: 2, padding: 1, dilation: 1 } as const;
const same3 = { stride: 1, padding: 1, dilation: 1 } as const;
const point = { stride: 1, padding: 0, dilation: 1 } as const;

type EncoderShape = Pick<UNetEncoder, 'ngf' | 'levels' | 'maxChannels'>;

/** Channels of level `l` (0-based; `l = levels` is the bottleneck): `min(ngf * 2^l, maxChannels)`. */
export const levelChannels = (n: EncoderShape, l: number): number =>
  Math.min(n.ngf * 2 ** l, n.maxChannels);

const downSpecs = (cin: number, c: number): ReadonlyArray<ParamSpec> => [
  ...under('conv', convSpecs(4, cin, c, { bias: true })),
  ...under('norm', normSpecs('instance', c, true)),
];

const encoderSpecs = (
  n: EncoderShape & { readonly inChannels: number },
): ReadonlyArray<ParamSpec> => {
  const L = n.levels;
  return [
    ...Array.from({ length: L }, (_, l) =>
      under(
        `down.${l}`,
        downSpecs(l === 0 ? n.inChannels : levelChannels(n, l - 1), levelChannels(n, l)),
      ),
    ).flat(),
    ...under('bottleneck.down', downSpecs(levelChannels(n, L - 1), levelChannels(n, L))),
    ...under(
      'bottleneck.conv',
      convSpecs(3, levelChannels(n, L), levelChannels(n, L), { bias: true }),
    ),
    ...under('bottleneck.norm', normSpecs('instance', levelChannels(n, L), true)),
  ];
};

const inRelu = (s: Scope, x: tf.Tensor): tf.Tensor =>
  tf.relu(applyNorm(s, 'instance', x, true, IN_EPS));
const down = (s: Scope, x: tf.Tensor): tf.Tensor =>
  inRelu(s.at('norm'), applyConv(s.at('conv'), x, down4, { bias: true }));

/** Encoder features: `skip1 .. skipL` (largest first) and `bottleneck`. */
const encode = (n: EncoderShape, s: Scope, x: tf.Tensor): Record<string, tf.Tensor> => {
  const out: Record<string, tf.Tensor> = {};
  let h = x;
  for (let l = 0; l < n.levels; l++) {
    h = down(s.at(`down.${l}`), h);
    out[`skip${l + 1}`] = h;
  }
  h = down(s.at('bottleneck.down'), h);
  out['bottleneck'] = inRelu(
    s.at('bottleneck.norm'),
    applyConv(s.at('bottleneck.conv'), h, same3, { bias: true }),
  );
  return out;
};

/** `UNetEncoder`: `levels` x Down (conv4 s2 p1 -> IN(affine) -> ReLU), bottleneck Down + conv3x3/IN/ReLU. */
export const unetEncoderRule: NetRule<UNetEncoder> = {
  params: encoderSpecs,
  apply: (n, s, i) => encode(n, s, port(i, 'x')),
};

/** Style map at level `l` (1-based) from a feature map, by the style encoder's map head. */
const mapHead = (s: Scope, l: number, feature: tf.Tensor): tf.Tensor =>
  applyConv(s.at(`mapHeads.${l - 1}`), feature, same3, { bias: true });

const tokenHead = (s: Scope, feature: tf.Tensor): tf.Tensor => {
  const pooled = tf.mean(feature, [1, 2], true);
  const t = applyConv(s, pooled, point, { bias: true });
  return t.reshape([t.shape[0]!, t.shape[3]!]);
};

/**
 * `StylePyramidEncoder`: the encoder topology with its own weights, map heads (conv3x3 -> mapChannels)
 * and token heads (GAP -> 1x1 conv -> tokenDim) per level, a global token from the bottleneck.
 * Output `{ tokens [B, L+1, tokenDim] ([global, level L, ..., level 1]), map1 .. mapL }`.
 */
export const styleEncoderRule: NetRule<StylePyramidEncoder> = {
  params: (n) => [
    ...encoderSpecs(n),
    ...Array.from({ length: n.levels }, (_, l) => [
      ...under(`mapHeads.${l}`, convSpecs(3, levelChannels(n, l), n.mapChannels, { bias: true })),
      ...under(`tokenHeads.${l}`, convSpecs(1, levelChannels(n, l), n.tokenDim, { bias: true })),
    ]).flat(),
    ...under('globalToken', convSpecs(1, levelChannels(n, n.levels), n.tokenDim, { bias: true })),
  ],
  apply: (n, s, i) => {
    const f = encode(n, s, port(i, 'x'));
    const levels = Array.from({ length: n.levels }, (_, k) => n.levels - k); // L .. 1
    const tokens = [
      tokenHead(s.at('globalToken'), f['bottleneck']!),
      ...levels.map((l) => tokenHead(s.at(`tokenHeads.${l - 1}`), f[`skip${l}`]!)),
    ];
    const out: Record<string, tf.Tensor> = { tokens: tf.stack(tokens, 1) };
    for (let l = 1; l <= n.levels; l++) out[`map${l}`] = mapHead(s, l, f[`skip${l}`]!);
    return out;
  },
};

const upsample2 = (s: Scope, x: tf.Tensor): tf.Tensor4D => s.kernels.upsample2(x as tf.Tensor4D);

/** Decoder block `i` (level `L - i`): widths. */
const decoderBlock = (n: UNetDecoder, i: number) => {
  const l = n.levels - i;
  const c = levelChannels(n, l - 1);
  const prev = i === 0 ? levelChannels(n, n.levels) : levelChannels(n, l);
  return { in: prev + c, out: c, mapChannels: n.mapChannels, tokenDim: n.tokenDim, level: l };
};

const struct = (v: Lowered | undefined, what: string): Readonly<Record<string, Lowered>> => {
  if (v === undefined || v instanceof tf.Tensor)
    throw new Error(`lowering: UNetDecoder port "${what}" must be a struct`);
  return v;
};

const field = (v: Readonly<Record<string, Lowered>>, name: string): tf.Tensor => port(v, name);

/**
 * `UNetDecoder`: per level L..1: up x2 (nearest) -> concat skip -> SpadeResBlock(map_l, token t_l);
 * then conv3x3 -> ReLU -> up x2 -> conv3x3 -> tanh. Ports `content`, `style` (structs).
 */
export const unetDecoderRule: NetRule<UNetDecoder> = {
  params: (n) => [
    ...Array.from({ length: n.levels }, (_, i) =>
      under(`blocks.${i}`, spadeBlockSpecs(decoderBlock(n, i))),
    ).flat(),
    ...under('head.conv1', convSpecs(3, levelChannels(n, 0), levelChannels(n, 0), { bias: true })),
    ...under('head.conv2', convSpecs(3, levelChannels(n, 0), n.outChannels, { bias: true })),
  ],
  apply: (n, s, i) => {
    const content = struct(i['content'], 'content');
    const style = struct(i['style'], 'style');
    const tokens = field(style, 'tokens');
    let h = field(content, 'bottleneck');
    for (let b = 0; b < n.levels; b++) {
      const blk = decoderBlock(n, b);
      const x = tf.concat([upsample2(s, h), field(content, `skip${blk.level}`)], 3);
      const token = tokens
        .slice([0, 1 + b, 0], [tokens.shape[0]!, 1, n.tokenDim])
        .reshape([-1, n.tokenDim]);
      h = applySpadeBlock(s.at(`blocks.${b}`), blk, x, field(style, `map${blk.level}`), token);
    }
    const head = tf.relu(applyConv(s.at('head.conv1'), h, same3, { bias: true }));
    return tf.tanh(applyConv(s.at('head.conv2'), upsample2(s, head), same3, { bias: true }));
  },
};

/**
 * `Generator` `G(x, style = y)`: content encoder on `x`, style tokens from `y`; as in the reference
 * code, the SPADE spatial maps are the style encoder's map heads applied to the CONTENT skips.
 */
export const generatorRule: NetRule<Generator> = {
  params: (n, parts) => [
    ...under('encoder', parts.params(n.encoder)),
    ...under('styleEncoder', parts.params(n.styleEncoder)),
    ...under('decoder', parts.params(n.decoder)),
  ],
  apply: (n, s, i, parts) => {
    const content = parts.run(n.encoder, s.at('encoder'), { x: port(i, 'x') }) as Record<
      string,
      tf.Tensor
    >;
    const styled = parts.run(n.styleEncoder, s.at('styleEncoder'), {
      x: port(i, 'style'),
    }) as Record<string, tf.Tensor>;
    const maps: Record<string, tf.Tensor> = {};
    for (let l = 1; l <= n.styleEncoder.levels; l++)
      maps[`map${l}`] = mapHead(s.at('styleEncoder'), l, content[`skip${l}`]!);
    const style: Inputs = { tokens: styled['tokens']!, ...maps };
    return parts.run(n.decoder, s.at('decoder'), { content, style });
  },
};
