/**
 * MoCo v3 `tiny` with ResNet backbones for the torch tests: the method's `ResNet` nodes (online
 * and momentum backbone) rewritten, so that the variants the library does not build (bottleneck
 * blocks, a max-pool stem, the `map` output) go through the same equivalence and crossover checks.
 */
import type { NetNode, ResNet } from '../../compiler/ir/net.js';
import type { Method } from '../../compiler/ir/node.js';
import { mocoV3 } from '../../library/mocoV3.js';

const isResNet = (v: unknown): v is ResNet =>
  typeof v === 'object' && v !== null && (v as { _tag?: unknown })._tag === 'ResNet';

/** `method` with every `ResNet` node replaced by `f` of it. */
export const mapResNets = (method: Method, f: (n: ResNet) => NetNode): Method => {
  const walk = (v: unknown): unknown => {
    if (isResNet(v)) return f(v);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(method) as Method;
};

/** MoCo v3 `tiny` on the tiny ResNet with a stride-2 stem (`Net.resnetTiny({ zeroInitResidual: true, stemStride: 2 })`). */
export const mocoTinyResNet = (): Method =>
  mapResNets(mocoV3({ preset: 'tiny', backbone: 'resnet', zeroInitResidual: true }), (n) => ({
    ...n,
    stem: { ...n.stem, stride: 2 },
  }));

/**
 * MoCo v3 `tiny` on a bottleneck ResNet (widths 8/16/32, x4 = the tiny ResNet's 128) with a
 * max-pool stem and no zero-init residual, its `map` output mean-pooled by a `Pool` node.
 */
export const mocoTinyBottleneck = (): Method =>
  mapResNets(mocoV3({ preset: 'tiny', backbone: 'resnet' }), (n) => ({
    _tag: 'Sequential',
    layers: [
      {
        ...n,
        stem: { channels: 16, kernel: 3, stride: 1, maxPool: true },
        block: 'bottleneck',
        stages: [
          { channels: 8, blocks: 1, stride: 1 },
          { channels: 16, blocks: 2, stride: 2 },
          { channels: 32, blocks: 1, stride: 2 },
        ],
        zeroInitResidual: false,
        output: 'map',
      },
      { _tag: 'Pool', kind: 'mean' },
    ],
  }));
