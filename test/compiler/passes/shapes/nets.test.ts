/**
 * `inferNet` on every net kind: output types, parameter paths (the convention the lowering
 * mirrors), decay flags, and the issues (E_KIND, E_SHAPE, E_DIVISIBILITY, E_PORT, E_RANGE).
 */
import { describe, expect, it } from 'vitest';
import {
  BATCH,
  NET_TAGS,
  struct,
  tensor,
  type NetNode,
  type ValueType,
} from '../../../../compiler/ir/index.js';
import type { Issue } from '../../../../compiler/ir/issue.js';
import {
  countParams,
  inferNet,
  NET_RULES,
  netParams,
  subNet,
  type NetInfo,
} from '../../../../compiler/passes/shapes/index.js';
import { linear, mocoMlp, resnet50, tinyGenerator, tinyPatchGan, vit } from './nets.js';

const run = (net: NetNode, inputs: Record<string, ValueType>, batch = 2) =>
  inferNet(net, inputs, ['modules', 0, 'net'], batch);
const ok = (net: NetNode, inputs: Record<string, ValueType>, batch = 2): NetInfo => {
  const r = run(net, inputs, batch);
  if (r._tag === 'Left') throw new Error(JSON.stringify(r.left, null, 2));
  return r.right;
};
const fail = (net: NetNode, inputs: Record<string, ValueType>): ReadonlyArray<Issue> => {
  const r = run(net, inputs);
  if (r._tag === 'Right') throw new Error(`expected issues, got ${JSON.stringify(r.right.output)}`);
  return r.left;
};
const img = (size: number, c = 3): ValueType => tensor('image', [BATCH, size, size, c]);
const vec = (d: number): ValueType => tensor('vector', [BATCH, d]);
const tok = (n: number, d: number): ValueType => tensor('tokens', [BATCH, n, d]);
const tinyVit = (o: Partial<Parameters<typeof vit>[0]> = {}) =>
  vit({ dim: 32, depth: 2, heads: 4, imageSize: 32, patch: 8, ...o });

describe('the rule table', () => {
  it('has exactly one rule per net tag', () => {
    expect(Object.keys(NET_RULES).sort()).toEqual([...NET_TAGS].sort());
  });
});

