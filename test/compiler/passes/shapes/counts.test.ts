/**
 * Parameter and FLOP counts of reference architectures against `test/fixtures/shapes.json`
 * (plain-python first-principles counts, cross-checked there with timm / torchvision totals).
 */
import { describe, expect, it } from 'vitest';
import { BATCH, tensor, type NetNode, type ValueType } from '../../../../compiler/ir/index.js';
import {
  countParams,
  inferNet,
  netParams,
  type NetInfo,
} from '../../../../compiler/passes/shapes/index.js';
import { loadFixture } from '../../../fixtures/fixture.js';
import { linear, mocoMlp, resnet50, vit } from './nets.js';

interface Fixture {
  readonly params: Record<string, number>;
  readonly published: Record<string, number>;
  readonly flops: Record<string, number>;
}
const fx = loadFixture<Fixture>('shapes');

const ok = (net: NetNode, inputs: Record<string, ValueType>, batch = 1): NetInfo => {
  const r = inferNet(net, inputs, ['net'], batch);
  if (r._tag === 'Left') throw new Error(JSON.stringify(r.left, null, 2));
  return r.right;
};
const image = (size: number, c = 3) => tensor('image', [BATCH, size, size, c]);
const trainable = (net: NetNode) => countParams(netParams(net)).trainable;

describe('parameter counts (exact integers)', () => {
  it('ViT-S/16 backbone: 21,590,016 = timm 22,050,664 - learned pos-embed - 1000-class head', () => {
    const n = trainable(vit({ dim: 384, depth: 12, heads: 12 }));
    expect(n).toBe(fx.params['vitS16']);
    expect(n + fx.published['vitS16PosEmbed']! + fx.published['vitS16Head']!).toBe(
      fx.published['timmVitS16WithPosAndHead'],
    );
  });

  it('ViT-S/16 with 6 heads (timm) has the same count as with 12 (MoCo v3)', () => {
    expect(trainable(vit({ dim: 384, depth: 12, heads: 6 }))).toBe(
      trainable(vit({ dim: 384, depth: 12, heads: 12 })),
    );
  });

  it('ViT-B/16 backbone: 85,647,360 = timm 86,567,656 - pos-embed - head', () => {
    const n = trainable(vit({ dim: 768, depth: 12, heads: 12 }));
    expect(n).toBe(fx.params['vitB16']);
    expect(n + fx.published['vitB16PosEmbed']! + fx.published['vitB16Head']!).toBe(
      fx.published['timmVitB16WithPosAndHead'],
    );
  });

  it('I-JEPA ViT-H/14 without [CLS]: 630,434,560 (~630M)', () => {
    expect(
      trainable(vit({ dim: 1280, depth: 32, heads: 16, patch: 14, cls: false, output: 'mean' })),
    ).toBe(fx.params['vitH14NoCls']);
  });

  it('ResNet-50 without fc: 23,508,032 trainable (torchvision 25,557,032 with fc), BN buffers counted apart', () => {
    const c = countParams(netParams(resnet50));
    expect(c.trainable).toBe(fx.params['resnet50NoFc']);
    expect(c.trainable + fx.published['resnet50Fc']!).toBe(
      fx.published['torchvisionResnet50WithFc'],
    );
    expect(c.buffers).toBe(fx.params['resnet50NoFcBuffers']);
  });

  it('MoCo v3 projectors and predictors (no bias, BN, last BN without affine)', () => {
    expect(trainable(mocoMlp(768, 4096, 256, 3, true))).toBe(fx.params['mocoVitBProjector']);
    expect(trainable(mocoMlp(384, 4096, 256, 3, true))).toBe(fx.params['mocoVitSProjector']);
    expect(trainable(mocoMlp(256, 4096, 256, 2, true))).toBe(fx.params['mocoVitPredictor']);
    expect(trainable(mocoMlp(2048, 4096, 256, 2, true))).toBe(fx.params['mocoR50Projector']);
    expect(trainable(mocoMlp(256, 4096, 256, 2, false))).toBe(fx.params['mocoR50Predictor']);
  });

  it('the last BN without affine adds only buffers', () => {
    const withBn = countParams(netParams(mocoMlp(256, 4096, 256, 2, true)));
    const without = countParams(netParams(mocoMlp(256, 4096, 256, 2, false)));
    expect(withBn.trainable).toBe(without.trainable);
    expect(withBn.buffers - without.buffers).toBe(2 * 256);
  });
});

describe('FLOPs (multiply-add = 2)', () => {
  it('Linear 768 -> 4096 on a batch of 8: 2 * 8 * 768 * 4096', () => {
    expect(ok(linear(768, 4096), { x: tensor('vector', [BATCH, 768]) }, 8).flops).toBe(
      fx.flops['linear_b8_768_4096'],
    );
  });

  it('Conv2d 3x3 stride 2 pad 1, 16 -> 32 channels on 2 images of 32x32', () => {
    const conv: NetNode = {
      _tag: 'Conv2d',
      inChannels: 16,
      outChannels: 32,
      kernel: 3,
      stride: 2,
      padding: 1,
      dilation: 1,
      bias: true,
      spectralNorm: false,
    };
    const r = ok(conv, { x: image(32, 16) }, 2);
    expect(r.output).toEqual(tensor('image', [BATCH, 16, 16, 32]));
    expect(r.flops).toBe(fx.flops['conv_b2_32x32x16_k3s2p1_to32']);
  });

  it('a ViT-S block on 197 tokens, batch 2: 2 * (24 N D^2 + 4 N^2 D)', () => {
    const block: NetNode = {
      _tag: 'TransformerBlock',
      dim: 384,
      heads: 6,
      mlpRatio: 4,
      qkvBias: true,
      eps: 1e-6,
    };
    const r = ok(block, { x: tensor('tokens', [BATCH, 197, 384]) }, 2);
    expect(r.flops).toBe(fx.flops['vitBlock_b2_n197_d384']);
    expect(r.flops).toBe(2 * (24 * 197 * 384 * 384 + 4 * 197 * 197 * 384));
  });

  it('ViT-B/16 at 224: 35.1 GFLOPs (17.6 GMACs, as fvcore reports)', () => {
    expect(ok(vit({ dim: 768, depth: 12, heads: 12 }), { x: image(224) }).flops).toBe(
      fx.flops['vitB16_b1_224'],
    );
  });

  it('ResNet-50 at 224: 8.17 GFLOPs (4.09 GMACs)', () => {
    const r = ok(resnet50, { x: image(224) });
    expect(r.output).toEqual(tensor('vector', [BATCH, 2048]));
    expect(r.flops).toBe(fx.flops['resnet50_b1_224']);
  });

  it('FLOPs scale linearly with the batch', () => {
    const net = vit({ dim: 64, depth: 2, heads: 4, imageSize: 32, patch: 8 });
    expect(ok(net, { x: image(32) }, 6).flops).toBe(3 * ok(net, { x: image(32) }, 2).flops);
  });
});
