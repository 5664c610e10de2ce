/**
 * The library methods pass the checking passes (resolve, shapes, gradients) in every preset, and
 * the parameter counts of their backbones match the reference architectures.
 */
import { describe, expect, test } from 'vitest';
import { ijepa } from '../../library/ijepa.js';
import { mocoV3 } from '../../library/mocoV3.js';
import { checked, trainable } from './graph.js';

/** timm ViT without head: patch conv, [CLS], depth x (2 LN, qkv, proj, fc1, fc2), final LN (sin-cos positions are fixed). */
const vitParams = (o: { patch: number; dim: number; depth: number; cls: boolean }): number => {
  const d = o.dim;
  const block = 4 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d);
  return o.patch * o.patch * 3 * d + d + (o.cls ? d : 0) + o.depth * block + 2 * d;
};

describe('library methods check', () => {
  test.each([
    ['moco-v3 paper', () => mocoV3({ preset: 'paper' })],
    ['moco-v3 tiny', () => mocoV3({ preset: 'tiny' })],
    ['moco-v3 resnet paper', () => mocoV3({ preset: 'paper', backbone: 'resnet' })],
    ['moco-v3 resnet tiny', () => mocoV3({ preset: 'tiny', backbone: 'resnet' })],
    ['i-jepa paper', () => ijepa({ preset: 'paper' })],
    ['i-jepa tiny', () => ijepa({ preset: 'tiny' })],
  ])('%s passes resolve, shapes and gradients', (_name, make) => {
    const g = checked(make());
    expect(g.terms.length).toBeGreaterThan(0);
  });

  test('MoCo v3 ViT-B/16 backbone has the ViT-B parameter count; the EMA copy matches', () => {
    const g = checked(mocoV3({ preset: 'paper' }));
    expect(trainable(g, 'backbone')).toBe(vitParams({ patch: 16, dim: 768, depth: 12, cls: true }));
    expect(trainable(g, 'momentumBackbone')).toBe(trainable(g, 'backbone'));
  });

  test('MoCo v3 R-50 backbone has torchvision ResNet-50 parameters without fc (25,557,032 - 2,049,000)', () => {
    expect(trainable(checked(mocoV3({ backbone: 'resnet' })), 'backbone')).toBe(
      25_557_032 - 2_049_000,
    );
  });

  test('I-JEPA ViT-H/14 encoder (no [CLS]) has the ViT-H parameter count (~630M)', () => {
    const n = trainable(checked(ijepa()), 'encoder');
    expect(n).toBe(vitParams({ patch: 14, dim: 1280, depth: 32, cls: false }));
    expect(n).toBeGreaterThan(6.2e8);
  });
});
