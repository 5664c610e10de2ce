/**
 * Writes the built-in appearance data as raw bytes for the PyTorch recipe sweep
 * (`bench/learn/torch_sweep.py`): `DIR/train.u8` (2520 images, seed 0) and `DIR/eval.u8` (1260
 * held-out images, seed 1000), each `[n, 32, 32, 3]` uint8, plus `DIR/labels.json`.
 *
 *   npx tsx bench/learn/exportData.ts /tmp/learn
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appearanceLabels, renderAppearance } from '../../data/appearance/generator.js';

const dir = process.argv[2] ?? '/tmp/learn';
const size = Number(process.argv[3] ?? 32);
const write = async (name: string, n: number, seed: number): Promise<{ content: number[]; appearance: number[] }> => {
  const bytes = new Uint8Array(n * size * size * 3);
  for (let i = 0; i < n; i++) bytes.set(renderAppearance(i, size, seed), i * size * size * 3);
  await writeFile(join(dir, `${name}.u8`), bytes);
  const labels = Array.from({ length: n }, (_, i) => appearanceLabels(i));
  return { content: labels.map((l) => l.content), appearance: labels.map((l) => l.appearance) };
};
const labels = { size, train: await write('train', 2520, 0), eval: await write('eval', 1260, 1000) };
await writeFile(join(dir, 'labels.json'), JSON.stringify(labels));
console.log(`wrote ${dir}/train.u8, eval.u8, labels.json`);
