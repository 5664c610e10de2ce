/**
 * The built-in texture family: labels, determinism, and the property it exists for: each texture
 * keeps the per-channel mean and standard deviation of the clean rendering (so colour statistics
 * carry no appearance information) while it does change the pixels.
 */
import { describe, expect, test } from 'vitest';
import { CONTENT_CLASSES, drawContent, SCENE_V1 } from '../../data/appearance/shapes.js';
import { applyTexture, channelStats, TEXTURE_CLASSES } from '../../data/texture/effects.js';
import { renderTexture, textureDataset, textureLabels } from '../../data/texture/generator.js';
import { Rng } from '../../compiler/ir/rng.js';

describe('texture family', () => {
  test('labels: content i mod 6, appearance floor(i / 6) mod 6, balanced over 36 images', () => {
    expect(TEXTURE_CLASSES).toEqual(['clean', 'grain', 'blur', 'blocks', 'halftone', 'scanlines']);
    expect([0, 5, 6, 35, 36].map(textureLabels)).toEqual([
      { content: 0, appearance: 0 },
      { content: 5, appearance: 0 },
      { content: 0, appearance: 1 },
      { content: 5, appearance: 5 },
      { content: 0, appearance: 0 },
    ]);
    const ds = textureDataset({ n: 36, size: 32 });
    expect(ds.classes).toEqual({ content: CONTENT_CLASSES, appearance: TEXTURE_CLASSES });
  });

  test('deterministic in (seed, i, size); another seed draws another image', () => {
    expect(renderTexture(7, 32, 0)).toEqual(renderTexture(7, 32, 0));
    expect(renderTexture(7, 32, 0)).not.toEqual(renderTexture(7, 32, 1));
  });

  test.each(TEXTURE_CLASSES.filter((t) => t !== 'clean'))(
    '%s keeps each channel mean (within 0.01) and std (within a tenth) but changes the pixels',
    (t) => {
      for (let k = 0; k < 8; k++) {
        const clean = drawContent(CONTENT_CLASSES[k % 6]!, 32, Rng.seeded(k).fork('c'), SCENE_V1);
        const before = channelStats(clean);
        const copy = { size: 32, rgb: Float32Array.from(clean.rgb) };
        applyTexture(t, copy, Rng.seeded(k).fork('t'));
        const after = channelStats(copy);
        for (let c = 0; c < 3; c++) {
          expect(Math.abs(after.mean[c]! - before.mean[c]!)).toBeLessThan(0.01);
          if (before.std[c]! > 0.02)
            expect(Math.abs(after.std[c]! / before.std[c]! - 1)).toBeLessThan(0.1);
        }
        const moved =
          copy.rgb.reduce((s, v, i) => s + Math.abs(v - clean.rgb[i]!), 0) / copy.rgb.length;
        expect(moved).toBeGreaterThan(0.005);
      }
    },
  );
});
