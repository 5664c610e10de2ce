import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { NetNode } from '../../../../compiler/ir/net.js';
import {
  applyNet,
  initNet,
  netParams,
  type Lowered,
} from '../../../../compiler/lower/nets/index.js';
import { onBackend, randn, relErr } from '../compare.js';
import { cases, inputsOf, resnetTiny, vitJepa, vitMoco, type Case } from './catalogue.js';

const flat = (v: Lowered): tf.Tensor[] =>
  v instanceof tf.Tensor ? [v] : Object.values(v).flatMap(flat);

/**
 * Loss = sum of every output times fixed random weights; returns [loss, grad of every trainable
 * parameter (in netParams order), grad of every float input].
 */
const lossAndGrads = (net: NetNode, c: Pick<Case, 'types' | 'indices'>) => (): tf.Tensor[] => {
  const params = initNet(net, 11);
  const trainable = netParams(net)
    .filter((p) => !p.buffer)
    .map((p) => p.path);
  const inputs = inputsOf({ name: '', net, ...c }, 5);
  const floatPorts = Object.keys(inputs).filter(
    (k) => c.indices?.[k] === undefined && inputs[k] instanceof tf.Tensor,
  );
  const f = (...xs: tf.Tensor[]): tf.Scalar => {
    const table = { ...params, ...Object.fromEntries(trainable.map((p, i) => [p, xs[i]!])) };
    const ins = {
      ...inputs,
      ...Object.fromEntries(floatPorts.map((p, i) => [p, xs[trainable.length + i]!])),
    };
    const buffers = new Map<string, tf.Tensor>();
    const outs = flat(applyNet(net, table, ins, { training: true, buffers, prefix: '' }));
    tf.dispose([...buffers.values()]);
    return outs.reduce(
      (acc, o, i) => tf.add(acc, tf.sum(tf.mul(o, randn(100 + i, o.shape)))),
      tf.scalar(0),
    ) as tf.Scalar;
  };
  const xs = [
    ...trainable.map((p) => params[p]!),
    ...floatPorts.map((p) => inputs[p] as tf.Tensor),
  ];
  const { value, grads } = tf.valueAndGrads(f)(xs);
  return [value, ...grads];
};

/** Worst relative error between wasm and cpu over the loss and every gradient. */
const wasmVsCpu = async (
  net: NetNode,
  c: Pick<Case, 'types' | 'indices'>,
): Promise<{ worst: number; count: number }> => {
  const ref = await onBackend('cpu', lossAndGrads(net, c));
  const got = await onBackend('wasm', lossAndGrads(net, c));
  // A gradient that is zero in exact arithmetic (a bias right before a normalisation) is rounding
  // noise on both backends; each error is relative to max(its own scale, 1e-3 x the largest gradient).
  const peak = Math.max(...ref.slice(1).map((r) => Math.max(...Array.from(r).map(Math.abs))));
  const errs = got.map((g, i) => {
    const own = Math.max(...Array.from(ref[i]!).map(Math.abs));
    const floor = i === 0 ? 0 : 1e-3 * peak;
    return relErr(g, ref[i]!) * (own / Math.max(own, floor) || 1);
  });
  return { worst: Math.max(...errs), count: errs.length };
};

const caseOf = (name: string): Case => cases.find((c) => c.name === name)!;

describe('gradients on wasm (legalized kernels) equal cpu (plain TF.js) within 1e-4', () => {
  it('ViT tiny (MoCo v3: cls token, 2 blocks)', async () => {
    const r = await wasmVsCpu(vitMoco, caseOf('Vit (MoCo, cls)'));
    expect(r.count).toBe(1 + netParams(vitMoco).length + 1);
    expect(r.worst).toBeLessThanOrEqual(1e-4);
  });

  it('ViT tiny with the I-JEPA keep gather (needs the gather rule)', async () => {
    const r = await wasmVsCpu(vitJepa, caseOf('Vit (I-JEPA, keep)'));
    expect(r.worst).toBeLessThanOrEqual(1e-4);
  });

  it('ResNet tiny (basic blocks, stride 2, max pool, BN in training; needs the conv rule)', async () => {
    const r = await wasmVsCpu(resnetTiny, caseOf('ResNet basic'));
    expect(r.worst).toBeLessThanOrEqual(1e-4);
  });

  for (const name of [
    'ResNet bottleneck (map)',
    'TransformerPredictor',
    'Generator',
    'PatchGan',
    'TokenPredictor',
    'FusionHead',
    'Mlp (MoCo projector: BN, last BN no affine)',
  ]) {
    it(name, async () => {
      const c = caseOf(name);
      const r = await wasmVsCpu(c.net, c);
      expect(r.worst).toBeLessThanOrEqual(1e-4);
    });
  }

  it('stopGradPatchEmbed: the patch projection gets zero gradient, the rest does not', async () => {
    const net = { ...vitMoco, stopGradPatchEmbed: true } as NetNode;
    const got = await onBackend('wasm', lossAndGrads(net, caseOf('Vit (MoCo, cls)')));
    const paths = netParams(net)
      .filter((p) => !p.buffer)
      .map((p) => p.path);
    paths.forEach((p, i) => {
      const norm = Math.max(...Array.from(got[i + 1]!).map(Math.abs));
      if (p.startsWith('patchEmbed.')) expect(norm).toBe(0);
      else if (p !== 'blocks.0.attn.qkv.bias') expect(norm).toBeGreaterThan(0);
    });
  });
});

