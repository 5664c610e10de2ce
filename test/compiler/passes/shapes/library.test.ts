/**
 * The library's paper presets through resolve + shape inference: module parameter counts equal
 * the first-principles numbers of `test/fixtures/shapes.json` (MoCo v3 ViT-B/16 and ResNet-50
 * with their projectors and predictors, I-JEPA ViT-H/14).
 */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../../compiler/ir/index.js';
import { emptyGraph, resolve } from '../../../../compiler/passes/resolve.js';
import { countParams, inferShapes, stepFlops } from '../../../../compiler/passes/shapes/index.js';
import { ijepa, mocoV3 } from '../../../../library/index.js';
import { loadFixture } from '../../../fixtures/fixture.js';

const fx = loadFixture<{ params: Record<string, number>; flops: Record<string, number> }>('shapes');

const shaped = (m: Parameters<typeof emptyGraph>[0]): Graph => {
  const g = resolve.run(emptyGraph(m));
  if (g._tag === 'Left') throw new Error(JSON.stringify(g.left));
  const s = inferShapes.run(g.right);
  if (s._tag === 'Left') throw new Error(JSON.stringify(s.left));
  return s.right;
};
const trainable = (g: Graph): Record<string, number> =>
  Object.fromEntries(g.modules.map((m) => [m.decl.name, countParams(m.params ?? []).trainable]));

describe('library presets', () => {
  it('MoCo v3 ViT-B/16: backbone 85,647,360, projector 20,987,904, predictor 2,105,344 (momentum copies equal)', () => {
    const p = trainable(shaped(mocoV3({ preset: 'paper' })));
    expect(p).toMatchObject({
      backbone: fx.params['vitB16'],
      projector: fx.params['mocoVitBProjector'],
      predictor: fx.params['mocoVitPredictor'],
      momentumBackbone: fx.params['vitB16'],
      momentumProjector: fx.params['mocoVitBProjector'],
    });
  });

  it('MoCo v3 ResNet-50: backbone 23,508,032, projector 9,445,376, predictor 2,105,344', () => {
    const p = trainable(shaped(mocoV3({ preset: 'paper', backbone: 'resnet' })));
    expect(p).toMatchObject({
      backbone: fx.params['resnet50NoFc'],
      projector: fx.params['mocoR50Projector'],
      predictor: fx.params['mocoR50Predictor'],
    });
  });

  it('I-JEPA ViT-H/14: encoder and target 630,434,560', () => {
    const p = trainable(shaped(ijepa({ preset: 'paper' })));
    expect(p['encoder']).toBe(fx.params['vitH14NoCls']);
    expect(p['target']).toBe(fx.params['vitH14NoCls']);
  });

  it('MoCo v3 ViT-B step FLOPs: each backbone forward is B x 35.1 GFLOPs; training > forward', () => {
    const g = shaped(mocoV3({ preset: 'paper' }));
    const backbone = g.nodes.filter((n) => n.expr._tag === 'Apply' && n.expr.module === 'backbone');
    expect(backbone.length).toBeGreaterThan(0);
    for (const n of backbone)
      expect(n.flops).toBe(g.method.training.batch * fx.flops['vitB16_b1_224']!);
    const s = stepFlops(g);
    expect(s.training).toBeGreaterThan(s.forward);
    expect(s.differentiated).toBeLessThan(s.forward);
  });
});
