/**
 * TF.js `cpu` vs torch: from the same initial weights and the same views/masks, the first
 * step's loss terms agree within 1e-4 and every gradient within 1e-3 relative (`compareTargets.ts`
 * says how). Tiny presets, batch 8.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../runtime/compile.js';
import type { Method } from '../../compiler/ir/node.js';
import { ijepa } from '../../library/ijepa.js';
import { mocoV3 } from '../../library/mocoV3.js';
import { useBackend } from '../../runtime/backend.js';
import { appearanceImages, compareObjective, expectClose, type Report } from './compareTargets.js';
import { mocoTinyBottleneck, mocoTinyResNet } from './resnetVariants.js';

const BATCH = 8;

const dir = mkdtempSync(join(tmpdir(), 'tessera-torch-eq-'));

const compare = async (
  name: string,
  method: Method,
  at: { step: number; totalSteps: number },
): Promise<Report> => {
  const graph = compileGraph(method, { backend: 'cpu' });
  const images = appearanceImages(BATCH, method.input.size);
  const r = await compareObjective(dir, name, graph, images, at);
  images.dispose();
  return r;
};

describe('torch target equivalence with TF.js cpu (first step)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  afterAll(() => undefined);

  it('MoCo v3 tiny: InfoNCE terms and every gradient', async () => {
    const r = await compare('moco', mocoV3({ preset: 'tiny', backbone: 'vit' }), {
      step: 3,
      totalSteps: 600,
    });
    expectClose(r);
    expect(Object.keys(r.grads).length).toBeGreaterThan(20);
  }, 300_000);

  it('MoCo v3 tiny, ResNet backbone (stride-2 stem, zero-init residual): terms and every gradient', async () => {
    const r = await compare('moco-resnet', mocoTinyResNet(), { step: 3, totalSteps: 600 });
    expectClose(r);
    expect(Object.keys(r.grads).filter((p) => p.startsWith('backbone/stages.')).length).toBe(24);
  }, 600_000);

  it('MoCo v3 tiny, bottleneck ResNet (max-pool stem, map output, no zero-init): terms and every gradient', async () => {
    const r = await compare('moco-bottleneck', mocoTinyBottleneck(), { step: 3, totalSteps: 600 });
    expectClose(r);
    expect(Object.keys(r.grads).filter((p) => p.includes('downsample.conv.weight')).length).toBe(3);
  }, 600_000);

  it('I-JEPA tiny: SmoothL1 on multi-block masks and every gradient', async () => {
    const r = await compare('ijepa', ijepa({ preset: 'tiny' }), { step: 3, totalSteps: 600 });
    expectClose(r);
    expect(Object.keys(r.grads).length).toBeGreaterThan(20);
  }, 300_000);
});