describe('initialisation', () => {
  it('same seed -> bit-identical parameters on wasm and cpu; another seed differs', async () => {
    const net = caseOf('Generator').net;
    const read = (seed: number) => () => Object.values(initNet(net, seed));
    const cpu = await onBackend('cpu', read(3));
    const wasm = await onBackend('wasm', read(3));
    cpu.forEach((a, i) => expect(Array.from(wasm[i]!)).toEqual(Array.from(a)));
    const other = await onBackend('wasm', read(4));
    expect(Array.from(other[0]!)).not.toEqual(Array.from(wasm[0]!));
  });

  it('follows methods.md: MoCo ViT Xavier/qkv bounds and cls std, I-JEPA trunc-normal 0.02, BN 1/0, zero-init residual', async () => {
    const big = { ...vitMoco, dim: 48, imageSize: 16, depth: 1 } as NetNode;
    const [qkv, proj, cls, pe] = await onBackend('cpu', () => {
      const p = initNet(big, 1);
      return [
        p['blocks.0.attn.qkv.weight']!,
        p['blocks.0.attn.proj.weight']!,
        p['cls']!,
        p['patchEmbed.weight']!,
      ];
    });
    const maxAbs = (a: Float32Array) => Math.max(...Array.from(a).map(Math.abs));
    expect(maxAbs(qkv!)).toBeLessThanOrEqual(Math.sqrt(6 / (144 / 3 + 48)));
    expect(maxAbs(qkv!)).toBeGreaterThan(0.9 * Math.sqrt(6 / (144 / 3 + 48)));
    expect(maxAbs(proj!)).toBeLessThanOrEqual(Math.sqrt(6 / 96));
    expect(maxAbs(proj!)).toBeGreaterThan(0.9 * Math.sqrt(6 / 96));
    expect(maxAbs(cls!)).toBeLessThan(1e-5);
    expect(maxAbs(pe!)).toBeLessThanOrEqual(Math.sqrt(6 / (4 * 4 * 3 + 48)));
    const jepa = { ...vitJepa, dim: 48, imageSize: 16 } as NetNode;
    const [fc1] = await onBackend('cpu', () => [initNet(jepa, 1)['blocks.0.mlp.fc1.weight']!]);
    const xs = Array.from(fc1!);
    const std = Math.sqrt(xs.reduce((s, v) => s + v * v, 0) / xs.length);
    expect(maxAbs(fc1!)).toBeLessThanOrEqual(0.04);
    expect(std).toBeGreaterThan(0.016);
    expect(std).toBeLessThan(0.02);
    const [g1, g2, mv, conv] = await onBackend('cpu', () => {
      const p = initNet(resnetTiny, 1);
      return [
        p['stages.0.0.bn1.gamma']!,
        p['stages.0.0.bn2.gamma']!,
        p['stem.bn.movingVar']!,
        p['stages.1.0.conv1.weight']!,
      ];
    });
    expect(Array.from(g1!)).toEqual([1, 1, 1, 1]);
    expect(Array.from(g2!)).toEqual([0, 0, 0, 0]);
    expect(Array.from(mv!)).toEqual([1, 1, 1, 1]);
    const cs = Array.from(conv!);
    const cstd = Math.sqrt(cs.reduce((s, v) => s + v * v, 0) / cs.length);
    expect(cstd).toBeGreaterThan(0.5 * Math.sqrt(2 / (9 * 6)));
    expect(cstd).toBeLessThan(1.5 * Math.sqrt(2 / (9 * 6)));
  });
});
