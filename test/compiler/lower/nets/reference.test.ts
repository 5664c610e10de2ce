/**
 * Lowered nets against numpy: test/fixtures/lower_nets.py draws weights and inputs, computes the
 * outputs independently, and stores all of it; here the same weights are loaded by path and the
 * nets run on cpu and on wasm (legalized kernels).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { NetNode } from '../../../../compiler/ir/net.js';
import { applyNet } from '../../../../compiler/lower/nets/index.js';
import { sincos2d } from '../../../../compiler/lower/nets/transformer.js';
import { fromStored, loadFixture, relError, type StoredArray } from '../../../fixtures/fixture.js';
import { onBackend } from '../compare.js';

interface RefCase {
  readonly params: Record<string, StoredArray>;
  readonly inputs: Record<string, StoredArray>;
  readonly output: StoredArray;
  readonly buffers?: Record<string, StoredArray>;
  /** Output in eval mode (batch norm: running statistics). */
  readonly evalOutput?: StoredArray;
}

const fixture = loadFixture<{
  how: string;
  cases: Record<string, RefCase>;
  positions: Record<string, StoredArray>;
}>('lower_nets');

const nets: Record<string, NetNode> = {
  linear: { _tag: 'Linear', in: 5, out: 4, bias: true, init: 'default' },
  layerNorm: { _tag: 'Norm', kind: 'layer', features: 6, affine: true, eps: 1e-6 },
  batchNorm: { _tag: 'Norm', kind: 'batch', features: 2, affine: true, eps: 1e-5 },
  attention: { _tag: 'Attention', dim: 6, heads: 2, qkvBias: true },
  transformerBlock: {
    _tag: 'TransformerBlock',
    dim: 6,
    heads: 2,
    mlpRatio: 2,
    qkvBias: true,
    eps: 1e-6,
  },
  convStride2Pad1: {
    _tag: 'Conv2d',
    inChannels: 2,
    outChannels: 3,
    kernel: 3,
    stride: 2,
    padding: 1,
    dilation: 1,
    bias: true,
    spectralNorm: false,
  },
  convDilation2Same: {
    _tag: 'Conv2d',
    inChannels: 2,
    outChannels: 3,
    kernel: 3,
    stride: 1,
    padding: 'same',
    dilation: 2,
    bias: false,
    spectralNorm: false,
  },
  spectralConv: {
    _tag: 'Conv2d',
    inChannels: 2,
    outChannels: 3,
    kernel: 4,
    stride: 2,
    padding: 1,
    dilation: 1,
    bias: true,
    spectralNorm: true,
  },
};

/** Runs a fixture case in training mode; returns [output, ...buffers in fixture order]. */
const runCase = (name: string) => (): tf.Tensor[] => {
  const c = fixture.cases[name]!;
  const params = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, fromStored(v)]));
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fromStored(v)]));
  const buffers = new Map<string, tf.Tensor>();
  const out = applyNet(nets[name]!, params, inputs, {
    training: true,
    buffers,
    prefix: '',
  }) as tf.Tensor;
  const bufs = Object.keys(c.buffers ?? {}).map((k) => buffers.get(k)!);
  // buffers were kept (tf.keep); hand out clones that tidy owns and release the originals
  const result = [out, ...bufs.map((b) => b.clone())];
  tf.dispose([...buffers.values()]);
  return result;
};

describe(`nets vs numpy (${fixture.how})`, () => {
  for (const name of Object.keys(nets)) {
    for (const backend of ['cpu', 'wasm'] as const) {
      it(`${name} on ${backend}: output${fixture.cases[name]!.buffers ? ' and updated buffers' : ''} within 1e-5`, async () => {
        const c = fixture.cases[name]!;
        const [out, ...bufs] = await onBackend(backend, runCase(name));
        expect(out!.length).toBe(c.output.data.length);
        expect(relError(out!, c.output.data)).toBeLessThanOrEqual(1e-5);
        Object.values(c.buffers ?? {}).forEach((want, i) =>
          expect(relError(bufs[i]!, want.data)).toBeLessThanOrEqual(1e-5),
        );
      });
    }
  }

  it('batch norm in eval mode normalises with the running statistics (cpu and wasm)', async () => {
    const c = fixture.cases['batchNorm']!;
    for (const backend of ['cpu', 'wasm'] as const) {
      const [out] = await onBackend(backend, () => {
        const params = Object.fromEntries(
          Object.entries(c.params).map(([k, v]) => [k, fromStored(v)]),
        );
        const buffers = new Map<string, tf.Tensor>();
        const y = applyNet(
          nets['batchNorm']!,
          params,
          { x: fromStored(c.inputs['x']!) },
          { training: false, buffers, prefix: '' },
        ) as tf.Tensor;
        expect(buffers.size).toBe(0);
        return [y];
      });
      expect(relError(out!, c.evalOutput!.data)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('fixed 2-D sin-cos positions: MoCo v3 (row first) and I-JEPA (column first) layouts', () => {
    expect(
      relError(sincos2d(3, 3, 8, true), fixture.positions['moco_g3_d8']!.data),
    ).toBeLessThanOrEqual(1e-6);
    expect(
      relError(sincos2d(3, 3, 8, false), fixture.positions['ijepa_g3_d8']!.data),
    ).toBeLessThanOrEqual(1e-6);
  });
});
