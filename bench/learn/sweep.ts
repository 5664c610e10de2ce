/**
 * The learning experiment loop (issue 14): train a library method with option overrides for a
 * step (or time) budget on the built-in appearance data, print the online kNN of every
 * representation every K steps, then a linear probe (10% labels) and kNN on held-out images.
 * One JSON line per run is appended to `--log` (default `bench/learn/runs.jsonl`).
 *
 *   npx tsx bench/learn/sweep.ts --method moco-v3 --opts '{"lr":2e-3}' --steps 300 --eval-every 50
 *   npx tsx bench/learn/sweep.ts --method moco-v3 --set training.batch=64 --minutes 5
 *   npx tsx bench/learn/sweep.ts --method moco-v3 --scene '{"weather":1}' --steps 600   (data variant)
 *
 * Not a test: numbers depend on the budget and seeds; record them in docs/learning.md.
 */
import { appendFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs';
import { checkMethod } from '../../compiler/check.js';
import { compile } from '../../runtime/compile.js';
import type { Method } from '../../compiler/ir/node.js';
import { renderIssues } from '../../compiler/ir/render.js';
import { appearanceDataset } from '../../data/appearance/generator.js';
import type { Scene } from '../../data/appearance/shapes.js';
import { tryOverride } from '../../dsl/ablate.js';
import { evaluateRepresentations, renderProbeTable } from '../../eval/index.js';
import { makeOnlineEval } from '../../eval/online.js';
import { ijepa, mocoV3, stStorm } from '../../library/index.js';
import { useBackend, type BackendName } from '../../runtime/backend.js';
import type { StepMetrics } from '../../runtime/compiled.js';
import {
  dataOrderOf,
  disposeStepBatch,
  pairedOf,
  stepBatches,
  type StepBatch,
} from '../../runtime/dataOrder.js';
import { embedDataset, methodEmbedder } from '../../eval/embed.js';

/** Seeds of the built-in training and held-out images (as `cli/runData.ts`: 0 and 1000). */
const TRAIN_SEED = 0;
const EVAL_SEED = 1000;

const { values: v } = parseArgs({
  options: {
    method: { type: 'string', default: 'moco-v3' },
    opts: { type: 'string', default: '{}' },
    set: { type: 'string', multiple: true },
    steps: { type: 'string', default: '300' },
    minutes: { type: 'string' },
    'eval-every': { type: 'string', default: '50' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'wasm' },
    n: { type: 'string', default: '2520' },
    samples: { type: 'string', default: '1260' },
    scene: { type: 'string', default: '{}' },
    log: { type: 'string', default: 'bench/learn/runs.jsonl' },
    tag: { type: 'string', default: '' },
  },
});

const build = (name: string, opts: Record<string, unknown>): Method => {
  const o = { preset: 'tiny', ...opts } as never;
  if (name === 'moco-v3') return mocoV3(o);
  if (name === 'i-jepa') return ijepa(o);
  if (name === 'st-storm') return stStorm(o);
  throw new Error(`unknown method ${name}`);
};

const spec = (): Method => {
  let m = build(v.method!, JSON.parse(v.opts!) as Record<string, unknown>);
  for (const s of v.set ?? []) {
    const eq = s.indexOf('=');
    const raw = s.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    const r = tryOverride(m, s.slice(0, eq), value);
    if (E.isLeft(r)) throw new Error(renderIssues([r.left], m.name));
    m = r.right;
  }
  const checked = checkMethod(m);
  if (E.isLeft(checked)) throw new Error(renderIssues(checked.left, m.name));
  return checked.right.method;
};

const main = async (): Promise<void> => {
  await useBackend(v.backend as BackendName);
  const method = spec();
  const steps = Number(v.steps);
  const every = Number(v['eval-every']);
  const seed = Number(v.seed);
  const budget = v.minutes !== undefined ? Number(v.minutes) * 60 : Infinity;
  const scene = JSON.parse(v.scene) as Partial<Scene>;
  const data = appearanceDataset({
    n: Number(v.n),
    size: method.input.size,
    seed: TRAIN_SEED,
    cache: true,
    scene,
  });
  const held = appearanceDataset({
    n: Number(v.samples),
    size: method.input.size,
    seed: EVAL_SEED,
    cache: true,
    scene,
  });
  const online = await makeOnlineEval(held, { samples: 512 });
  const compiled = await compile(method, { backend: v.backend as BackendName });
  compiled.init(seed);
  const batch = method.training.batch;
  const curve: Array<Record<string, number>> = [];
  const t0 = performance.now();
  let evalMs = 0;
  const probe = async (step: number, loss: number): Promise<void> => {
    const te = performance.now();
    const r = await online.measure(compiled);
    evalMs += performance.now() - te;
    curve.push({ step, loss, ...r });
    const shown = Object.entries(r)
      .map(([k, x]) => `${k.slice(4)} ${(100 * x).toFixed(1)}`)
      .join('  ');
    console.log(
      `step ${step}  ${((performance.now() - t0) / 1000).toFixed(0)}s  loss ${loss.toFixed(4)}  ${shown}`,
    );
  };
  await probe(0, NaN);
  let step = 0;
  let loss = NaN;
  const stream = stepBatches(dataOrderOf(data, method.training, seed), 0);
  try {
    for (;;) {
      const b = (await stream.next()).value as StepBatch;
      let m: StepMetrics;
      try {
        m = compiled.step(b.images, { step, totalSteps: steps }, pairedOf(b));
      } finally {
        disposeStepBatch(b);
      }
      loss = m.loss;
      if (!Number.isFinite(loss))
        throw new Error(`loss ${loss} at step ${step}: ${JSON.stringify(m.terms)}`);
      step++;
      if (step % every === 0 && step < steps) await probe(step, loss);
      if (step >= steps || (performance.now() - t0 - evalMs) / 1000 > budget) break;
    }
  } finally {
    await stream.return(undefined);
  }
  const trainSeconds = (performance.now() - t0 - evalMs) / 1000;
  await probe(step, loss);
  const { features, labels } = await embedDataset(methodEmbedder(compiled), held, {
    samples: held.size,
    chunk: 256,
  });
  const rows = evaluateRepresentations({
    features,
    labels,
    probe: 'both',
    labelFraction: 0.1,
    seed,
  });
  console.log(renderProbeTable(rows));
  const record = {
    tag: v.tag,
    method: v.method,
    scene,
    opts: JSON.parse(v.opts!) as unknown,
    set: v.set ?? [],
    seed,
    steps: step,
    batch,
    trainSeconds: Math.round(trainSeconds),
    evalSeconds: Math.round(evalMs / 1000),
    curve,
    probes: Object.fromEntries(
      rows.map((r) => [
        `${r.probe}/${r.representation}/${r.label}`,
        Math.round(1000 * r.accuracy) / 1000,
      ]),
    ),
  };
  await appendFile(v.log!, `${JSON.stringify(record)}\n`);
  console.log(
    `trained ${step} steps in ${trainSeconds.toFixed(0)}s (+${(evalMs / 1000).toFixed(0)}s online eval); logged to ${v.log}`,
  );
  compiled.dispose();
  online.dispose();
  tf.disposeVariables();
};

await main();
