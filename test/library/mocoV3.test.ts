/**
 * MoCo v3 presets carry the reference numbers of methods.md section 1 and 4.
 */
import { describe, expect, test } from 'vitest';
import { subExpressions } from '../../compiler/ir/children.js';
import type { Method, ModuleDecl, ValueExpr } from '../../compiler/ir/node.js';
import { evaluateSchedule } from '../../compiler/ir/schedule.js';
import { mocoV3 } from '../../library/mocoV3.js';

const mod = (m: Method, name: string): ModuleDecl => {
  const d = m.modules.find((x) => x.name === name);
  if (d === undefined) throw new Error(`no module ${name}`);
  return d;
};
const chain = (e: ValueExpr): ReadonlyArray<string> =>
  e._tag === 'Apply'
    ? [e.module, ...chain(e.inputs.x as ValueExpr)]
    : e._tag === 'StopGradient'
      ? ['stopGradient', ...chain(e.source)]
      : e._tag === 'View'
        ? [`view:${e.name}`]
        : [e._tag];

describe('mocoV3 paper (ViT-B/16)', () => {
  const m = mocoV3({ preset: 'paper' });

  test('networks: ViT-B/16, projector 768-4096-4096-256, predictor 256-4096-256, last BN', () => {
    expect(mod(m, 'backbone').net).toMatchObject({
      _tag: 'Vit',
      imageSize: 224,
      patch: 16,
      dim: 768,
      depth: 12,
      heads: 12,
      output: 'cls',
      stopGradPatchEmbed: true,
    });
    expect(mod(m, 'projector').net).toMatchObject({
      _tag: 'Mlp',
      in: 768,
      hidden: 4096,
      out: 256,
      layers: 3,
      norm: 'batch',
      lastNorm: 'batchNoAffine',
      bias: false,
    });
    expect(mod(m, 'predictor').net).toMatchObject({
      _tag: 'Mlp',
      in: 256,
      hidden: 4096,
      out: 256,
      layers: 2,
      lastNorm: 'batchNoAffine',
    });
    expect(mod(m, 'momentumBackbone').net).toEqual(mod(m, 'backbone').net);
    expect(mod(m, 'momentumProjector').ema?.source).toBe('projector');
  });

  test('momentum 0.99 -> 1 by half-cosine', () => {
    const s = mod(m, 'momentumBackbone').ema?.momentum;
    expect(s).toEqual({ _tag: 'Cosine', from: 0.99, to: 1, start: 0, end: 1 });
    expect(evaluateSchedule(s!, 0.5)).toBeCloseTo(0.995, 10);
  });

  test('symmetric loss: tau 0.2 with 2 tau scale, q from the online chain, k stop-grad momentum chain', () => {
    const [o] = m.objectives;
    expect(o?.terms.map((t) => t.name)).toEqual(['ctr_12', 'ctr_21']);
    const l = o?.terms[0]?.loss;
    if (l?._tag !== 'InfoNCE') throw new Error('not InfoNCE');
    expect(l.temperature).toEqual({ _tag: 'Constant', value: 0.2 });
    expect(l.scale).toBe('twoTau');
    expect(chain(l.query)).toEqual(['predictor', 'projector', 'backbone', 'view:view1']);
    expect(chain(l.key)).toEqual([
      'stopGradient',
      'momentumProjector',
      'momentumBackbone',
      'view:view2',
    ]);
    expect(o?.params).toEqual(['backbone', 'projector', 'predictor']);
  });

  test('AdamW lr 1.5e-4 x 4096/256, warmup 40/300, cosine to 0, wd 0.1 on all params; 300 epochs', () => {
    const opt = m.objectives[0]?.optimizer;
    expect(opt).toMatchObject({
      _tag: 'AdamW',
      weightDecay: { _tag: 'Constant', value: 0.1 },
      decayAll: true,
    });
    expect(opt?.lr).toEqual({
      _tag: 'WarmupCosine',
      warmup: 40 / 300,
      start: 0,
      peak: 1.5e-4 * 16,
      end: 0,
    });
    expect(m.training).toEqual({ batch: 4096, steps: 300 * 312 });
  });

  test('asymmetric BYOL views: blur 1.0 / 0.1, solarize none / 0.2, crop-min 0.08', () => {
    const l = m.objectives[0]?.terms[0]?.loss;
    const views = l?._tag === 'InfoNCE' ? [l.query, l.key] : [];
    const find = (e: ValueExpr): ValueExpr | undefined =>
      e._tag === 'View'
        ? e
        : e._tag === 'Apply'
          ? find(e.inputs.x as ValueExpr)
          : e._tag === 'StopGradient'
            ? find(e.source)
            : undefined;
    const [v1, v2] = views.map(find);
    if (v1?._tag !== 'View' || v2?._tag !== 'View') throw new Error('no views');
    const p = (v: typeof v1, tag: string) => v.pipeline.find((s) => s._tag === tag);
    expect(p(v1, 'RandomResizedCrop')).toMatchObject({ size: 224, scale: [0.08, 1] });
    expect(p(v1, 'GaussianBlur')).toMatchObject({ p: 1, sigma: [0.1, 2] });
    expect(p(v2, 'GaussianBlur')).toMatchObject({ p: 0.1 });
    expect(p(v1, 'Solarize')).toBeUndefined();
    expect(p(v2, 'Solarize')).toMatchObject({ p: 0.2 });
    expect(p(v1, 'ColorJitter')).toMatchObject({
      brightness: 0.4,
      contrast: 0.4,
      saturation: 0.2,
      hue: 0.1,
      p: 0.8,
    });
    expect(v1.pipeline.map((s) => s._tag)).toEqual([
      'RandomResizedCrop',
      'ColorJitter',
      'Grayscale',
      'GaussianBlur',
      'HorizontalFlip',
      'Normalize',
    ]);
  });

  test('representation backbone: the online backbone on clean images, normalised as the views', () => {
    expect(m.representations).toEqual([
      {
        name: 'backbone',
        value: {
          _tag: 'Apply',
          module: 'backbone',
          path: [],
          inputs: {
            x: {
              _tag: 'View',
              name: 'clean',
              source: { _tag: 'Input', name: 'images' },
              pipeline: [
                { _tag: 'Normalize', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
              ],
            },
          },
        },
      },
    ]);
  });
});

describe('mocoV3 variants', () => {
  test('ResNet-50: 2048-4096-256 projector, predictor without last BN, tau 1, LARS 0.6 x B/256, wd 1e-6, crop-min 0.2', () => {
    const m = mocoV3({ preset: 'paper', backbone: 'resnet' });
    expect(mod(m, 'backbone').net).toMatchObject({
      _tag: 'ResNet',
      block: 'bottleneck',
      zeroInitResidual: true,
    });
    expect(mod(m, 'projector').net).toMatchObject({
      in: 2048,
      hidden: 4096,
      out: 256,
      layers: 2,
      lastNorm: 'batchNoAffine',
    });
    expect(mod(m, 'predictor').net).toMatchObject({ in: 256, out: 256, lastNorm: 'none' });
    const l = m.objectives[0]?.terms[0]?.loss;
    expect(l?._tag === 'InfoNCE' && l.temperature).toEqual({ _tag: 'Constant', value: 1 });
    expect(m.objectives[0]?.optimizer).toMatchObject({
      _tag: 'Lars',
      momentum: 0.9,
      trust: 0.001,
      weightDecay: { value: 1e-6 },
      lr: { peak: 0.6 * 16, warmup: 0.1 },
    });
    expect(m.training.steps).toBe(100 * 312);
  });

  test('tiny: 32x32, the tiny ResNet (stem stride 2) with AdamW, or a ViT patch 4 dim 64 depth 3; overrides apply', () => {
    expect(mocoV3({ preset: 'tiny' }).training.batch).toBe(32);
    const m = mocoV3({ preset: 'tiny', backbone: 'vit', temperature: 0.5, batch: 16 });
    expect(m.input.size).toBe(32);
    expect(mod(m, 'backbone').net).toMatchObject({
      _tag: 'Vit',
      imageSize: 32,
      patch: 4,
      dim: 64,
      depth: 3,
    });
    expect(mod(m, 'projector').net).toMatchObject({ in: 64, hidden: 256, out: 64 });
    expect(mod(m, 'predictor').net).toMatchObject({ in: 64, out: 64 });
    expect(m.training.batch).toBe(16);
    const l = m.objectives[0]?.terms[0]?.loss;
    expect(l?._tag === 'InfoNCE' && l.temperature).toEqual({ _tag: 'Constant', value: 0.5 });
    const r = mocoV3({ preset: 'tiny', backbone: 'resnet' });
    expect(mocoV3({ preset: 'tiny' }).modules[0]?.net).toMatchObject({ _tag: 'ResNet' });
    expect(mocoV3({ preset: 'paper' }).modules[0]?.net).toMatchObject({ _tag: 'Vit' });
    expect(r.modules[0]?.net).toMatchObject({ _tag: 'ResNet', stem: { kernel: 3, stride: 2 } });
    expect(r.objectives[0]?.optimizer).toMatchObject({
      _tag: 'AdamW',
      lr: { _tag: 'WarmupCosine', warmup: 0.1, peak: 6e-3 },
      weightDecay: { _tag: 'Constant', value: 0.05 },
      decayAll: false,
    });
    const rl = r.objectives[0]?.terms[0]?.loss;
    expect(rl?._tag === 'InfoNCE' && rl.temperature).toEqual({ _tag: 'Constant', value: 0.2 });
  });

  test('tiny: no BYOL blur / solarize and no zero-init residual (docs/learning.md); the options bring them back', () => {
    const steps = (m: Method): ReadonlyArray<string> => {
      const l = m.objectives[0]?.terms[0]?.loss;
      const key = l?._tag === 'InfoNCE' ? subExpressions(l.key) : [];
      return key.flatMap((v) => (v._tag === 'View' ? v.pipeline.map((s) => s._tag) : []));
    };
    const tiny = mocoV3({ preset: 'tiny', backbone: 'resnet' });
    expect(steps(tiny)).toEqual([
      'RandomResizedCrop',
      'ColorJitter',
      'Grayscale',
      'HorizontalFlip',
      'Normalize',
    ]);
    expect(mod(tiny, 'backbone').net).toMatchObject({ zeroInitResidual: false });
    const byol = mocoV3({
      preset: 'tiny',
      backbone: 'resnet',
      byolViews: true,
      zeroInitResidual: true,
    });
    expect(steps(byol)).toContain('Solarize');
    expect(steps(byol)).toContain('GaussianBlur');
    expect(mod(byol, 'backbone').net).toMatchObject({ zeroInitResidual: true });
    expect(mod(mocoV3({ preset: 'paper', backbone: 'resnet' }), 'backbone').net).toMatchObject({
      zeroInitResidual: true,
    });
  });
});
