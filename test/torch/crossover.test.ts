/**
 * Checkpoints cross over between the targets: weights written by TF.js (`saveCheckpoint`) load
 * into tessera_torch, and a torch checkpoint (after 2 training steps, so weights and BatchNorm
 * statistics have moved) loads into `compile(...)` via `loadRunWeights`; both give the same
 * embeddings of every representation within 1e-4.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TORCH_PACKAGE } from '../../runtime/torchPackage.js';
import { compile } from '../../runtime/compile.js';
import type { CompiledMethod } from '../../runtime/compiled.js';
import type { Method } from '../../compiler/ir/node.js';
import { torchTarget } from '../../compiler/torchTarget.js';
import { renderAppearance } from '../../data/appearance/generator.js';
import { ijepa } from '../../library/ijepa.js';
import { mocoV3 } from '../../library/mocoV3.js';
import { saveCheckpoint } from '../../runtime/checkpoint/index.js';
import { encodeSafetensors } from '../../runtime/checkpoint/safetensors.js';
import { loadRunWeights } from '../../runtime/restore.js';
import { Rng } from '../../compiler/ir/rng.js';
import { specHash } from '../../runtime/specHash.js';
import { runPython } from './python.js';
import { mocoTinyBottleneck, mocoTinyResNet } from './resnetVariants.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-torch-x-'));
const N = 8;

const imagesOf = (size: number): Float32Array => {
  const data = new Float32Array(N * size * size * 3);
  for (let i = 0; i < N; i++)
    renderAppearance(i * 11 + 5, size, 0).forEach(
      (v, j) => (data[i * size * size * 3 + j] = v / 255),
    );
  return data;
};

const embedAll = (compiled: CompiledMethod, images: tf.Tensor4D): Record<string, number[][]> =>
  Object.fromEntries(
    compiled.graph.representations.map((r) => {
      const f = compiled.embed(r.name, images);
      const out = f.arraySync() as number[][];
      f.dispose();
      return [r.name, out];
    }),
  );

const maxDiff = (a: Record<string, number[][]>, b: Record<string, number[][]>): number => {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let worst = 0;
  for (const [k, rows] of Object.entries(a)) {
    expect(b[k]!.length).toBe(rows.length);
    rows.forEach((row, i) =>
      row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[k]![i]![j]!)))),
    );
  }
  return worst;
};

const crossover = async (
  name: string,
  method: Method,
): Promise<{ tfToTorch: number; torchToTf: number; dim: number }> => {
  const compiled = await compile(method, { backend: 'cpu' });
  const graphFile = join(dir, `${name}.graph.json`);
  writeFileSync(
    graphFile,
    JSON.stringify(torchTarget(compiled.graph, name, specHash(compiled.graph.method))),
  );
  const size = method.input.size;
  const pixels = imagesOf(size);
  const imagesFile = join(dir, `${name}.images.safetensors`);
  writeFileSync(
    imagesFile,
    encodeSafetensors({ images: { dtype: 'F32', shape: [N, size, size, 3], data: pixels } }),
  );
  const images = tf.tensor4d(pixels, [N, size, size, 3]);
  const py = (mode: string, run: string, out: string): Record<string, number[][]> => {
    runPython([
      join(__dirname, 'crossover.py'),
      mode,
      run,
      graphFile,
      imagesFile,
      out,
      join(TORCH_PACKAGE, '..'),
    ]);
    return JSON.parse(readFileSync(out, 'utf8')) as Record<string, number[][]>;
  };
  try {
    // TF.js -> torch
    compiled.init(7);
    const fromTf = join(dir, `${name}-tf`);
    await saveCheckpoint(fromTf, {
      step: 0,
      weights: compiled.variables(),
      meta: { specHash: 'x', seed: 7, rng: Rng.seeded(7).state() },
    });
    const tfEmb = embedAll(compiled, images);
    const tfToTorch = maxDiff(tfEmb, py('read', fromTf, join(dir, `${name}-a.json`)));
    // torch -> TF.js
    const fromTorch = join(dir, `${name}-torch`);
    const torchEmb = py('write', fromTorch, join(dir, `${name}-b.json`));
    await loadRunWeights(compiled, fromTorch);
    const torchToTf = maxDiff(torchEmb, embedAll(compiled, images));
    expect(
      maxDiff(torchEmb, tfEmb),
      'the torch-trained weights differ from the TF.js init',
    ).toBeGreaterThan(1e-3);
    return { tfToTorch, torchToTf, dim: Object.values(tfEmb)[0]![0]!.length };
  } finally {
    images.dispose();
    compiled.dispose();
  }
};

describe('torch <-> TF.js checkpoints', () => {
  it('MoCo v3 tiny: same embeddings both ways within 1e-4', async () => {
    const r = await crossover('moco', mocoV3({ preset: 'tiny', backbone: 'vit' }));
    expect(r.dim).toBe(64);
    expect(r.tfToTorch).toBeLessThan(1e-4);
    expect(r.torchToTf).toBeLessThan(1e-4);
  }, 300_000);

  it('MoCo v3 tiny, ResNet backbone: same embeddings both ways within 1e-4', async () => {
    const r = await crossover('moco-resnet', mocoTinyResNet());
    expect(r.dim).toBe(128);
    expect(r.tfToTorch).toBeLessThan(1e-4);
    expect(r.torchToTf).toBeLessThan(1e-4);
  }, 600_000);

  it('MoCo v3 tiny, bottleneck ResNet (max-pool stem, map output): same embeddings both ways within 1e-4', async () => {
    const r = await crossover('moco-bottleneck', mocoTinyBottleneck());
    expect(r.dim).toBe(128);
    expect(r.tfToTorch).toBeLessThan(1e-4);
    expect(r.torchToTf).toBeLessThan(1e-4);
  }, 600_000);

  it('I-JEPA tiny: same embeddings both ways within 1e-4', async () => {
    const r = await crossover('ijepa', ijepa({ preset: 'tiny' }));
    expect(r.tfToTorch).toBeLessThan(1e-4);
    expect(r.torchToTf).toBeLessThan(1e-4);
  }, 300_000);
});
