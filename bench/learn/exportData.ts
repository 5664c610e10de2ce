/**
 * Writes the built-in appearance data as raw bytes for the PyTorch recipe sweep
 * (`bench/learn/torch_sweep.py`): `DIR/train.u8` (2520 images, seed 0) and `DIR/eval.u8` (1260
 * held-out images, seed 1000), each `[n, 32, 32, 3]` uint8, plus `DIR/labels.json`.
 *
 *   npx tsx bench/learn/exportData.ts /tmp/learn [size] [clear|all] [SCENE-JSON]
 *
 * With `clear`, the training images are all of appearance `clear` (a diagnostic: is the weather
 * the shortcut instance discrimination takes?); the held-out images stay the full set. With
 * `SCENE-JSON` (e.g. `'{"weather":1,"radius":[0.2,0.34]}'`), both sets are drawn with those
 * fields of `SCENE` overridden (`SCENE_V1` is the dataset's first version).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appearanceLabels, renderAppearance } from '../../data/appearance/generator.js';
import type { Scene } from '../../data/appearance/shapes.js';

const dir = process.argv[2] ?? '/tmp/learn';
const size = Number(process.argv[3] ?? 32);
const clearOnly = process.argv[4] === 'clear';
const scene = JSON.parse(process.argv[5] ?? '{}') as Partial<Scene>;
/** The k-th training index: every index, or only those of appearance `clear` (the first 6 of each block of 42). */
const indexOf = (k: number, clear: boolean): number =>
  clear ? Math.floor(k / 6) * 42 + (k % 6) : k;
const write = async (
  name: string,
  n: number,
  seed: number,
  clear = false,
): Promise<{ content: number[]; appearance: number[] }> => {
  const bytes = new Uint8Array(n * size * size * 3);
  for (let k = 0; k < n; k++)
    bytes.set(renderAppearance(indexOf(k, clear), size, seed, scene), k * size * size * 3);
  await writeFile(join(dir, `${name}.u8`), bytes);
  const labels = Array.from({ length: n }, (_, k) => appearanceLabels(indexOf(k, clear)));
  return { content: labels.map((l) => l.content), appearance: labels.map((l) => l.appearance) };
};
const labels = {
  size,
  train: await write('train', 2520, 0, clearOnly),
  eval: await write('eval', 1260, 1000),
};
await writeFile(join(dir, 'labels.json'), JSON.stringify(labels));
console.log(`wrote ${dir}/train.u8, eval.u8, labels.json`);
