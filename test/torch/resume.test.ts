/**
 * `train.py --resume` of the torch target: a run stopped after its step-2 checkpoint and resumed
 * ends with exactly the weights, buffers, optimizer state, key queue and metrics of the run that
 * was never stopped (views, masks and batches depend only on the seed and the step). Another seed,
 * a folder without a checkpoint, or a started folder without `--resume` are refused with a hint.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeMethod } from '../../compiler/ir/codec.js';
import { Aug, Branch, Loss, Method, Net, Optim, Schedule, Value, View } from '../../dsl/index.js';
import { prepareTorchRun } from './torchRun.js';
import { PYTHON, trainPy } from './python.js';
import { spawnSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'tessera-torch-resume-'));

/** A MoCo v2-style spec with an InfoNCE key queue, so the queue must survive the resume too. */
const queued = (() => {
  const encoder = Branch.make(
    'encoder',
    Net.vit({ imageSize: 16, patch: 4, dim: 16, depth: 1, heads: 2 }),
  );
  const key = Branch.ema('key', encoder, { momentum: Schedule.cosine({ from: 0.9, to: 1 }) });
  const views = View.pair(Value.images(), {
    options: [{}, {}],
    pipeline: () => [
      Aug.randomResizedCrop({ size: 16, scale: [0.5, 1] }),
      Aug.horizontalFlip({ p: 0.5 }),
    ],
  });
  return Method.make({
    name: 'queued',
    input: { size: 16 },
    training: { batch: 8, steps: 4 },
    representations: { encoder: encoder.apply(Value.images()) },
    objectives: [
      {
        name: 'contrastive',
        terms: [
          Loss.term(
            'nce',
            Loss.infoNCEQueue({
              query: encoder.apply(views[0]),
              key: Branch.stopGradient(key.apply(views[1])),
              queueSize: 16,
            }),
          ),
        ],
        optimizer: Optim.adamw({
          lr: Schedule.warmupCosine({ warmup: 0.25, peak: 1e-2 }),
          weightDecay: 0.05,
        }),
      },
    ],
  });
})();

const train = (target: string, out: string, ...extra: string[]) =>
  trainPy(target, join(dir, 'images'), out, ...extra);

/** Every tensor of the checkpoint `latest.json` points at, by name (weights, optimizer state, queues). */
const latest = (run: string): Record<string, number[]> => {
  const script = `import json, sys\nsys.path.insert(0, ${JSON.stringify(join(dir, 'target'))})\nfrom tessera_torch.runfolder import load_latest\nstep, t, _ = load_latest(sys.argv[1])\nprint(json.dumps({k: [float(x) for x in v.reshape(-1)] for k, v in t.items()}))`;
  const r = spawnSync(PYTHON, ['-c', script, run], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, number[]>;
};

/** Makes `run` look like a run that crashed after its step-2 checkpoint. */
const crashAfterStep2 = (run: string): void => {
  rmSync(join(run, 'checkpoints', 'step-000004.json'));
  rmSync(join(run, 'checkpoints', 'step-000004.safetensors'));
  writeFileSync(
    join(run, 'checkpoints', 'latest.json'),
    JSON.stringify({ step: 2, checkpoint: 'step-000002.json' }),
  );
  const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n');
  writeFileSync(join(run, 'metrics.jsonl'), `${lines.slice(0, 3).join('\n')}\n`); // one step past the checkpoint
};

const lossesOf = (run: string): number[] =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { loss: number }).loss);

describe('torch target: train.py --resume', () => {
  const target = join(dir, 'target');
  const whole = join(dir, 'whole');
  const resumed = join(dir, 'resumed');

  beforeAll(async () => {
    writeFileSync(join(dir, 'queued.json'), JSON.stringify(encodeMethod(queued)));
    await prepareTorchRun(join(dir, 'images'), 16, target, join(dir, 'queued.json'));
    const r = train(target, whole);
    expect(r.status, r.stderr).toBe(0);
    cpSync(whole, resumed, { recursive: true });
    crashAfterStep2(resumed);
  }, 120_000);

  it('continues from the last checkpoint to the same weights, optimizer state, queue and losses', () => {
    const r = train(target, resumed, '--resume');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`resuming ${resumed} at step 2`);
    const [a, b] = [latest(whole), latest(resumed)];
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(Object.keys(a).some((k) => k.startsWith('optimizer/lossState/'))).toBe(true);
    expect(Object.keys(a).some((k) => k.endsWith(':m'))).toBe(true);
    for (const [k, v] of Object.entries(a)) {
      const diff = Math.max(...v.map((x, i) => Math.abs(x - b[k]![i]!)));
      expect(diff, k).toBe(0);
    }
    expect(lossesOf(resumed)).toEqual(lossesOf(whole));
  }, 120_000);

  it('refuses another seed, a folder without a checkpoint, and a started folder without --resume', () => {
    const seed = train(target, whole, '--resume', '--seed', '3');
    expect(seed.status).toBe(1);
    expect(seed.stderr).toContain('was trained with --seed 0, not 3');
    expect(seed.stderr).toContain('hint: pass --seed 0');
    const empty = train(target, join(dir, 'nothing'), '--resume');
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('has no checkpoint');
    const again = train(target, whole);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('hint: continue it with --resume');
  }, 120_000);
});
