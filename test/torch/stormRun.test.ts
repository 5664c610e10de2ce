/**
 * ST-STORM `tiny` trained by the torch target end to end: `tessera compile --method st-storm
 * --target torch`, `train.py` for 4 steps on a 24-image folder (batch 4: steps 0-3 of phase A,
 * R1 at step 0), then `tessera eval --run` reads the run folder (style and content representations,
 * kNN probe). The checkpoint carries every module (generators, teachers, discriminator with its
 * spectral-norm vectors, semantic branch), the optimizer state of every objective, the key
 * queues and the adaptive phase-B token weight; the compiled plan moves T_B after generatorA too.
 * The same run with the images streamed (`--stream on --workers 2`) has the same losses. Styles
 * come from the other pseudo-domain fold (2 folds of 12: 3 steps an epoch, the pair swapping at
 * step 3, within the run).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tessera } from '../cli/capture.js';
import { prepareTorchRun } from './torchRun.js';
import { PYTHON, trainPy } from './python.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-torch-storm-run-'));
const run = join(dir, 'run');

const train = (target: string, out: string, ...extra: string[]) =>
  trainPy(target, join(dir, 'images'), out, ...extra);

/** The loss fields of each metrics line (timings left out). */
const losses = (out: string): Array<Record<string, number>> =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) =>
      Object.fromEntries(
        Object.entries(JSON.parse(l) as Record<string, number>).filter(([k]) =>
          k.startsWith('loss'),
        ),
      ),
    );

/** The tensor names of the checkpoint `latest.json` points at. */
const checkpointKeys = (target: string): string[] => {
  const script = `import json, sys\nsys.path.insert(0, ${JSON.stringify(target)})\nfrom tessera_torch.runfolder import load_latest\nstep, t, _ = load_latest(sys.argv[1])\nprint(json.dumps(sorted(t)))`;
  const r = spawnSync(PYTHON, ['-c', script, run], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string[];
};

describe('torch target: ST-STORM tiny train.py run, read by tessera eval', () => {
  const target = join(dir, 'target');

  beforeAll(async () => {
    await prepareTorchRun(
      join(dir, 'images'),
      32,
      target,
      '--method',
      'st-storm',
      '--preset',
      'tiny',
      '--steps',
      '4',
      '--batch',
      '4',
    );
  }, 120_000);

  it('graph.json carries the fidelity settings the Python step reads: T_B also after generatorA, the adaptive token weight, the folds', () => {
    const compiled = JSON.parse(readFileSync(join(target, 'graph.json'), 'utf8')) as {
      graph: { method: { training: { folds?: unknown } } };
      plan: Array<{
        objective: string;
        emaAfter: string[];
        terms: Array<{ name: string; adaptive?: { every: number } }>;
      }>;
    };
    const plan = (o: string) => compiled.plan.find((p) => p.objective === o)!;
    expect(plan('generatorA').emaAfter.sort()).toEqual(['T_A', 'T_B']);
    expect(plan('generatorB').emaAfter).toEqual(['T_B']);
    expect(plan('generatorB').terms.find((t) => t.name === 'tok')?.adaptive?.every).toBe(10);
    expect(compiled.graph.method.training.folds).toEqual({ k: 2, rotateEvery: 1 });
  });

  it('trains 4 steps with finite losses of every phase-A objective and checkpoints everything', () => {
    const r = train(target, run);
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(4);
    const first = JSON.parse(lines[0]!) as Record<string, number>;
    for (const t of ['lsgan', 'r1', 'moco', 'adv', 'swd', 'fft', 'jepa'])
      expect(
        Number.isFinite(first[`loss/${t}`]),
        `term ${t} at step 0: ${first[`loss/${t}`]}`,
      ).toBe(true);
    expect(first['loss/r1']).toBeGreaterThan(0);
    const keys = checkpointKeys(target);
    for (const m of ['G_A', 'G_B', 'T_A', 'T_B', 'D_A', 'jepaPredictor', 'semBackbone', 'fusion'])
      expect(
        keys.some((k) => k.startsWith(`weights/${m}/`)),
        `weights of ${m}`,
      ).toBe(true);
    expect(keys).toContain('weights/D_A/convs.0.u');
    expect(keys.some((k) => k.startsWith('optimizer/generatorA/'))).toBe(true);
    expect(keys.some((k) => k.startsWith('optimizer/lossState/'))).toBe(true);
    expect(keys).toContain('optimizer/adaptive/generatorB.tok');
  }, 300_000);

  it('train.py --stream on --workers 2 decodes on the fly and trains to the same losses', () => {
    const streamed = join(dir, 'streamed');
    const r = train(target, streamed, '--stream', 'on', '--workers', '2');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('(streamed)');
    expect(losses(streamed)).toEqual(losses(run));
  }, 300_000);

  it('tessera eval --run reads the run (style and content, kNN)', async () => {
    const e = await tessera('eval', '--run', run, '--samples', '24', '--probe', 'knn');
    expect(e.err).toBe('');
    expect(e.code).toBe(0);
    const report = JSON.parse(readFileSync(join(run, 'eval.json'), 'utf8')) as {
      rows: Array<{ representation: string }>;
    };
    const reps = new Set(report.rows.map((row) => row.representation));
    expect([...reps].sort()).toEqual(expect.arrayContaining(['content', 'style']));
  }, 300_000);
});