describe('output types of every net kind', () => {
  const spade: NetNode = {
    _tag: 'SpadeResBlock',
    in: 8,
    out: 4,
    mapChannels: 4,
    tokenDim: 16,
    hidden: 8,
    relu: true,
  };
  const cases: ReadonlyArray<readonly [string, NetNode, Record<string, ValueType>, ValueType]> = [
    ['Linear on tokens', linear(16, 8), { x: tok(5, 16) }, tok(5, 8)],
    ['Mlp', mocoMlp(16, 32, 8, 3, true), { x: vec(16) }, vec(8)],
    [
      'Conv2d same stride 2',
      {
        _tag: 'Conv2d',
        inChannels: 3,
        outChannels: 6,
        kernel: 3,
        stride: 2,
        padding: 'same',
        dilation: 1,
        bias: false,
        spectralNorm: false,
      },
      { x: img(15) },
      tensor('image', [BATCH, 8, 8, 6]),
    ],
    [
      'Conv2d valid dilated',
      {
        _tag: 'Conv2d',
        inChannels: 3,
        outChannels: 6,
        kernel: 3,
        stride: 1,
        padding: 'valid',
        dilation: 2,
        bias: true,
        spectralNorm: false,
      },
      { x: img(10) },
      tensor('image', [BATCH, 6, 6, 6]),
    ],
    [
      'Norm',
      { _tag: 'Norm', kind: 'layer', features: 16, affine: true, eps: 1e-6 },
      { x: tok(3, 16) },
      tok(3, 16),
    ],
    ['Activation', { _tag: 'Activation', fn: 'gelu', alpha: 0.2 }, { x: vec(7) }, vec(7)],
    [
      'PatchEmbed',
      { _tag: 'PatchEmbed', inChannels: 3, patch: 4, dim: 16 },
      { x: img(16) },
      tok(16, 16),
    ],
    [
      'Attention',
      { _tag: 'Attention', dim: 16, heads: 4, qkvBias: true },
      { x: tok(5, 16) },
      tok(5, 16),
    ],
    [
      'TransformerBlock',
      { _tag: 'TransformerBlock', dim: 16, heads: 2, mlpRatio: 4, qkvBias: true, eps: 1e-6 },
      { x: tok(5, 16) },
      tok(5, 16),
    ],
    ['Vit cls', tinyVit(), { x: img(32) }, vec(32)],
    ['Vit tokens', tinyVit({ cls: false, output: 'tokens' }), { x: img(32) }, tok(16, 32)],
    [
      'Vit tokens with keep',
      tinyVit({ cls: false, output: 'tokens' }),
      { x: img(32), keep: tensor('index', [BATCH, 'Kctx']) },
      tensor('tokens', [BATCH, 'Kctx', 32]),
    ],
    [
      'ResNet map',
      { ...resnet50, output: 'map' },
      { x: img(64) },
      tensor('image', [BATCH, 2, 2, 2048]),
    ],
    [
      'UNetEncoder',
      tinyGenerator.encoder,
      { x: img(32) },
      struct({ skip1: img(16, 8), skip2: img(8, 16), bottleneck: img(4, 16) }),
    ],
    [
      'StylePyramidEncoder',
      tinyGenerator.styleEncoder,
      { x: img(32) },
      struct({ tokens: tok(3, 16), map1: img(16, 4), map2: img(8, 4) }),
    ],
    ['SpadeResBlock', spade, { x: img(8, 8), map: img(8, 4), token: vec(16) }, img(8, 4)],
    [
      'UNetDecoder',
      tinyGenerator.decoder,
      {
        content: struct({ skip1: img(16, 8), skip2: img(8, 16), bottleneck: img(4, 16) }),
        style: struct({ tokens: tok(3, 16), map1: img(16, 4), map2: img(8, 4) }),
      },
      img(32),
    ],
    ['Generator', tinyGenerator, { x: img(32), style: img(32) }, img(32)],
    ['PatchGan', tinyPatchGan, { x: img(32) }, tensor('image', [BATCH, 3, 3, 1])],
    [
      'Sequential',
      { _tag: 'Sequential', layers: [tinyVit(), mocoMlp(32, 64, 8, 2, true)] },
      { x: img(32) },
      vec(8),
    ],
    ['Pool mean of an image', { _tag: 'Pool', kind: 'mean' }, { x: img(4, 7) }, vec(7)],
    ['Field', { _tag: 'Field', name: 'tokens' }, { x: struct({ tokens: tok(6, 4) }) }, tok(6, 4)],
    ['L2Normalize', { _tag: 'L2Normalize' }, { x: vec(5) }, vec(5)],
    ['Flatten', { _tag: 'Flatten' }, { x: tok(6, 4) }, vec(24)],
    [
      'TransformerPredictor',
      {
        _tag: 'TransformerPredictor',
        inDim: 32,
        dim: 16,
        depth: 1,
        heads: 4,
        mlpRatio: 4,
        grid: [4, 4],
      },
      {
        x: tensor('tokens', [BATCH, 'Kctx', 32]),
        context: tensor('index', [BATCH, 'Kctx']),
        targets: tensor('index', [4, BATCH, 'Ktgt']),
      },
      tensor('tokens', ['4*B', 'Ktgt', 32]),
    ],
    [
      'TokenPredictor',
      { _tag: 'TokenPredictor', dim: 16, count: 6, heads: 4, hiddenRatio: 2 },
      { x: tok(6, 16) },
      tok(6, 16),
    ],
    [
      'FusionHead',
      { _tag: 'FusionHead', styleDim: 12, contentDim: 20, dim: 8 },
      { style: vec(12), content: vec(20) },
      vec(8),
    ],
  ];
  it('covers every net kind', () => {
    expect(new Set(cases.map(([, n]) => n._tag))).toEqual(new Set(NET_TAGS));
  });
  it.each(cases)('%s', (_name, net, inputs, want) => {
    const r = ok(net, inputs);
    expect(r.output).toEqual(want);
    expect(r.flops).toBeGreaterThanOrEqual(0);
  });
});

