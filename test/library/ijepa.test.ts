/**
 * I-JEPA presets carry the reference numbers of methods.md sections 2 and 4; the registry serves
 * both methods.
 */
import { describe, expect, test } from 'vitest';
import type { ValueExpr } from '../../compiler/ir/node.js';
import { evaluateSchedule } from '../../compiler/ir/schedule.js';
import { ijepa } from '../../library/ijepa.js';
import { isMethodName, methodNames, methods } from '../../library/index.js';

describe('ijepa paper (ViT-H/14)', () => {
  const m = ijepa({ preset: 'paper' });
  const net = (name: string) => m.modules.find((d) => d.name === name);

  test('encoder ViT-H/14 tokens without [CLS]; predictor depth 12 dim 384 heads 16 on a 16x16 grid; EMA target', () => {
    expect(net('encoder')?.net).toMatchObject({
      _tag: 'Vit',
      imageSize: 224,
      patch: 14,
      dim: 1280,
      depth: 32,
      heads: 16,
      cls: false,
      output: 'tokens',
    });
    expect(net('predictor')?.net).toEqual({
      _tag: 'TransformerPredictor',
      inDim: 1280,
      dim: 384,
      depth: 12,
      heads: 16,
      mlpRatio: 4,
      grid: [16, 16],
    });
    expect(net('target')?.ema).toEqual({
      source: 'encoder',
      momentum: { _tag: 'Linear', from: 0.996, to: 1, start: 0, end: 1 },
    });
    expect(m.objectives[0]?.params).toEqual(['encoder', 'predictor']);
  });

  test('loss: smooth-L1 between predictions and gathered LayerNorm (no affine) stop-grad target features of the full view', () => {
    const l = m.objectives[0]?.terms[0]?.loss;
    if (l?._tag !== 'SmoothL1') throw new Error('not SmoothL1');
    expect(l.beta).toBe(1);
    const t = l.target;
    if (t._tag !== 'Gather') throw new Error('not Gather');
    expect(t.index).toEqual({
      _tag: 'FieldOf',
      name: 'targets',
      source: expect.objectContaining({ _tag: 'Masks', name: 'masks' }),
    });
    const ln = t.source;
    expect(ln).toMatchObject({
      _tag: 'Fn',
      net: { _tag: 'Norm', kind: 'layer', affine: false, features: 1280, eps: 1e-5 },
    });
    const inner = ln._tag === 'Fn' ? ln.inputs.x : undefined;
    expect(inner).toMatchObject({
      _tag: 'StopGradient',
      source: { _tag: 'Apply', module: 'target', inputs: { x: { _tag: 'View', name: 'view' } } },
    });
    expect(l.pred).toMatchObject({
      _tag: 'Apply',
      module: 'predictor',
      inputs: {
        x: {
          _tag: 'Apply',
          module: 'encoder',
          inputs: { keep: { _tag: 'FieldOf', name: 'context' } },
        },
      },
    });
  });

  test('multi-block masks: 4 targets 0.15-0.2 aspect 0.75-1.5, one context 0.85-1.0 aspect 1, min-keep 10', () => {
    const l = m.objectives[0]?.terms[0]?.loss;
    const masks =
      l?._tag === 'SmoothL1' && l.target._tag === 'Gather' && l.target.index._tag === 'FieldOf'
        ? (l.target.index.source as ValueExpr)
        : undefined;
    expect(masks?._tag === 'Masks' && masks.spec).toEqual({
      grid: [16, 16],
      targets: 4,
      targetScale: [0.15, 0.2],
      targetAspect: [0.75, 1.5],
      contexts: 1,
      contextScale: [0.85, 1],
      contextAspect: [1, 1],
      minKeep: 10,
      allowOverlap: false,
    });
  });

  test('AdamW lr 2e-4 -> 1e-3 over 40/300 then cosine -> 1e-6; wd cosine 0.04 -> 0.4, no decay on 1-D params; RRC (0.3, 1)', () => {
    const opt = m.objectives[0]?.optimizer;
    if (opt?._tag !== 'AdamW') throw new Error('not AdamW');
    expect(opt.decayAll).toBe(false);
    expect(evaluateSchedule(opt.lr, 0)).toBeCloseTo(2e-4, 12);
    expect(evaluateSchedule(opt.lr, 40 / 300)).toBeCloseTo(1e-3, 12);
    expect(evaluateSchedule(opt.lr, 1)).toBeCloseTo(1e-6, 12);
    expect(evaluateSchedule(opt.weightDecay, 0)).toBeCloseTo(0.04, 12);
    expect(evaluateSchedule(opt.weightDecay, 1)).toBeCloseTo(0.4, 12);
    const l = m.objectives[0]?.terms[0]?.loss;
    const view =
      l?._tag === 'SmoothL1' && l.pred._tag === 'Apply'
        ? (l.pred.inputs.x as ValueExpr)
        : undefined;
    const v = view?._tag === 'Apply' ? view.inputs.x : undefined;
    expect(v?._tag === 'View' && v.pipeline[0]).toEqual({
      _tag: 'RandomResizedCrop',
      size: 224,
      scale: [0.3, 1],
      ratio: [3 / 4, 4 / 3],
    });
    expect(m.training).toEqual({ batch: 2048, steps: 300 * 625 });
  });

  test('representations: mean-pooled tokens of target and context encoders on clean images', () => {
    expect(m.representations.map((r) => r.name)).toEqual(['target', 'context']);
    expect(m.representations[0]?.value).toEqual({
      _tag: 'Fn',
      net: { _tag: 'Pool', kind: 'mean' },
      inputs: {
        x: {
          _tag: 'Apply',
          module: 'target',
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
    });
  });
});

describe('ijepa tiny and the registry', () => {
  test('tiny: 32x32 with an 8x8 grid, small predictor', () => {
    const m = ijepa({ preset: 'tiny' });
    expect(m.input.size).toBe(32);
    expect(m.modules.find((d) => d.name === 'predictor')?.net).toMatchObject({
      inDim: 64,
      dim: 32,
      depth: 2,
      grid: [8, 8],
    });
    expect(m.training.batch).toBe(32);
  });

  test('methods[name](preset) returns JSON-round-trippable methods with stable names', () => {
    expect(methodNames).toEqual(['moco-v3', 'i-jepa', 'st-storm']);
    expect(isMethodName('moco-v3')).toBe(true);
    expect(isMethodName('simclr')).toBe(false);
    for (const name of methodNames)
      for (const preset of ['paper', 'tiny'] as const) {
        const m = methods[name](preset);
        expect(m.name).toBe(name);
        expect(JSON.parse(JSON.stringify(m))).toEqual(m);
      }
    expect(methods['i-jepa']().input.size).toBe(224);
  });
});
