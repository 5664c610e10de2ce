/**
 * Crops that end on the last row or column give the same pixels on wasm as on cpu. The wasm
 * `CropAndResize` computes sample positions in float32: a box ending exactly on the last pixel
 * centre (e.g. top 1, height 31 of 32) landed a hair past it and read the extrapolation value 0
 * for the whole last row, a black line in some views that cpu never drew. `applyCrops` ends boxes
 * 1e-5 pixel inside.
 */
import { describe, expect, it } from 'vitest';
import { applyCrops, type CropBox } from '../../../../compiler/lower/augment/geometry.js';
import { tf } from '../../../../runtime/backend.js';
import { onBackend } from '../compare.js';

const S = 32;
const boxes: CropBox[] = [
  { top: 1, left: 0, height: 31, width: 32 },
  { top: 0, left: 1, height: 32, width: 31 },
  { top: 3, left: 5, height: 29, width: 27 },
  { top: 0, left: 0, height: 32, width: 32 },
];
const data = Float32Array.from(
  { length: boxes.length * S * S * 3 },
  (_, i) => 0.2 + (0.6 * ((i * 7919) % 101)) / 101,
);

const crops = (): tf.Tensor[] => [applyCrops(tf.tensor4d(data, [boxes.length, S, S, 3]), boxes, S)];

describe('crops ending on the last pixel', () => {
  it('wasm equals cpu within 1e-3 and never draws a black edge', async () => {
    const [wasm] = await onBackend('wasm', crops);
    const [cpu] = await onBackend('cpu', crops);
    let worst = 0;
    for (let i = 0; i < cpu!.length; i++) worst = Math.max(worst, Math.abs(wasm![i]! - cpu![i]!));
    expect(worst).toBeLessThan(1e-3);
    expect(Math.min(...wasm!)).toBeGreaterThan(0.1); // inputs are in [0.2, 0.8]
  });
});
