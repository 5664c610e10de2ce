/**
 * `viewSheet` / `tessera data views`: the views a training step sees, drawn with the step's own
 * random streams (`step:s` then `view:<name>`), de-normalised; I-JEPA masks as overlays; views
 * of generated images reported as not drawn.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { appearanceDataset } from '../../data/appearance/generator.js';
import { applyPipeline } from '../../compiler/lower/augment/pipeline.js';
import { randomNodes, viewSheet } from '../../data/views.js';
import { methods } from '../../library/index.js';
import { useBackend } from '../../runtime/backend.js';
import { Rng } from '../../compiler/ir/rng.js';
import { tessera } from '../cli/capture.js';

/** Pixel `(row b, column c)` of a sheet of `size`-pixel cells, gap 2, zoom 1. */
const cell = async (
  png: Buffer,
  columns: number,
  size: number,
  b: number,
  c: number,
): Promise<Float32Array> => {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  expect(info.width).toBe(columns * (size + 2) + 2);
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size * 3; x++)
      out[y * size * 3 + x] =
        data[((2 + b * (size + 2) + y) * info.width + 2 + c * (size + 2)) * 3 + x]! / 255;
  return out;
};

describe('viewSheet', () => {
  let images: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend('wasm');
    images = (await appearanceDataset({ n: 2, size: 32, seed: 0 }).all()).images;
  });

  it('finds the views and masks of a spec, first occurrence of each name', () => {
    expect(randomNodes(methods['moco-v3']('tiny')).views.map((v) => v.name)).toEqual([
      'view1',
      'view2',
    ]);
    const ij = randomNodes(methods['i-jepa']('tiny'));
    expect([ij.views.map((v) => v.name), ij.masks.map((m) => m.name)]).toEqual([
      ['view'],
      ['masks'],
    ]);
  });

  it("draws each view with the step's random stream, de-normalised", async () => {
    const spec = methods['moco-v3']('tiny');
    const sheet = await viewSheet(spec, images, { seed: 3, step: 5, zoom: 1 });
    expect(sheet.columns).toEqual(['input', 'view1', 'view2']);
    const view2 = randomNodes(spec).views[1]!;
    const expected = tf.tidy(() =>
      applyPipeline(
        images,
        view2.pipeline.filter((a) => a._tag !== 'Normalize'),
        Rng.seeded(3).fork('step:5').fork('view:view2'),
      ).clipByValue(0, 1),
    );
    const want = (await expected.data()) as Float32Array;
    expected.dispose();
    const got = await cell(sheet.png, 3, 32, 1, 2);
    const row = want.subarray(32 * 32 * 3);
    let maxErr = 0;
    for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i]! - row[i]!));
    expect(maxErr).toBeLessThan(1.5 / 255); // 8-bit rounding
    const input = await cell(sheet.png, 3, 32, 1, 0);
    expect(
      Math.abs(input[100]! - ((await images.data()) as Float32Array)[32 * 32 * 3 + 100]!),
    ).toBeLessThan(1 / 255);
  });

  it('overlays I-JEPA masks: dropped context patches dimmed, target blocks tinted', async () => {
    const sheet = await viewSheet(methods['i-jepa']('tiny'), images, { seed: 0, step: 0, zoom: 1 });
    expect(sheet.columns).toEqual(['input', 'view', 'masks:context', 'masks:targets']);
    const view = await cell(sheet.png, 4, 32, 0, 1);
    const context = await cell(sheet.png, 4, 32, 0, 2);
    const targets = await cell(sheet.png, 4, 32, 0, 3);
    const dimmed = view.filter(
      (v, i) => v > 0.1 && Math.abs(context[i]! - 0.25 * v) < 2 / 255,
    ).length;
    const kept = view.filter((v, i) => Math.abs(context[i]! - v) < 1 / 255).length;
    expect(dimmed).toBeGreaterThan(100);
    expect(kept).toBeGreaterThan(100);
    expect(targets.some((v, i) => Math.abs(v - view[i]!) > 0.1)).toBe(true);
  });

  it('lists views whose source a network computes as not drawn', async () => {
    const sheet = await viewSheet(methods['st-storm']('tiny'), images, {
      seed: 0,
      step: 0,
      zoom: 1,
    });
    expect(sheet.columns).toContain('x');
    expect(sheet.skipped.join('\n')).toMatch(/farNoise \(its source is computed by a network/);
    // y is a view of the other pseudo-domain fold's batch, which the sheet does not have
    expect(sheet.columns).not.toContain('y');
    expect(sheet.skipped.join('\n')).toMatch(
      /y \(its source is the other pseudo-domain fold's batch/,
    );
  });
});

describe('tessera data views', () => {
  it('writes the sheet of a library method and names its columns; refuses bad options', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tessera-views-')), 'v.png');
    const r = await tessera(
      'data',
      'views',
      '--method',
      'i-jepa',
      '--n',
      '3',
      '--step',
      '2',
      '--out',
      out,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      '3 images of step 2 (seed 0); columns: input | view | masks:context | masks:targets',
    );
    expect(existsSync(out)).toBe(true);
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual([(4 * 34 + 2) * 4, (3 * 34 + 2) * 4]);
    expect((await tessera('data', 'views', '--method', 'moco-v3', '--n', '0')).code).toBe(2);
    expect((await tessera('data', 'views', '--method', 'simclr')).code).toBe(2);
  });
});
