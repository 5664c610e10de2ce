/**
 * Step time of the torch target against the TF.js step, for the `tiny` presets:
 * `npx tsx bench/torch.ts [--iters N] [--backend wasm|cpu]`. One process each, one thread each
 * (`OMP_NUM_THREADS=1`; TF.js wasm runs single-threaded in Node), the same batch of built-in
 * images at the spec's batch size; the two steps alternate (TF.js, torch, TF.js, ...) so machine
 * load hits both alike; prints the median, min and max milliseconds and the ratio of medians.
 * A preset whose graph has a node kind without a torch rule is reported as such.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { PYTHON, TORCH_PACKAGE } from '../runtime/torchPackage.js';
import { compile } from '../runtime/compile.js';
import { torchTarget } from '../compiler/torchTarget.js';
import { renderAppearance } from '../data/appearance/generator.js';
import type { MethodName } from '../library/index.js';
import { benchedMethod } from './step.js';
import { tf, type BackendName } from '../runtime/backend.js';
import { encodeSafetensors } from '../runtime/checkpoint/safetensors.js';

const { values } = parseArgs({
  options: { iters: { type: 'string' }, backend: { type: 'string' } },
});
const iters = Number(values.iters ?? 9);
const backend = (values.backend ?? 'wasm') as BackendName;
const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-torch-'));

const stats = (xs: number[]): { median: number; min: number; max: number } => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
};

/** A persistent torch worker: `step()` resolves with the milliseconds of one step. */
const worker = (graph: string, images: string) => {
  const child = spawn(
    PYTHON,
    [join(import.meta.dirname, 'torch_step.py'), graph, images, join(TORCH_PACKAGE, '..')],
    {
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number | string | boolean>> =>
    JSON.parse(
      ((await lines.next()).value as string | undefined) ??
        '{"ready": false, "error": "the torch worker exited"}',
    ) as Record<string, number | string | boolean>;
  return {
    ready: next,
    step: async (): Promise<number> => (
      child.stdin.write('step\n'),
      (await next())['ms'] as number
    ),
    stop: () => child.stdin.end('quit\n'),
  };
};

const benchOne = async (name: MethodName): Promise<string> => {
  const method = benchedMethod(name, 'tiny');
  const compiled = await compile(method, { backend });
  const graphFile = join(dir, `${name}.json`);
  writeFileSync(graphFile, JSON.stringify(torchTarget(compiled.graph, name, 'bench')));
  const { size } = method.input;
  const b = method.training.batch;
  const data = new Float32Array(b * size * size * 3);
  for (let i = 0; i < b; i++)
    renderAppearance(i, size, 0).forEach((v, j) => (data[i * size * size * 3 + j] = v / 255));
  const imagesFile = join(dir, `${name}.images.safetensors`);
  writeFileSync(
    imagesFile,
    encodeSafetensors({ images: { dtype: 'F32', shape: [b, size, size, 3], data } }),
  );
  const images = tf.tensor4d(data, [b, size, size, 3]);
  // timing: the batch reversed stands in for the other fold's (pairedImages), as in torch_step.py
  const inputs = { paired: images.reverse(0) as tf.Tensor4D };
  compiled.init(0);
  const w = worker(graphFile, imagesFile);
  const ready = await w.ready();
  const tfjsMs: number[] = [];
  const torchMs: number[] = [];
  try {
    if (ready['ready'] !== true) throw new Error(String(ready['error']));
    for (let i = 0; i < iters + 2; i++) {
      const t = performance.now();
      compiled.step(images, { step: 300 + i, totalSteps: 600 }, inputs);
      const a = performance.now() - t;
      const c = await w.step();
      if (i >= 2) (tfjsMs.push(a), torchMs.push(c));
    }
  } catch (e) {
    return `${name.padEnd(9)} batch ${b}: TF.js ${backend} only; torch: ${(e as Error).message}`;
  } finally {
    w.stop();
    images.dispose();
    inputs.paired.dispose();
    compiled.dispose();
  }
  const [x, y] = [stats(tfjsMs), stats(torchMs)];
  const show = (s: typeof x): string =>
    `${s.median.toFixed(0)} ms (${s.min.toFixed(0)}-${s.max.toFixed(0)})`;
  return `${name.padEnd(9)} batch ${b}: TF.js ${backend} ${show(x)}  torch ${show(y)}  TF.js/torch ${(x.median / y.median).toFixed(2)}x`;
};

for (const name of ['moco-v3', 'i-jepa', 'st-storm'] as const) console.log(await benchOne(name));
