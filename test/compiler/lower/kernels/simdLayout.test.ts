/**
 * tessera's data-movement kernels (`compiler/lower/kernels/simdLayout.ts`) against TF.js's own
 * `transpose` and `gather` on the `cpu` backend: values (exact: they are copies) and gradients,
 * on shapes that take the 4 x 4 SIMD blocks, the element-wise path, and batches of slices.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  gatherBatch,
  gatherRowsFast,
  layoutSimdRuns,
  transposeFast,
} from '../../../../compiler/lower/kernels/simdLayout.js';
import { simdLayoutModule } from '../../../../compiler/lower/kernels/simdLayoutCode.js';
import { onBackend, randn, expectValidModule } from '../compare.js';

/** The value of `f(x)` and the gradient of `sum(f(x) * probe)` in `x`. */
const valueAndGrad = (f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): tf.Tensor[] => {
  const probe = randn(2, f(x).shape);
  return [f(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), probe)))(x)];
};

const plainTranspose = (x: tf.Tensor): tf.Tensor =>
  tf.transpose(x, x.rank === 2 ? [1, 0] : [0, 2, 1]);

describe('data-movement kernels (wasm) vs TF.js transpose and gather on cpu', () => {
  it('assembles modules the engine validates (plain and shared memory)', () => {
    expect(() => expectValidModule(simdLayoutModule)).not.toThrow();
  });

  // 16-row bands, 4-row bands, both (36 rows), element-wise sizes, batches of slices
  for (const shape of [
    [32, 12],
    [36, 20],
    [12, 8],
    [3, 5],
    [4, 7],
    [2, 8, 4],
    [3, 20, 8],
    [3, 5, 9],
    [1, 4],
  ]) {
    it(`transposes [${shape}] exactly, gradient included`, async () => {
      const [runs, ...got] = await onBackend('wasm', () => [
        tf.scalar(layoutSimdRuns() ? 1 : 0),
        ...valueAndGrad((x) => transposeFast(x as tf.Tensor2D), randn(1, shape)),
      ]);
      const want = await onBackend('cpu', () => valueAndGrad(plainTranspose, randn(1, shape)));
      expect(runs![0]).toBe(1);
      expect(got[0]).toEqual(want[0]);
      expect(got[1]).toEqual(want[1]);
    });
  }

  it('gathers rows exactly; the gradient sums repeated rows (as TF.js does on cpu)', async () => {
    const index = [
      [0, 5, 5],
      [2, 0, 5],
    ];
    const run = () =>
      valueAndGrad(
        (t) => gatherRowsFast(t as tf.Tensor2D, tf.tensor2d(index, undefined, 'int32')),
        randn(3, [6, 8]),
      );
    const got = await onBackend('wasm', run);
    const want = await onBackend('cpu', run);
    expect(got[0]).toEqual(want[0]);
    expect(got[0]!.length).toBe(2 * 3 * 8);
    for (let i = 0; i < want[1]!.length; i++) expect(got[1]![i]).toBeCloseTo(want[1]![i]!, 6);
  });

  it('gathers through TF.js when rows are not a multiple of 4 floats', async () => {
    const run = () => [
      gatherRowsFast(randn(4, [5, 3]) as tf.Tensor2D, tf.tensor1d([4, 1], 'int32')),
    ];
    expect(await onBackend('wasm', run)).toEqual(await onBackend('cpu', run));
  });

  it('gathers items of an image batch on axis 0 exactly', async () => {
    const run = () => [gatherBatch(randn(5, [3, 2, 2, 4]), tf.tensor1d([2, 0, 2], 'int32'))];
    const got = await onBackend('wasm', run);
    const want = await onBackend('cpu', () => [
      tf.gather(randn(5, [3, 2, 2, 4]), tf.tensor1d([2, 0, 2], 'int32')),
    ]);
    expect(got).toEqual(want);
  });

  it('names an index outside the table and its position', async () => {
    await expect(
      onBackend('wasm', () => [gatherRowsFast(tf.zeros([3, 4]), tf.tensor1d([0, 2, 3], 'int32'))]),
    ).rejects.toThrow(/index 2 is 3, outside the table's 3 rows/);
  });
});
