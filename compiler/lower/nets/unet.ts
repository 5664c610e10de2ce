/**
 * ST-STORM's generator parts (methods.md 3.2, `models/generator.py`): the U-Net content encoder,
 * the pyramid style encoder, the SPADE decoder and the generator that wires them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator, StylePyramidEncoder, UNetDecoder, UNetEncoder } from '../../ir/net.js';
import { decoderBlocks } from '../../ir/params/convnets.js';
import { applyConv } from './conv.js';
import { applyNorm } from './dense.js';
import { applySpadeBlock } from './spade.js';
import { port, type Inputs, type Lowered, type NetRule, type Scope } from './rule.js';

const IN_EPS = 1e-5;
const down4 = { stride: 2, padding: 1, dilation: 1 } as const;
const same3 = { stride: 1, padding: 1, dilation: 1 } as const;
const point = { stride: 1, padding: 0, dilation: 1 } as const;

type EncoderShape = Pick<UNetEncoder, 'ngf' | 'levels' | 'maxChannels'>;

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
  apply: (n, s, i) => {
    const content = struct(i['content'], 'content');
    const style = struct(i['style'], 'style');
    const tokens = field(style, 'tokens');
    let h = field(content, 'bottleneck');
    for (const [b, blk] of decoderBlocks(n).entries()) {
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
