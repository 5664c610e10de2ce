/**
 * The streaming image folder of the torch target (`tessera_torch/data.py`): for 10 steps (two
 * epochs and a half of a 16-image folder at global batch 4) and both processes of 2, the shards
 * decoded on the fly (without workers, and with 2 worker threads prefetching the next step) equal
 * the in-memory ones exactly; `auto` holds a small folder in memory and streams once it exceeds the
 * threshold. `stormRun.test.ts` checks that `train.py --stream on` trains to the same losses.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TORCH_PACKAGE } from '../../runtime/torchPackage.js';
import { tessera } from '../cli/capture.js';
import { runPython } from './python.js';

describe('torch target: streaming image folder', () => {
  it('gives the in-memory batches, shard by shard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-torch-stream-'));
    const images = join(dir, 'images');
    const made = await tessera('data', 'appearance', '--out', images, '--n', '16', '--size', '24');
    expect(made.code).toBe(0);
    // size 20 != 24: every image goes through the resize and centre crop
    const r = JSON.parse(
      runPython([join(__dirname, 'stream.py'), images, '20', '4', '10', join(TORCH_PACKAGE, '..')]),
    ) as {
      compared: number;
      differ: number;
      auto: string;
      autoLarge: string;
      files: number;
      shape: number[];
    };
    expect(r.files).toBe(16);
    expect(r.shape).toEqual([2, 3, 20, 20]);
    expect(r.compared).toBe(2 * 10 * 2);
    expect(r.differ).toBe(0);
    expect([r.auto, r.autoLarge]).toEqual(['InMemoryImages', 'StreamingImages']);
  }, 120_000);
});