describe('parameter paths (the parameter table, which compiler/lower reads too)', () => {
  const paths = (n: NetNode) => netParams(n).map((p) => p.path);
  const layout = (n: NetNode) => netParams(n).map(({ init: _init, ...p }) => p);

  it('Linear, Conv2d with spectral norm, batch Norm', () => {
    expect(layout(linear(4, 3))).toEqual([
      { path: 'weight', shape: [4, 3], decay: true, buffer: false },
      { path: 'bias', shape: [3], decay: false, buffer: false },
    ]);
    expect(
      layout({
        _tag: 'Conv2d',
        inChannels: 2,
        outChannels: 5,
        kernel: 3,
        stride: 1,
        padding: 1,
        dilation: 1,
        bias: true,
        spectralNorm: true,
      }),
    ).toEqual([
      { path: 'weight', shape: [3, 3, 2, 5], decay: true, buffer: false },
      { path: 'bias', shape: [5], decay: false, buffer: false },
      { path: 'u', shape: [5], decay: false, buffer: true },
    ]);
    expect(
      netParams({ _tag: 'Norm', kind: 'batch', features: 3, affine: true, eps: 1e-5 }).map((p) => [
        p.path,
        p.buffer,
      ]),
    ).toEqual([
      ['gamma', false],
      ['beta', false],
      ['movingMean', true],
      ['movingVar', true],
    ]);
  });

  it('Mlp: layers.<i>.linear / layers.<i>.norm, last BN without affine has only buffers', () => {
    expect(paths(mocoMlp(8, 16, 4, 2, true))).toEqual([
      'layers.0.linear.weight',
      'layers.0.norm.gamma',
      'layers.0.norm.beta',
      'layers.0.norm.movingMean',
      'layers.0.norm.movingVar',
      'layers.1.linear.weight',
      'layers.1.norm.movingMean',
      'layers.1.norm.movingVar',
    ]);
  });

  it('Vit: patchEmbed, cls, blocks.<i>.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}, norm; no position parameter', () => {
    const p = paths(tinyVit({ depth: 1 }));
    expect(p).toEqual([
      'patchEmbed.weight',
      'patchEmbed.bias',
      'cls',
      'blocks.0.norm1.gamma',
      'blocks.0.norm1.beta',
      'blocks.0.attn.qkv.weight',
      'blocks.0.attn.qkv.bias',
      'blocks.0.attn.proj.weight',
      'blocks.0.attn.proj.bias',
      'blocks.0.norm2.gamma',
      'blocks.0.norm2.beta',
      'blocks.0.mlp.fc1.weight',
      'blocks.0.mlp.fc1.bias',
      'blocks.0.mlp.fc2.weight',
      'blocks.0.mlp.fc2.bias',
      'norm.gamma',
      'norm.beta',
    ]);
    expect(netParams(tinyVit()).find((x) => x.path === 'patchEmbed.weight')?.shape).toEqual([
      8, 8, 3, 32,
    ]);
  });

  it('ResNet: stem, stages.<s>.<b>.convK / bnK, downsample only where needed', () => {
    const p = paths(resnet50);
    expect(p.slice(0, 6)).toEqual([
      'stem.conv.weight',
      'stem.bn.gamma',
      'stem.bn.beta',
      'stem.bn.movingMean',
      'stem.bn.movingVar',
      'stages.0.0.conv1.weight',
    ]);
    expect(p.filter((x) => x.endsWith('downsample.conv.weight'))).toEqual([
      'stages.0.0.downsample.conv.weight',
      'stages.1.0.downsample.conv.weight',
      'stages.2.0.downsample.conv.weight',
      'stages.3.0.downsample.conv.weight',
    ]);
    expect(netParams(resnet50).find((x) => x.path === 'stages.1.0.conv2.weight')?.shape).toEqual([
      3, 3, 128, 128,
    ]);
  });

  it('Sequential prefixes <i>., Generator encoder./styleEncoder./decoder., and subNet returns a consistent prefix', () => {
    expect(
      paths({ _tag: 'Sequential', layers: [{ _tag: 'Pool', kind: 'cls' }, linear(2, 2, false)] }),
    ).toEqual(['1.weight']);
    const all = netParams(tinyGenerator);
    const part = subNet(tinyGenerator, ['styleEncoder']);
    if (part._tag === 'Left') throw new Error(part.left);
    expect(part.right.prefix).toBe('styleEncoder');
    expect(all.filter((p) => p.path.startsWith('styleEncoder.')).map((p) => p.path)).toEqual(
      netParams(part.right.net).map((p) => `styleEncoder.${p.path}`),
    );
    expect(subNet(tinyGenerator, ['discriminator'])._tag).toBe('Left');
  });

  it('the decoder has one SPADE block per level with in = previous + skip channels', () => {
    const p = netParams(tinyGenerator.decoder);
    expect(p.find((x) => x.path === 'blocks.0.conv1.weight')?.shape).toEqual([3, 3, 32, 16]);
    expect(p.find((x) => x.path === 'blocks.1.conv1.weight')?.shape).toEqual([3, 3, 24, 8]);
    expect(p.filter((x) => x.path.endsWith('gates')).map((x) => x.shape)).toEqual([
      [4],
      [4],
      [4],
      [4],
    ]);
  });

  it('decay is false exactly for biases and rank <= 1 parameters; buffers are never trainable', () => {
    for (const net of [tinyVit(), resnet50, tinyGenerator, tinyPatchGan] as NetNode[]) {
      for (const p of netParams(net)) {
        expect(p.decay).toBe(!p.buffer && !p.path.endsWith('bias') && p.shape.length > 1);
      }
    }
    expect(countParams(netParams(tinyPatchGan)).buffers).toBe(8 + 16 + 32 + 1);
  });
});

