/**
 * `Memory` nodes on both targets: TF.js `createMemoryState` and tessera_torch's `MemoryState`, fed
 * the same batches over 4 steps and the same draws (TF.js's stream `memory:<name>`, replayed in
 * torch), return the same mixed batches (stored samples at the drawn positions, the batch itself
 * while the memory is empty) and hold the same last `size` samples, which torch's checkpoint
 * snapshot restores exactly. Values are copies, so the comparison is exact.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createMemoryState, replacedCount } from '../../compiler/lower/memory.js';
import { Rng } from '../../compiler/ir/rng.js';
import { TORCH_PACKAGE } from '../../runtime/torchPackage.js';
import { runPython } from './python.js';

const NODE = { _tag: 'Memory', name: 'bank', size: 6, ratio: 0.5 } as const;
const [B, C, H, W] = [4, 2, 2, 2];

describe('Memory: TF.js and torch agree step by step', () => {
  it('mixes the same stored samples in and keeps the same last samples', () => {
    const memory = createMemoryState();
    const data = Rng.seeded(11);
    const steps = [];
    const tfOuts: number[][][][][] = [];
    let stored = 0;
    for (let s = 0; s < 4; s++) {
      const nhwc = Float32Array.from({ length: B * H * W * C }, () => data.next());
      const rng = Rng.seeded(100 + s);
      const fork = rng.fork(`memory:${NODE.name}`);
      const perm = fork.permutation(B);
      const k = replacedCount(NODE.ratio, B);
      const ints = stored === 0 ? [] : perm.slice(0, k).map(() => fork.int(0, stored));
      const source = tf.tensor4d(nhwc, [B, H, W, C]);
      const out = memory.sample(
        { ...NODE, source: { _tag: 'Input', name: 'images' } },
        source,
        rng,
      );
      tfOuts.push(out.transpose([0, 3, 1, 2]).arraySync() as number[][][][]);
      steps.push({ source: source.transpose([0, 3, 1, 2]).arraySync(), perm, ints });
      memory.afterStep();
      stored = Math.min(NODE.size, stored + B);
    }
    const snapshot = memory.snapshot()['bank']!;
    const dir = mkdtempSync(join(tmpdir(), 'tessera-torch-memory-'));
    const file = join(dir, 'case.json');
    writeFileSync(file, JSON.stringify({ node: NODE, steps }));
    const py = JSON.parse(
      runPython([join(__dirname, 'memory.py'), file, join(TORCH_PACKAGE, '..')]),
    ) as { outs: number[][][][][]; snapshot: Record<string, number[]>; roundTrip: boolean };
    expect(py.outs).toEqual(tfOuts);
    expect(tfOuts[0]).toEqual(steps[0]!.source); // empty memory: the batch itself
    expect(tfOuts[1]).not.toEqual(steps[1]!.source); // then 2 of 4 rows come from the memory
    expect(snapshot.shape).toEqual([NODE.size, H, W, C]);
    expect(py.snapshot['memory/bank']).toEqual(snapshot.arraySync());
    expect(py.roundTrip).toBe(true);
    memory.dispose();
  });
});
