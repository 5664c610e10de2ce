/**
 * TF.js `cpu` vs torch: from the same initial weights and the same views/masks, the first
 * step's loss terms agree within 1e-4 and every gradient within 1e-3 relative: max abs
 * difference over the largest reference magnitude of the tensor, floored at 1e-5 of the largest
 * gradient of the objective (a gradient that is zero in exact arithmetic, such as a bias followed
 * by BatchNorm, holds only rounding noise on both sides). Tiny presets, batch 8.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../runtime/compile.js';
import type { Method } from '../../compiler/ir/node.js';
import { torchTarget } from '../../compiler/torchTarget.js';
import { renderAppearance } from '../../data/appearance/generator.js';
import { ijepa } from '../../library/ijepa.js';
import { mocoV3 } from '../../library/mocoV3.js';
import { useBackend } from '../../runtime/backend.js';
import { TORCH_PACKAGE } from '../../runtime/torchPackage.js';
import { runPython } from './python.js';
import { mocoTinyBottleneck, mocoTinyResNet } from './resnetVariants.js';
import { writeReference } from './tfjsReference.js';

interface Report {
  readonly terms: Record<string, { tfjs: number; torch: number; abs: number }>;
  readonly grads: Record<string, { maxAbs: number; scale: number }>;
  readonly missing: ReadonlyArray<string>;
  readonly extra: ReadonlyArray<string>;
}

const BATCH = 8;

const imagesOf = (size: number): tf.Tensor4D => {
  const data = new Float32Array(BATCH * size * size * 3);
  for (let i = 0; i < BATCH; i++)
    renderAppearance(i * 37, size, 0).forEach((v, j) => (data[i * size * size * 3 + j] = v / 255));
  return tf.tensor4d(data, [BATCH, size, size, 3]);
};

const dir = mkdtempSync(join(tmpdir(), 'tessera-torch-eq-'));

const compare = async (
  name: string,
  method: Method,
  at: { step: number; totalSteps: number },
): Promise<Report> => {
  const graph = compileGraph(method, { backend: 'cpu' });
  const graphFile = join(dir, `${name}.graph.json`);
  writeFileSync(graphFile, JSON.stringify(torchTarget(graph, name, 'test')));
  const images = imagesOf(method.input.size);
  const ref = join(dir, `${name}.safetensors`);
  await writeReference(ref, graph, images, { seed: 3, ...at });
  images.dispose();
  const out = runPython([
    join(__dirname, 'equivalence.py'),
    ref,
    graphFile,
    join(TORCH_PACKAGE, '..'),
    String(at.step),
    String(at.totalSteps),
  ]);
  return JSON.parse(out) as Report;
};

const expectClose = (r: Report): void => {
  expect(Object.keys(r.terms).length).toBeGreaterThan(0);
  for (const [term, t] of Object.entries(r.terms))
    expect(t.abs, `loss term ${term}: tfjs ${t.tfjs}, torch ${t.torch}`).toBeLessThan(1e-4);
  expect(r.missing, 'parameters with a TF.js gradient but none in torch').toEqual([]);
  expect(r.extra, 'parameters with a torch gradient but none in TF.js').toEqual([]);
  const floor = 1e-5 * Math.max(...Object.values(r.grads).map((g) => g.scale));
  for (const [path, g] of Object.entries(r.grads)) {
    expect(
      g.maxAbs / Math.max(g.scale, floor),
      `gradient of ${path} (scale ${g.scale}, max abs difference ${g.maxAbs})`,
    ).toBeLessThan(1e-3);
  }
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
