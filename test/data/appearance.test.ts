/** The built-in appearance dataset: determinism, both labels, class separation, files round trip. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appearanceDataset,
  appearanceLabels,
  renderAppearance,
} from '../../data/appearance/generator.js';
import { CONTENT_CLASSES, drawContent, SCENE, SCENE_V1 } from '../../data/appearance/shapes.js';
import { APPEARANCE_CLASSES } from '../../data/appearance/weather.js';
import { writeAppearance } from '../../data/appearance/write.js';
import { openImageFolder } from '../../data/imageFolder.js';
import { tf, useBackend } from '../../runtime/backend.js';
import { Rng } from '../../compiler/ir/rng.js';

const meanOf = (img: Uint8Array): number => img.reduce((s, v) => s + v, 0) / img.length / 255;

describe('appearance generator', () => {
  it('has at least 6 content and 6 appearance classes, balanced and independent labels', () => {
    expect(CONTENT_CLASSES.length).toBeGreaterThanOrEqual(6);
    expect(APPEARANCE_CLASSES.length).toBeGreaterThanOrEqual(6);
    const pairs = new Map<string, number>();
    for (let i = 0; i < 42 * 3; i++) {
      const l = appearanceLabels(i);
      pairs.set(
        `${l.content},${l.appearance}`,
        (pairs.get(`${l.content},${l.appearance}`) ?? 0) + 1,
      );
    }
    expect(pairs.size).toBe(42);
    expect([...pairs.values()].every((n) => n === 3)).toBe(true);
  });

  it('same seed, same bytes; another seed, other bytes; any size', () => {
    for (const size of [32, 64]) {
      const a = renderAppearance(17, size, 5);
      expect(a.length).toBe(size * size * 3);
      expect(Buffer.from(renderAppearance(17, size, 5)).equals(Buffer.from(a))).toBe(true);
      expect(Buffer.from(renderAppearance(17, size, 6)).equals(Buffer.from(a))).toBe(false);
    }
  });

  it.each([1, SCENE.weather])(
    'appearance classes have their signature at weather %s: night is dark, fog and glare bright, grain noisy',
    (weather) => {
      const seed = 3;
      const stats = (appearance: number) => {
        const imgs = Array.from({ length: 24 }, (_, k) =>
          renderAppearance(appearance * 6 + (k % 6) + 42 * Math.floor(k / 6), 48, seed, {
            weather,
          }),
        );
        const roughness = imgs.map((img) => {
          let d = 0;
          for (let i = 3; i < img.length; i++) d += Math.abs(img[i]! - img[i - 3]!);
          return d / img.length / 255;
        });
        return {
          mean: imgs.map(meanOf).reduce((s, v) => s + v) / 24,
          rough: roughness.reduce((s, v) => s + v) / 24,
        };
      };
      const by = Object.fromEntries(APPEARANCE_CLASSES.map((name, a) => [name, stats(a)]));
      // at strength w the night image is clear * (1 - w) + night * w
      expect(by['night']!.mean).toBeLessThan((1 - weather) * by['clear']!.mean + 0.2 * weather);
      expect(by['fog']!.mean).toBeGreaterThan(by['clear']!.mean);
      expect(by['glare']!.mean).toBeGreaterThan(by['clear']!.mean);
      expect(by['grain']!.rough).toBeGreaterThan((1 + 2 * weather) * by['clear']!.rough);
      expect(by['rain']!.rough).toBeGreaterThan(by['clear']!.rough);
      expect(by['snow']!.rough).toBeGreaterThan(by['clear']!.rough);
    },
  );
});

describe('appearance dataset: memory and files agree', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('wasm');
    dir = mkdtempSync(path.join(tmpdir(), 'tessera-appearance-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the same PNG bytes twice and reads them back equal to the in-memory images, with either label', async () => {
    const opts = { n: 50, size: 32, seed: 9 };
    const paths = await writeAppearance(path.join(dir, 'a'), opts);
    await writeAppearance(path.join(dir, 'b'), opts);
    expect(paths[7]).toBe('square/rain/000007.png'); // 7 mod 6 = 1, floor(7 / 6) = 1
    for (const p of [paths[0]!, paths[49]!]) {
      expect(
        readFileSync(path.join(dir, 'a', p)).equals(readFileSync(path.join(dir, 'b', p))),
      ).toBe(true);
    }
    const memory = await appearanceDataset(opts).all();
    const folder = await openImageFolder(path.join(dir, 'a'), { size: 32 });
    expect(folder.classes).toEqual({
      content: [...CONTENT_CLASSES],
      appearance: [...APPEARANCE_CLASSES],
    });
    expect(folder.unreadable).toEqual([]);
    const files = await folder.all();
    // the folder's index order is sorted paths; map back through the file names
    const order = folder.files.map((f) => Number(path.basename(f, '.png')));
    const mem = memory.images.arraySync();
    const got = files.images.arraySync();
    order.forEach((i, k) => {
      expect(got[k]).toEqual(mem[i]);
      expect(files.labels['content']![k]).toBe(memory.labels['content']![i]);
      expect(files.labels['appearance']![k]).toBe(memory.labels['appearance']![i]);
    });
    const onlyAppearance = await openImageFolder(path.join(dir, 'a'), {
      size: 32,
      label: 'appearance',
    });
    expect(Object.keys(onlyAppearance.classes)).toEqual(['appearance']);
    await expect(openImageFolder(path.join(dir, 'a'), { label: 'weather' })).rejects.toThrow(
      /no label "weather"[\s\S]*content, appearance/,
    );
    tf.dispose([memory.images, files.images]);
  });

  it('the cached dataset yields the same images as the uncached one, epoch after epoch', async () => {
    const plain = await appearanceDataset({ n: 12, size: 16, seed: 2 }).all();
    const cached = appearanceDataset({ n: 12, size: 16, seed: 2, cache: true });
    for (let epoch = 0; epoch < 2; epoch++) {
      const all = await cached.all();
      expect([...all.images.dataSync()]).toEqual([...plain.images.dataSync()]);
      all.images.dispose();
    }
    plain.images.dispose();
  });

  it('batches: seeded shuffle covers an epoch once, same seed same order, images in [0, 1]', async () => {
    const ds = appearanceDataset({ n: 45, size: 16, seed: 1 });
    const seen: number[] = [];
    const firstLabels: number[] = [];
    for await (const b of ds.batches(8, Rng.seeded(4))) {
      expect(b.images.shape).toEqual([8, 16, 16, 3]);
      const v = b.images.dataSync();
      expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...v)).toBeLessThanOrEqual(1);
      b.indices.forEach((i, k) =>
        expect(b.labels['content']![k]).toBe(appearanceLabels(i).content),
      );
      seen.push(...b.indices);
      firstLabels.push(b.labels['appearance']![0]!);
      b.images.dispose();
    }
    expect(seen.length).toBe(40); // dropLast
    expect(new Set(seen).size).toBe(40);
    const again: number[] = [];
    for await (const b of ds.batches(8, Rng.seeded(4), { dropLast: false })) {
      again.push(...b.indices);
      b.images.dispose();
    }
    expect(again.length).toBe(45);
    expect(again.slice(0, 40)).toEqual(seen);
  });
});

describe('scene (how images are drawn)', () => {
  it('defaults to SCENE (same bytes) and a larger radius range draws larger shapes', () => {
    expect(renderAppearance(5, 32, 0, SCENE)).toEqual(renderAppearance(5, 32, 0));
    // the same random draws: only the radius differs, so a bigger range covers more pixels
    const covered = (radius: readonly [number, number]): number => {
      const plain = drawContent('square', 32, Rng.seeded(1), { ...SCENE, radius: [0, 0] });
      const drawn = drawContent('square', 32, Rng.seeded(1), { ...SCENE, radius });
      return drawn.rgb.filter((v, i) => Math.abs(v - plain.rgb[i]!) > 1e-6).length;
    };
    expect(covered([0.4, 0.45])).toBeGreaterThan(1.5 * covered([0.2, 0.25]));
    expect(appearanceDataset({ n: 2, size: 16, scene: { radius: [0.3, 0.4] } }).name).toContain(
      'radius=0.3-0.4',
    );
    expect(appearanceDataset({ n: 2, size: 16, scene: SCENE }).name).toBe(
      'appearance(n=2, size=16, seed=0)',
    );
  });

  it('weather 0 renders the clear scene; weather strength moves pixels linearly toward the effect', () => {
    const rainy = 7; // appearance 1 = rain
    const at = (weather: number): Uint8Array => renderAppearance(rainy, 32, 0, { weather });
    const none = at(0);
    const full = at(1);
    const half = at(0.5);
    expect(appearanceLabels(rainy).appearance).toBe(1);
    expect(none).not.toEqual(full);
    // the clear scene: the first image of its block (appearance 0) with the same draws is not
    // comparable (other random draws), so check the midpoint instead: |half - (none+full)/2| <= 1
    // wherever the effect stays inside [0, 1]
    let off = 0;
    for (let k = 0; k < half.length; k++)
      if (Math.abs(half[k]! - (none[k]! + full[k]!) / 2) > 1.01) off++;
    expect(off / half.length).toBeLessThan(0.02);
  });

  it('SCENE_V1 draws the first version: gradient backgrounds, smaller shapes, full weather', () => {
    expect(SCENE_V1).toEqual({ radius: [0.2, 0.34], background: 'gradient', weather: 1 });
    const flat = drawContent('circle', 32, Rng.seeded(2), { ...SCENE, background: 'flat' });
    const corner = (c: { rgb: Float32Array }, i: number): number[] =>
      Array.from(c.rgb.slice(i * 3, i * 3 + 3));
    expect(corner(flat, 0)).toEqual(corner(flat, 31));
    const gradient = drawContent('circle', 32, Rng.seeded(2), SCENE_V1);
    expect(corner(gradient, 0)).not.toEqual(corner(gradient, 31));
  });
});