describe('issues', () => {
  it('E_SHAPE names expected and got and a hint with the fix', () => {
    const [i] = fail(mocoMlp(256, 4096, 256, 2, true), { x: vec(4096) });
    expect(i).toMatchObject({
      code: 'E_SHAPE',
      path: ['modules', 0, 'net'],
      expected: 'vector[B, 256]',
      got: 'vector[B, 4096]',
    });
    expect(i?.hint).toBe('Net.mlp({ in: 4096, ... })');
  });

  it('E_SHAPE hints at the producing module when the caller says where the input came from', () => {
    const r = inferNet(mocoMlp(256, 4096, 256, 2, true), { x: vec(4096) }, ['values', 2], 8, {
      sources: { x: 'projector' },
    });
    expect(r._tag === 'Left' && r.left[0]?.hint).toBe(
      'Net.mlp({ in: 4096, ... }) or give the projector out: 256',
    );
    expect(r._tag === 'Left' && r.left[0]?.got).toBe('vector[B, 4096] from projector');
  });

  it('E_KIND: tokens where a vector is expected, with a pooling hint', () => {
    const [i] = fail(mocoMlp(32, 64, 8, 2, true), { x: { _tag: 'Struct', fields: {} } });
    expect(i?.code).toBe('E_KIND');
    const [j] = fail(
      { _tag: 'FusionHead', styleDim: 4, contentDim: 4, dim: 4 },
      { style: tok(2, 4), content: vec(4) },
    );
    expect(j).toMatchObject({ code: 'E_KIND' });
    expect(j?.hint).toMatch(/pool/);
  });

  it('E_DIVISIBILITY: image size by patch, dim by heads, U-Net size by 2^(levels+1)', () => {
    const codes = fail(tinyVit({ imageSize: 30, heads: 5 }), { x: img(30) }).map((i) => i.code);
    expect(codes.filter((c) => c === 'E_DIVISIBILITY').length).toBeGreaterThanOrEqual(2);
    expect(fail(tinyGenerator.encoder, { x: img(36) })[0]?.code).toBe('E_DIVISIBILITY');
    expect(
      fail({ _tag: 'Attention', dim: 10, heads: 4, qkvBias: true }, { x: tok(2, 10) })[0]?.code,
    ).toBe('E_DIVISIBILITY');
  });

  it('E_SHAPE: a ViT applied to images of another size', () => {
    const [i] = fail(tinyVit(), { x: img(64) });
    expect(i).toMatchObject({ code: 'E_SHAPE', expected: 'image[B, 32, 32, 3]' });
  });

  it('E_PORT: missing and unexpected ports', () => {
    const missing = fail(tinyGenerator, { x: img(32) });
    expect(missing[0]).toMatchObject({ code: 'E_PORT' });
    expect(missing[0]?.message).toMatch(/style/);
    const extra = fail(linear(2, 2), { x: vec(2), keep: vec(2) });
    expect(extra[0]?.message).toMatch(/no input port 'keep'/);
    expect(
      fail({ _tag: 'Sequential', layers: [tinyVit()] }, { x: img(32), mask: vec(3) })[0]?.code,
    ).toBe('E_PORT');
  });

  it('E_RANGE: non-positive sizes and cls output without a [CLS] token', () => {
    expect(fail(linear(0, 2), { x: vec(0) }).some((i) => i.code === 'E_RANGE')).toBe(true);
    const [i] = fail(tinyVit({ cls: false }), { x: img(32) });
    expect(i).toMatchObject({ code: 'E_RANGE', path: ['modules', 0, 'net', 'output'] });
  });

  it('nested issues carry the layer path; a convolution that leaves no pixels is E_SHAPE', () => {
    const [i] = fail({ _tag: 'Sequential', layers: [tinyVit(), linear(16, 4)] }, { x: img(32) });
    expect(i?.path).toEqual(['modules', 0, 'net', 'layers', 1]);
    expect(fail(tinyPatchGan, { x: img(8) })[0]?.code).toBe('E_SHAPE');
  });

  it('the decoder rejects encoders with another topology', () => {
    const issues = fail(tinyGenerator.decoder, {
      content: ok(tinyGenerator.encoder, { x: img(32) }).output,
      style: struct({ tokens: tok(3, 16) }),
    });
    expect(issues.map((i) => i.code)).toContain('E_KIND');
    expect(issues.some((i) => i.message.includes('map1'))).toBe(true);
  });

  it('symbolic dims are accepted where they cannot be decided', () => {
    expect(ok(linear(8, 4), { x: tensor('tokens', [BATCH, 'N', 8]) }).output).toEqual(
      tensor('tokens', [BATCH, 'N', 4]),
    );
    expect(ok(linear(8, 4), { x: tensor('vector', [BATCH, 'D']) }).output).toEqual(
      tensor('vector', [BATCH, 4]),
    );
  });
});

describe('the generator', () => {
  it('rejects a style image of another size than the content image (SPADE maps must match the skips)', () => {
    const issues = fail(tinyGenerator, { x: img(32), style: img(64) });
    expect(issues[0]).toMatchObject({ code: 'E_SHAPE', path: ['modules', 0, 'net', 'decoder'] });
    expect(issues[0]?.message).toMatch(/map1/);
  });
});
