/** `tessera bench step --profile` (`bench/profile.ts`): kernel categories and attribution to IR nodes. */
import { describe, expect, it } from 'vitest';
import { compile } from '../../runtime/compile.js';
import { mocoV3 } from '../../library/mocoV3.js';
import { CATEGORIES, categoryOf, profileStep } from '../../bench/profile.js';
import { tf, useBackend } from '../../runtime/backend.js';

describe('step profile', () => {
  it('sorts kernels into categories', () => {
    expect(
      categoryOf(
        'BatchMatMul',
        [
          [256, 65, 16],
          [256, 65, 16],
        ],
        'Apply',
      ),
    ).toBe('attention products');
    expect(
      categoryOf(
        'TesseraBatchMatMul',
        [
          [256, 65, 65],
          [256, 65, 16],
        ],
        'Apply',
      ),
    ).toBe('attention products');
    expect(
      categoryOf(
        'BatchMatMul',
        [
          [1, 2080, 64],
          [1, 64, 192],
        ],
        'Apply',
      ),
    ).toBe('other matmuls');
    expect(
      categoryOf(
        '_FusedMatMul',
        [
          [2080, 64],
          [64, 192],
        ],
        undefined,
      ),
    ).toBe('other matmuls');
    expect(categoryOf('Conv2DBackpropFilter', [[4, 32, 32, 3]], undefined)).toBe('convolutions');
    expect(categoryOf('Identity', [[3]], 'Apply')).toBe('data movement');
    expect(categoryOf('Erf', [[3]], 'Apply')).toBe('element-wise');
    expect(
      categoryOf(
        'BatchMatMul',
        [
          [8, 3, 3],
          [8, 3, 3],
        ],
        'View',
      ),
    ).toBe('augmentation');
  });

  it('attributes one MoCo v3 step to its nodes and phases; shares add up', async () => {
    await useBackend('cpu');
    const compiled = await compile(mocoV3({ preset: 'tiny', backbone: 'vit', batch: 4 }), {
      backend: 'cpu',
    });
    compiled.init(0);
    const images = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const p = await profileStep(compiled, images, { step: 300, totalSteps: 600 });
    const sum = CATEGORIES.reduce((s, c) => s + p.by_category[c].ms, 0);
    expect(sum).toBeCloseTo(p.kernel_ms, 6);
    expect(p.by_node.reduce((s, n) => s + n.kernels, 0)).toBe(p.kernels);
    expect(p.by_category['attention products'].kernels).toBe(24); // 3 blocks x (QK, AV) x (online, momentum) + 3 x 4 gradients
    expect(p.by_category['augmentation'].kernels).toBeGreaterThan(0);
    const nodes = p.by_node.map((n) => n.node);
    expect(nodes).toEqual(
      expect.arrayContaining(['backward:contrastive', 'optimizer:contrastive', 'ema:contrastive']),
    );
    expect(p.by_node.find((n) => n.what.startsWith('View'))?.kernels).toBeGreaterThan(0);
    images.dispose();
    compiled.dispose();
  }, 600_000);
});
