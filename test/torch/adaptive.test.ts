/**
 * Adaptive term weights on the torch target (`Term.adaptive`, ST-STORM's lambda_styB;
 * `runtime/adaptiveWeights.ts` is the spec): `train.py` runs a small spec whose `var` term has an
 * adaptive weight updated every 2 steps; the weights its checkpoints hold (as
 * `optimizer/adaptive/<objective>.<term>`, TF.js's key) equal TF.js's `createAdaptiveWeights`
 * fed the term values torch logged, bit for bit; the step multiplies the term by the current
 * weight (gradients linear in it); and `--resume` continues the weight exactly.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeMethod } from '../../compiler/ir/codec.js';
import type { AdaptiveWeight } from '../../compiler/ir/node.js';
import { planStep } from '../../compiler/passes/plan.js';
import { Aug, Branch, Loss, Method, Net, Optim, Value, View } from '../../dsl/index.js';
import { createAdaptiveWeights } from '../../runtime/adaptiveWeights.js';
import { useBackend } from '../../runtime/backend.js';
import { compileGraph } from '../../runtime/compile.js';
import { prepareTorchRun } from './torchRun.js';
import { PYTHON, trainPy } from './python.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-torch-adaptive-'));
const target = join(dir, 'target');
const KEY = 'optimizer/adaptive/contrastive.var';
const START = 0.5;
const RULE: AdaptiveWeight = { target: 0.3, rate: 0.5, min: 1e-3, max: 5, every: 2 };
const STEPS = 6;

/** InfoNCE plus a VICReg variance term whose weight is adaptive (starts at 0.5). */
const spec = (() => {
  const encoder = Branch.make(
    'encoder',
    Net.vit({ imageSize: 16, patch: 4, dim: 16, depth: 1, heads: 2 }),
  );
  const views = View.pair(Value.images(), {
    options: [{}, {}],
    pipeline: () => [Aug.randomResizedCrop({ size: 16, scale: [0.5, 1] })],
  });
  const q = encoder.apply(views[0]);
  return Method.make({
    name: 'adaptive',
    input: { size: 16 },
    training: { batch: 8, steps: STEPS },
    representations: { encoder: encoder.apply(Value.images()) },
    objectives: [
      {
        name: 'contrastive',
        terms: [
          Loss.term(
            'nce',
            Loss.infoNCE({ query: q, key: Branch.stopGradient(encoder.apply(views[1])) }),
          ),
          Loss.term('var', Loss.vicregVariance({ x: q }), { weight: START, adaptive: RULE }),
        ],
        optimizer: Optim.adamw({ lr: 1e-2, weightDecay: 0.05 }),
      },
    ],
  });
})();

const train = (out: string, ...extra: string[]) =>
  trainPy(target, join(dir, 'images'), out, ...extra);

/** Runs a Python snippet with the compiled target's package importable; returns its JSON output. */
const python = <T>(body: string, ...args: string[]): T => {
  const script = `import json, sys\nsys.path.insert(0, ${JSON.stringify(target)})\n${body}`;
  const r = spawnSync(PYTHON, ['-c', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
};

/** Every tensor of checkpoint `step` of `run` (flattened), by name. */
const checkpoint = (run: string, step: number): Record<string, number[]> =>
  python(
    `from tessera_torch import safetensors\nt, _ = safetensors.decode(open(sys.argv[1], 'rb').read())\nprint(json.dumps({k: [float(x) for x in v.reshape(-1)] for k, v in t.items()}))`,
    join(run, 'checkpoints', `step-${String(step).padStart(6, '0')}.safetensors`),
  );

/** The metrics lines of `run`. */
const metrics = (run: string): Array<Record<string, number>> =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);

describe('torch target: adaptive term weights', () => {
  const whole = join(dir, 'whole');

  beforeAll(async () => {
    await useBackend('cpu');
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(encodeMethod(spec)));
    await prepareTorchRun(join(dir, 'images'), 16, target, join(dir, 'spec.json'));
    const r = train(whole);
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);

  it('after each checkpoint the weight is what TF.js computes from the same term values', () => {
    const lines = metrics(whole);
    expect(lines.length).toBe(STEPS);
    const plan = planStep(compileGraph(spec, { backend: 'cpu' }))[0]!;
    const w = createAdaptiveWeights([plan]);
    const seen: number[] = [];
    for (const [step, line] of lines.entries()) {
      w.update(
        plan,
        step,
        new Map([
          ['nce', tf.scalar(line['loss/nce']!)],
          ['var', tf.scalar(line['loss/var']!)],
        ]),
      );
      if ((step + 1) % 2 === 0) {
        const tfjs = w.variables.get('contrastive.var')!.dataSync()[0]!;
        const torch = checkpoint(whole, step + 1)[KEY];
        expect(torch, `checkpoint ${step + 1}`).toEqual([tfjs]);
        seen.push(tfjs);
      }
    }
    w.dispose();
    console.log(
      `adaptive weight after steps 2, 4, 6: ${seen.map((v) => v.toPrecision(6)).join(', ')} (start ${START})`,
    );
    // the rule moved it: three updates (steps 0, 2, 4), each a factor 1 + 0.5 (d - 0.3) / 0.3
    expect(new Set([START, ...seen]).size).toBe(4);
  });

  it('the objective multiplies the term by the current weight (gradients linear in it)', () => {
    const r = python<{ diff: number; scale: number; terms: number[] }>(
      `import torch
from tessera_torch.method import Method
compiled = json.load(open(sys.argv[1]))
m = Method(compiled, seed=0)
x = torch.rand(8, 3, 16, 16, generator=torch.Generator().manual_seed(0))
g, terms = [], []
for w in (0.0, 1.0, 2.0):
    m.adaptive.values['contrastive.var'] = torch.tensor(w)
    t, grads = m.gradients('contrastive', x, 0, ${STEPS})
    terms.append(t['var'])
    g.append(torch.cat([v.reshape(-1) for _, v in sorted(grads.items())]))
step = g[1] - g[0]
print(json.dumps({"diff": float((g[2] - g[1] - step).abs().max()), "scale": float(step.abs().max()), "terms": terms}))`,
      join(target, 'graph.json'),
    );
    expect(r.terms[0]).toBe(r.terms[2]); // the unweighted term does not depend on the weight
    expect(r.scale).toBeGreaterThan(1e-4);
    expect(r.diff).toBeLessThan(1e-5 * Math.max(1, r.scale));
  }, 120_000);

  it('survives --resume: the weight (and everything else) continues exactly', () => {
    const resumed = join(dir, 'resumed');
    cpSync(whole, resumed, { recursive: true });
    for (const s of [4, 6])
      for (const ext of ['json', 'safetensors'])
        rmSync(join(resumed, 'checkpoints', `step-00000${s}.${ext}`));
    writeFileSync(
      join(resumed, 'checkpoints', 'latest.json'),
      JSON.stringify({ step: 2, checkpoint: 'step-000002.json' }),
    );
    expect(checkpoint(resumed, 2)[KEY]![0]).not.toBe(START);
    const r = train(resumed, '--resume');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('at step 2');
    const [a, b] = [checkpoint(whole, STEPS), checkpoint(resumed, STEPS)];
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(b[KEY]).toEqual(a[KEY]);
    for (const [k, v] of Object.entries(a)) expect(b[k], k).toEqual(v);
    expect(metrics(resumed).map((l) => l['loss'])).toEqual(metrics(whole).map((l) => l['loss']));
  }, 120_000);
});
