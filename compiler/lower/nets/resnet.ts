/**
 * ResNet (He et al. 2016; torchvision v1.5: the stride sits on the 3x3 conv of a bottleneck),
 * BatchNorm everywhere, convs without bias, He-normal (fan-out) init, optional zero-init of the
 * last BN of each residual branch (`zero_init_residual`, MoCo v3 R-50).
 */
import * as tf from '@tensorflow/tfjs';
import type { ResNet } from '../../ir/net.js';
import {
  needsDownsample,
  resnetBlockConvs,
  resnetBlocks,
  type ResNetBlock,
} from '../../ir/resnet.js';
import { applyConv } from './conv.js';
import { applyNorm } from './dense.js';
import { port, type NetRule, type Scope } from './rule.js';

const BN_EPS = 1e-5;

const applyBlock = (n: ResNet, s: Scope, b: ResNetBlock, x: tf.Tensor): tf.Tensor => {
  const bs = s.at(b.prefix);
  const convs = resnetBlockConvs(n, b);
  const main = convs.reduce((h, [id, k, stride], idx) => {
    const c = applyConv(
      bs.at(`conv${id}`),
      h,
      { stride, padding: Math.floor(k / 2), dilation: 1 },
      { bias: false },
    );
    const y = applyNorm(bs.at(`bn${id}`), 'batch', c, true, BN_EPS);
    return idx === convs.length - 1 ? y : tf.relu(y);
  }, x);
  const short = needsDownsample(n, b)
    ? applyNorm(
        bs.at('downsample.bn'),
        'batch',
        applyConv(
          bs.at('downsample.conv'),
          x,
          { stride: b.stride, padding: 0, dilation: 1 },
          { bias: false },
        ),
        true,
        BN_EPS,
      )
    : x;
  return tf.relu(tf.add(main, short));
};

/**
 * `ResNet`: stem (conv k, stride, padding k/2 -> BN -> ReLU [-> maxpool 3x3 s2 p1]), stages of
 * basic or bottleneck blocks. `image [B, H, W, in]` -> `pooled [B, C]` or `map [B, h, w, C]`.
 */
export const resnetRule: NetRule<ResNet> = {
  apply: (n, s, i) => {
    const k = n.stem.kernel;
    const stem = applyConv(
      s.at('stem.conv'),
      port(i, 'x'),
      { stride: n.stem.stride, padding: Math.floor(k / 2), dilation: 1 },
      { bias: false },
    );
    let x: tf.Tensor = tf.relu(applyNorm(s.at('stem.bn'), 'batch', stem, true, BN_EPS));
    if (n.stem.maxPool) x = tf.maxPool(x as tf.Tensor4D, 3, 2, 1);
    for (const b of resnetBlocks(n)) x = applyBlock(n, s, b, x);
    return n.output === 'pooled' ? tf.mean(x, [1, 2]) : x;
  },
};
