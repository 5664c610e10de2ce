/**
 * The training-step part of `bench/kernels.ts`: one step (forward + every parameter gradient) of a
 * tiny ViT and a tiny ResNet with TF.js's plain ops and with the wasm legalization, medians.
 */
import * as tf from '@tensorflow/tfjs';
import { referenceKernels, wasmKernels, type Kernels } from '../compiler/lower/legalize/index.js';
import type { NetNode } from '../compiler/ir/net.js';
import { applyNet, initNet, netParams } from '../compiler/lower/nets/index.js';
import { useBackend, type BackendName } from '../runtime/backend.js';
import { median, once, randn } from './kernelTiming.js';

/** Median ms of one training step (forward + gradients of every trainable parameter) of `net`. */
const stepMs = (net: NetNode, x: number[], kernels: Kernels, reps: number): number | string => {
  const params = initNet(net, 1);
  const trainable = netParams(net)
    .filter((p) => !p.buffer)
    .map((p) => p.path);
  const images = randn(x, 9);
  const step = () => {
    const buffers = new Map<string, tf.Tensor>();
    const g = tf.grads((...ws: tf.Tensor[]) => {
      const table = { ...params, ...Object.fromEntries(trainable.map((p, i) => [p, ws[i]!])) };
      return tf.sum(
        tf.square(
          applyNet(
            net,
            table,
            { x: images },
            { training: true, buffers, prefix: '', kernels },
          ) as tf.Tensor,
        ),
      );
    })(trainable.map((p) => params[p]!));
    tf.dispose([...buffers.values()]);
    return g;
  };
  try {
    once(step);
  } catch (e) {
    return `cannot run: ${String((e as Error).message)
      .split('\n')[0]!
      .slice(0, 60)}`;
  }
  const ts = Array.from({ length: reps }, () => once(step));
  tf.dispose([...Object.values(params), images]);
  return median(ts);
};

const vitTiny: NetNode = {
  _tag: 'Vit',
  imageSize: 64,
  patch: 8,
  inChannels: 3,
  dim: 192,
  depth: 4,
  heads: 3,
  mlpRatio: 4,
  qkvBias: true,
  cls: true,
  output: 'cls',
  stopGradPatchEmbed: false,
  eps: 1e-6,
};
const resnetTiny: NetNode = {
  _tag: 'ResNet',
  inChannels: 3,
  stem: { channels: 32, kernel: 3, stride: 1, maxPool: false },
  stages: [
    { channels: 32, blocks: 2, stride: 1 },
    { channels: 64, blocks: 2, stride: 2 },
    { channels: 128, blocks: 2, stride: 2 },
  ],
  block: 'basic',
  zeroInitResidual: true,
  output: 'pooled',
};

/** Times one training step of the tiny ViT and ResNet with plain and legalized kernels (`reps` runs each). */
export const stepCases = async (reps: number): Promise<void> => {
  const rows: Array<[string, BackendName, Kernels]> = [
    ['wasm, plain TF.js ops', 'wasm', referenceKernels],
    ['wasm, legalized kernels', 'wasm', wasmKernels],
    ['cpu, plain TF.js ops (reference)', 'cpu', referenceKernels],
  ];
  for (const [name, net, x] of [
    ['ViT tiny (64px, patch 8, dim 192, depth 4), batch 8', vitTiny, [8, 64, 64, 3]],
    ['ResNet tiny (32px, 3 stages x 2 basic blocks), batch 8', resnetTiny, [8, 32, 32, 3]],
  ] as const) {
    console.log(`training step (forward + all parameter gradients): ${name}`);
    for (const [label, backend, kernels] of rows) {
      await useBackend(backend);
      const r = stepMs(net, [...x], kernels, reps);
      console.log(`  ${label.padEnd(34)} ${typeof r === 'number' ? `${r.toFixed(0)} ms` : r}`);
    }
  }
  await useBackend('wasm');
};
