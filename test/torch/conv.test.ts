/**
 * The torch `Conv2d` rule against the TF.js lowering (`compiler/lower/nets/conv.ts`, `cpu`): TF's
 * `same` padding (the extra pixel after, stride 2, even kernels, dilation), `valid`, a symmetric
 * padding, no bias, and spectral norm (output and the power-iteration vector written after the
 * step) give the same outputs within 1e-5 on random weights and images.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Conv2d } from '../../compiler/ir/net.js';
import { Rng } from '../../compiler/ir/rng.js';
import { applyNet } from '../../compiler/lower/nets/index.js';
import { useBackend } from '../../runtime/backend.js';
import { TORCH_PACKAGE } from '../../runtime/torchPackage.js';
import { runPython } from './python.js';

const conv = (over: Partial<Conv2d>): Conv2d => ({
  _tag: 'Conv2d',
  inChannels: 3,
  outChannels: 4,
  kernel: 3,
  stride: 1,
  padding: 'same',
  dilation: 1,
  bias: true,
  spectralNorm: false,
  ...over,
});

const CASES: ReadonlyArray<Conv2d> = [
  conv({ stride: 2 }),
  conv({ kernel: 4, stride: 2 }),
  conv({ kernel: 4, stride: 1 }),
  conv({ dilation: 2 }),
  conv({ padding: 'valid', stride: 2, bias: false }),
  conv({ kernel: 4, stride: 2, padding: 1, spectralNorm: true }),
];

const random = (rng: Rng, shape: number[]): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    shape,
  );

describe('torch Conv2d rule vs the TF.js lowering', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('same outputs (and spectral-norm vectors) on every padding kind', () => {
    const rng = Rng.seeded(4);
    const cases = CASES.map((node) => {
      const params: Record<string, tf.Tensor> = {
        weight: random(rng, [node.kernel, node.kernel, node.inChannels, node.outChannels]),
        bias: random(rng, [node.outChannels]),
        u: random(rng, [node.outChannels]),
      };
      const x = random(rng, [2, 9, 9, node.inChannels]);
      const buffers = new Map<string, tf.Tensor>();
      const y = applyNet(node, params, { x }, { training: true, buffers, prefix: '' }) as tf.Tensor;
      return {
        node,
        weight: params['weight']!.arraySync(),
        bias: params['bias']!.arraySync(),
        u: params['u']!.arraySync(),
        uNext: buffers.get('u')?.arraySync(),
        x: x.arraySync(),
        y: y.arraySync(),
        shape: y.shape,
      };
    });
    const file = join(mkdtempSync(join(tmpdir(), 'tessera-torch-conv-')), 'cases.json');
    writeFileSync(file, JSON.stringify(cases));
    const r = JSON.parse(
      runPython([join(__dirname, 'conv.py'), file, join(TORCH_PACKAGE, '..')]),
    ) as Array<{
      shape: number[];
      want: number[];
      y: number | null;
      u?: number;
    }>;
    expect(cases.map((c) => c.shape)).toEqual([
      [2, 5, 5, 4],
      [2, 5, 5, 4],
      [2, 9, 9, 4],
      [2, 9, 9, 4],
      [2, 4, 4, 4],
      [2, 4, 4, 4],
    ]);
    r.forEach((c, i) => {
      expect(c.shape, `case ${i}: output shape`).toEqual(c.want);
      expect(c.y!, `case ${i}: output`).toBeLessThan(1e-5);
    });
    expect(r[5]!.u!, 'spectral-norm vector after the step').toBeLessThan(1e-6);
  });
});
