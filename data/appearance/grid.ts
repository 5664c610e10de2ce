/**
 * A contact sheet of the appearance dataset: one row per appearance class, one column per
 * content class, for the README (`docs/appearance-grid.png`, `tessera data grid`).
 */
import sharp from 'sharp';
import { renderAppearance } from './generator.js';
import { CONTENT_CLASSES } from './shapes.js';
import { APPEARANCE_CLASSES } from './weather.js';

/**
 * Renders the grid as a PNG: cell `(row a, column c)` is image `a * 6 + c` (content `c`,
 * appearance `a`), `size` pixels, `gap` pixels of white between cells, then scaled by `zoom`
 * (nearest neighbour) for viewing.
 */
export const appearanceGrid = async (
  size: number,
  seed: number,
  zoom = 2,
  gap = 2,
): Promise<Buffer> => {
  const cols = CONTENT_CLASSES.length;
  const rows = APPEARANCE_CLASSES.length;
  const width = cols * (size + gap) + gap;
  const height = rows * (size + gap) + gap;
  const out = new Uint8Array(width * height * 3).fill(255);
  for (let a = 0; a < rows; a++) {
    for (let c = 0; c < cols; c++) {
      const img = renderAppearance(a * cols + c, size, seed);
      for (let y = 0; y < size; y++) {
        const at = ((gap + a * (size + gap) + y) * width + gap + c * (size + gap)) * 3;
        out.set(img.subarray(y * size * 3, (y + 1) * size * 3), at);
      }
    }
  }
  return sharp(Buffer.from(out), { raw: { width, height, channels: 3 } })
    .resize(width * zoom, height * zoom, { kernel: 'nearest' })
    .png()
    .toBuffer();
};
