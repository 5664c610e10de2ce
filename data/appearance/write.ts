/**
 * Writes the appearance dataset as PNG files in the layout the image-folder loader reads back
 * with either label: `DIR/<content>/<appearance>/<index>.png` plus a `DIR/labels.json` manifest
 * (`levels: ["content", "appearance"]`, the class order, and the generator settings).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { makeFolder } from '../../runtime/fsErrors.js';
import { MANIFEST, MANIFEST_FORMAT, type Manifest } from '../folderScan.js';
import {
  appearanceLabels,
  appearanceSource,
  renderAppearance,
  type AppearanceOptions,
} from './generator.js';
import { CONTENT_CLASSES } from './shapes.js';
import { APPEARANCE_CLASSES } from './weather.js';

/** Encodes RGB bytes `[size, size, 3]` as a PNG (deterministic: same bytes in, same file out). */
export const encodePng = (rgb: Uint8Array, size: number): Promise<Buffer> =>
  sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.length), {
    raw: { width: size, height: size, channels: 3 },
  })
    .png({ compressionLevel: 6 })
    .toBuffer();

/** The relative path of image `i` in the written layout. */
export const appearancePath = (i: number, n: number): string => {
  const { content, appearance } = appearanceLabels(i);
  const digits = Math.max(6, String(n - 1).length);
  return `${CONTENT_CLASSES[content]}/${APPEARANCE_CLASSES[appearance]}/${String(i).padStart(digits, '0')}.png`;
};

/**
 * Renders `n` images and writes them under `dir` (created if needed), `concurrency` encodes at a
 * time. Returns the relative paths written, in index order.
 */
export const writeAppearance = async (
  dir: string,
  options: AppearanceOptions,
  concurrency = 8,
): Promise<string[]> => {
  const { imageSize: size } = appearanceSource(options); // validates the options
  const seed = options.seed ?? 0;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    levels: ['content', 'appearance'],
    classes: { content: CONTENT_CLASSES, appearance: APPEARANCE_CLASSES },
    source: { generator: 'tessera appearance', n: options.n, size, seed },
  };
  const paths = Array.from({ length: options.n }, (_, i) => appearancePath(i, options.n));
  await Promise.all(
    [...new Set(paths.map((p) => path.dirname(p)))].map((d) => makeFolder(path.join(dir, d))),
  );
  for (let start = 0; start < paths.length; start += concurrency) {
    const chunk = paths.slice(start, start + concurrency);
    await Promise.all(
      chunk.map(async (p, k) =>
        fs.writeFile(
          path.join(dir, p),
          await encodePng(renderAppearance(start + k, size, seed), size),
        ),
      ),
    );
  }
  await fs.writeFile(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return paths;
};
