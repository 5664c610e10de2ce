/**
 * The CLI side of the torch target: `tessera compile --target torch --out DIR` writes a folder
 * Python can train (graph.json with the step plan, spec.json and its hash, train.py, torchrun.py,
 * the package), refuses bad options with a hint; `tessera check --processes N` prints the
 * per-process plan and refuses a count that does not divide the batch.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mocoV3 } from '../../../library/mocoV3.js';
import { specHash } from '../../../runtime/specHash.js';
import { tessera } from '../capture.js';

describe('tessera compile --target torch', () => {
  it('writes graph.json, spec.json, train.py, torchrun.py and the Python package', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tessera-torch-cli-')), 'moco');
    const r = await tessera(
      'compile',
      '--method',
      'moco-v3',
      '--preset',
      'tiny',
      '--target',
      'torch',
      '--out',
      dir,
      '--steps',
      '7',
      '--batch',
      '16',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('global batch 16, 7 steps');
    const target = JSON.parse(readFileSync(join(dir, 'graph.json'), 'utf8')) as {
      format: string;
      specHash: string;
      graph: { method: unknown };
      plan: Array<{ objective: string; taped: string[]; emaAfter: string[] }>;
    };
    expect(target.format).toBe('tessera-torch-target');
    expect(target.plan.map((p) => p.objective)).toEqual(['contrastive']);
    expect(target.plan[0]!.emaAfter).toEqual(['momentumBackbone', 'momentumProjector']);
    expect(target.plan[0]!.taped.length).toBeGreaterThan(0);
    const spec = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as {
      training: { batch: number; steps: number };
    };
    expect(spec.training).toEqual({ batch: 16, steps: 7 });
    expect(target.specHash).toBe(specHash(spec));
    expect(specHash(spec)).not.toBe(specHash(mocoV3({ preset: 'tiny' })));
    for (const f of [
      'train.py',
      'torchrun.py',
      'tessera_torch/method.py',
      'tessera_torch/rules.py',
    ])
      expect(existsSync(join(dir, f)), f).toBe(true);
  });

  it('needs --out and a known target', async () => {
    const noOut = await tessera('compile', '--method', 'moco-v3', '--target', 'torch');
    expect(noOut.code).toBe(2);
    expect(noOut.err).toContain('--target torch needs --out DIR');
    const bad = await tessera('compile', '--method', 'moco-v3', '--target', 'jax', '--out', 'x');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('hint: --target tfjs (default) or --target torch');
  });
});

describe('tessera check --processes', () => {
  it('prints one process of an N-process run: half the batch, all parameters, less working set', async () => {
    const one = await tessera(
      'check',
      '--method',
      'moco-v3',
      '--preset',
      'tiny',
      '--json',
      '--processes',
      '1',
    );
    const two = await tessera(
      'check',
      '--method',
      'moco-v3',
      '--preset',
      'tiny',
      '--json',
      '--processes',
      '2',
    );
    expect(two.code).toBe(0);
    type P = {
      perProcess: {
        batch: number;
        parameters: number;
        workingSet: number;
        ddpBuckets: number;
        trainingFlops: number;
      };
    };
    const [p1, p2] = [(JSON.parse(one.out) as P).perProcess, (JSON.parse(two.out) as P).perProcess];
    expect([p1.batch, p2.batch]).toEqual([32, 16]);
    expect(p2.parameters).toBe(p1.parameters);
    expect(p2.ddpBuckets).toBeGreaterThan(0);
    expect(p2.workingSet).toBeLessThan(p1.workingSet);
    expect(Math.abs(p2.trainingFlops - p1.trainingFlops / 2)).toBeLessThan(0.01 * p1.trainingFlops);
    const text = await tessera(
      'check',
      '--method',
      'moco-v3',
      '--preset',
      'tiny',
      '--processes',
      '4',
    );
    expect(text.out).toContain('per process on 4 processes (DDP, 8 images each): predicted peak');
  });

  it('refuses a process count that does not divide the batch', async () => {
    const r = await tessera('check', '--method', 'moco-v3', '--preset', 'tiny', '--processes', '3');
    expect(r.code).toBe(2);
    expect(r.err).toContain('the global batch 32 does not split over 3 processes');
  });
});
