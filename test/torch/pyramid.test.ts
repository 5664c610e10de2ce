/**
 * The SWD Laplacian pyramid of the torch target (`python/tessera_torch/texture.py`) against TF.js's
 * (`compiler/lower/losses/texture.ts` `laplacianPyramid`, the spec) on odd sizes, where the 2x2
 * average pool has a lone end and the bilinear upsampling is not a plain doubling; and the band
 * cap `1 + floor(log2(min side))` on both sides. The ST-STORM equivalence test covers the pyramid
 * inside the loss at 32 px (6 bands, draws replayed).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxPyramidLevels } from '../../compiler/ir/loss.js';
import { laplacianPyramid } from '../../compiler/lower/losses/texture.js';
import { Rng } from '../../compiler/ir/rng.js';
import { useBackend } from '../../runtime/backend.js';
import { TORCH_PACKAGE } from '../../runtime/torchPackage.js';
import { PYTHON } from './python.js';

/** Runs `body` with `tessera_torch` importable and JSON `input` on stdin; returns its output. */
const python = <T>(body: string, input: unknown): T => {
  const script = `import json, sys\nsys.path.insert(0, ${JSON.stringify(join(TORCH_PACKAGE, '..'))})\n${body}`;
  const r = spawnSync(PYTHON, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
};

describe('torch target: SWD Laplacian pyramid vs TF.js', () => {
  beforeAll(async () => useBackend('cpu'));

  it.each([
    [2, 7, 5, 3],
    [1, 13, 9, 4],
    [2, 6, 11, 2],
  ])('[%i, %i, %i, C] images, every band count: bands within 1e-6', (b, h, w, c) => {
    const rng = Rng.seeded(h * 100 + w);
    const data = Float32Array.from({ length: b * h * w * c }, () => rng.normal());
    const x = tf.tensor4d(data, [b, h, w, c]);
    const levels = maxPyramidLevels(h, w);
    for (let l = 1; l <= levels; l++) {
      const tfjs = laplacianPyramid(x, l);
      const torch = python<{ shapes: number[][]; bands: number[][] }>(
        `import numpy as np, torch
from tessera_torch.texture import laplacian_pyramid
a = json.load(sys.stdin)
x = torch.tensor(np.asarray(a["x"], dtype=np.float32).reshape(a["shape"])).permute(0, 3, 1, 2)
bands = [t.permute(0, 2, 3, 1) for t in laplacian_pyramid(x, a["levels"])]
print(json.dumps({"shapes": [list(t.shape) for t in bands], "bands": [t.reshape(-1).tolist() for t in bands]}))`,
        { x: Array.from(data), shape: [b, h, w, c], levels: l },
      );
      expect(torch.shapes, `${l} bands`).toEqual(tfjs.map((t) => t.shape));
      tfjs.forEach((t, i) => {
        const ref = t.dataSync();
        const diff = Math.max(...torch.bands[i]!.map((v, j) => Math.abs(v - ref[j]!)));
        expect(diff, `${l} bands, band ${i}`).toBeLessThan(1e-6);
      });
      tfjs.filter((t) => t !== x).forEach((t) => t.dispose()); // 1 band is `x` itself
    }
    x.dispose();
  });

  it('caps the band count as TF.js does: 1 + floor(log2(min side))', () => {
    const sizes = [
      [1, 1],
      [2, 3],
      [7, 5],
      [32, 32],
      [33, 64],
      [256, 256],
      [255, 300],
    ];
    const torch = python<number[]>(
      `from tessera_torch.texture import max_pyramid_levels
print(json.dumps([max_pyramid_levels(h, w) for h, w in json.load(sys.stdin)]))`,
      sizes,
    );
    expect(torch).toEqual(sizes.map(([h, w]) => maxPyramidLevels(h!, w!)));
    expect(torch).toContain(9); // 256 px: the paper's 9 bands
  });
});
