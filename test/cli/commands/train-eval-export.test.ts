/**
 * The researcher's loop through the CLI on tiny sizes (MoCo v3 `tiny`, batch 8, 84 built-in
 * images): train -> checkpoint -> resume -> eval -> export -> load -> report, and the errors a user
 * meets (unknown method, bad --set path, a spec that fails the check, missing run folders, resume
 * with another spec), each with its exit code and a message that says what and where.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../../runtime/compile.js';
import { appearanceDataset } from '../../../data/appearance/generator.js';
import {
  parseEmbeddingsFile,
  parseEvalFile,
  parseMetricsJsonl,
} from '../../../eval/report/formats.js';
import { decodeSafetensors, loadLatestCheckpoint } from '../../../runtime/checkpoint/index.js';
import { loadEncoder } from '../../../runtime/encoder.js';
import { loadRunWeights } from '../../../runtime/restore.js';
import { readRunInfo } from '../../../runtime/runInfo.js';
import { main } from '../../../cli/main.js';
import { tessera } from '../capture.js';
import { DEFAULT_METHOD } from '../../../cli/trainSpec.js';
import { methods } from '../../../library/index.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'tessera-cli-train-'));
const SMALL = [
  '--method',
  'moco-v3',
  '--data',
  'builtin:appearance:84',
  '--batch',
  '8',
  '--checkpoint-every',
  '2',
  '--eval-every',
  '0',
];

describe('tessera train -> eval -> export -> report', () => {
  let run: string;
  beforeAll(async () => {
    run = join(tempDir(), 'run');
    const r = await tessera('train', ...SMALL, '--steps', '3', '--out', run);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/step 1\/3 .*\n/); // not a TTY: plain progress lines
    expect(r.code).toBe(0);
  });

  it('trains, logging progress lines when not a TTY, and writes the run folder', async () => {
    const info = await readRunInfo(run);
    expect(info).toMatchObject({
      method: 'moco-v3 (tiny)',
      data: 'builtin:appearance:84',
      imageSize: 32,
      datasetSize: 84,
      steps: 3,
      batch: 8,
      seed: 0,
      backend: 'wasm',
    });
    const spec = JSON.parse(readFileSync(join(run, 'spec.json'), 'utf8')) as { training: unknown };
    expect(spec.training).toEqual({ batch: 8, steps: 3 });
    expect((await loadLatestCheckpoint(run))!.step).toBe(3);
  });

  it('Ctrl-C stops after the current step with a checkpoint; --resume alone continues the run to its end', async () => {
    const dir = join(tempDir(), 'interrupted');
    let out = '';
    let err = '';
    // the first progress line "presses" Ctrl-C: the loop must finish that step, save and stop
    const io = {
      isTty: false,
      err: (t: string) => (err += t),
      out: (t: string) => ((out += t), t.startsWith('step 1/') && process.emit('SIGINT')),
    };
    expect(await main(['train', ...SMALL, '--steps', '4', '--out', dir], io)).toBe(0);
    expect(err).toContain('interrupted: finishing this step and saving a checkpoint');
    expect(out).toContain('stopped at step 1 (checkpoint saved) in ');
    expect(out).toContain(`run folder: ${dir}\ncontinue: tessera train --out ${dir} --resume`);
    expect(process.listenerCount('SIGINT')).toBe(0);
    expect((await loadLatestCheckpoint(dir))!.step).toBe(1);
    const again = await tessera('train', '--out', dir, '--resume');
    expect(again.code).toBe(0);
    expect(again.out).toContain('resumed from');
    expect(again.out).toContain('trained steps 1..4');
    const lines = parseMetricsJsonl(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'));
    expect(lines.records.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(Object.keys(lines.records[0]!)).toEqual(
      expect.arrayContaining(['step', 'loss', 'loss/ctr_12', 'loss/ctr_21', 'lr', 'ema', 'time']),
    );
    expect((await tessera('train', '--out', dir, '--resume')).out).toContain(
      'already complete (step 4)',
    );
  });

  it('refuses a resume with another spec, and a new run in a used folder', async () => {
    const changed = await tessera(
      'train',
      ...SMALL,
      '--steps',
      '3',
      '--out',
      run,
      '--resume',
      '--set',
      'objectives.0.terms.0.loss.temperature=0.5',
    );
    expect(changed.code).toBe(1);
    expect(changed.err).toMatch(/cannot resume .* spec hash [0-9a-f]{12} differs[\s\S]*hint:/);
    const reused = await tessera('train', ...SMALL, '--steps', '3', '--out', run);
    expect(reused.code).toBe(1);
    expect(reused.err).toMatch(/already holds a run \(checkpoint at step 3\)\nhint: add --resume/);
  });

  it('evaluates every representation for every label and writes eval.json and embeddings.json', async () => {
    const before = tf.memory().numTensors;
    const r = await tessera('eval', '--run', run, '--samples', '84', '--probe', 'both');
    expect(r.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before); // method, features and probes all freed
    expect(r.out).toMatch(/representation\s+label\s+probe\s+acc %/);
    const file = parseEvalFile(JSON.parse(readFileSync(join(run, 'eval.json'), 'utf8')));
    expect(file.rows.map((x) => `${x.representation}/${x.label}/${x.probe}`)).toEqual([
      'backbone/content/linear',
      'backbone/content/knn',
      'backbone/appearance/linear',
      'backbone/appearance/knn',
    ]);
    for (const row of file.rows) {
      expect(row.nTrain + row.nTest).toBeLessThanOrEqual(84);
      expect(row.accuracy).toBeGreaterThanOrEqual(0);
      expect(row.accuracy).toBeLessThanOrEqual(1);
    }
    const emb = parseEmbeddingsFile(JSON.parse(readFileSync(join(run, 'embeddings.json'), 'utf8')));
    expect(emb.representations['backbone']!.x).toHaveLength(84);
    expect(emb.labels['appearance']!.classes).toHaveLength(7);
  });

  it('exports only the encoder, readable by a plain safetensors reader, and loadEncoder embeds like the trained method', async () => {
    const out = join(tempDir(), 'backbone.safetensors');
    const nowhere = join(tempDir(), 'missing', 'backbone.safetensors');
    const refused = await tessera(
      'export',
      '--run',
      run,
      '--representation',
      'backbone',
      '--out',
      nowhere,
    );
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /^tessera export: cannot write .*: no folder .*missing\nhint: create it first/,
    );
    expect(refused.err).not.toContain('.tmp');
    const r = await tessera('export', '--run', run, '--representation', 'backbone', '--out', out);
    expect(r.code).toBe(0);
    const { tensors, metadata } = decodeSafetensors(readFileSync(out));
    const names = Object.keys(tensors);
    expect(names.length).toBeGreaterThan(10);
    expect(names.every((n) => n.startsWith('backbone/'))).toBe(true); // no projector, predictor, momentum copies or optimizer state
    expect(metadata['representation']).toBe('backbone');
    const ckpt = (await loadLatestCheckpoint(run))!;
    for (const name of names)
      expect(Array.from(tensors[name]!.data as Float32Array), name).toEqual(
        Array.from(ckpt.weights[name]!.data as Float32Array),
      );

    const images = (await appearanceDataset({ n: 6, size: 32, seed: 9 }).all()).images;
    const method = await compile(JSON.parse(readFileSync(join(run, 'spec.json'), 'utf8')), {
      backend: 'wasm',
    });
    method.init(0);
    await loadRunWeights(method, run);
    const encoder = await loadEncoder(out);
    const before = tf.memory().numTensors;
    const [a, b] = [method.embed('backbone', images), encoder.embed(images)];
    expect(b.shape).toEqual([6, a.shape[1]]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBeLessThan(1e-6);
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
    encoder.dispose();
    method.dispose();
    images.dispose();
  });

  it('writes the HTML report of the run', async () => {
    const r = await tessera('report', '--run', run);
    expect(r.code).toBe(0);
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    expect(html).toContain('data-term="ctr_12"');
    expect(html).toMatch(/<svg class="scatter"/);
    expect(html).toMatch(/<tr class="probe-row">/);
  });
});

describe('the main job', () => {
  it('trains the default method and evaluates it, on tiny sizes', async () => {
    const dir = join(tempDir(), 'main-job');
    const r = await tessera(
      'train',
      '--data',
      'builtin:appearance:84',
      '--batch',
      '8',
      '--steps',
      '2',
      '--eval-samples',
      '48',
      '--eval',
      '--out',
      dir,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`(${DEFAULT_METHOD} (tiny))`);
    // --eval (the main job's default) puts the untrained encoder's probes next to the trained ones
    expect(r.out).toMatch(/representation\s+label\s+probe\s+untrained %\s+trained %\s+gain\n/);
    expect(r.out).toMatch(/\nbackbone\s+content\s+linear\s+\d+\.\d\s+\d+\.\d\s+[+-]\d+\.\d\n/);
    expect(r.out).toMatch(
      /\ncontent: backbone [+-]\d+\.\d points over the untrained encoder \(linear probe\)\n/,
    );
    expect(r.out).toMatch(/online kNN after 0 steps \(untrained\): .*backbone\/content \d+\.\d%/);
    expect(r.out).toMatch(
      /online kNN, step 0 -> 2: .*backbone\/content \d+\.\d% -> \d+\.\d% \([+-]\d+\.\d points\)/,
    );
    const e = await tessera('eval', '--run', dir, '--samples', '84', '--probe', 'knn');
    expect(e.code).toBe(0);
    const rows = parseEvalFile(JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8'))).rows;
    expect(rows.length).toBe(2 * methods[DEFAULT_METHOD]('tiny').representations.length);
  });
});

describe('tessera train: bad inputs', () => {
  it('an unknown method is a usage error naming the known ones', async () => {
    const r = await tessera('train', '--method', 'simclr', '--out', join(tempDir(), 'x'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown method "simclr"\nhint: one of moco-v3, i-jepa/);
  });

  it('a bad --set path is reported as an issue of the spec, before training', async () => {
    const out = join(tempDir(), 'x');
    const r = await tessera(
      'train',
      ...SMALL,
      '--steps',
      '2',
      '--out',
      out,
      '--set',
      'objectives.0.terms.0.loss.tempreature=0.1',
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /Invalid spec "moco-v3":\n└─ objectives\.0\.terms\.0\.loss  \[E_MISSING_FIELD\]\n.*--set objectives\.0\.terms\.0\.loss\.tempreature: no field "tempreature"/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('an override that breaks the spec is caught by the checker (a whole loss term as JSON with a wrong field)', async () => {
    const out = join(tempDir(), 'x');
    const term = JSON.stringify({
      _tag: 'InfoNCE',
      query: { _tag: 'Ref', name: 'nowhere' },
      key: { _tag: 'Ref', name: 'nowhere' },
      temperature: 0.2,
    });
    const r = await tessera(
      'train',
      ...SMALL,
      '--steps',
      '2',
      '--out',
      out,
      '--set',
      `objectives.0.terms.0.loss=${term}`,
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /Invalid spec "moco-v3":[\s\S]*objectives\.0\.terms\.0\.loss[\s\S]*\[E_[A-Z_]+\]/,
    );
    expect(r.err).toContain('nothing was trained');
    expect(existsSync(out)).toBe(false);
  });

  it('a spec file that fails the check is rendered as an issue tree, exit 1', async () => {
    const spec = JSON.parse(
      (await tessera('spec', '--method', 'i-jepa', '--preset', 'tiny')).out,
    ) as { modules: Array<{ net: Record<string, unknown> }> };
    spec.modules[0]!.net['patch'] = 5; // 32 is not divisible by 5
    const file = join(tempDir(), 'broken.json');
    writeFileSync(file, JSON.stringify(spec));
    const r = await tessera('train', '--spec', file, '--steps', '2', '--out', join(tempDir(), 'x'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /Invalid spec "i-jepa":\n├─ objectives\.0\.terms\.0\.loss\.[.a-z]*  \[E_DIVISIBILITY\]\n│  imageSize 32 is not divisible by 5/,
    );
  });

  it('usage errors: --steps with --epochs, a bad number, an unknown option', async () => {
    expect((await tessera('train', '--steps', '2', '--epochs', '1')).code).toBe(2);
    const bad = await tessera('train', '--steps', 'many');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--steps "many": expected a whole number from 0 to 1000000000');
    expect((await tessera('train', '--lr', '0.1')).code).toBe(2);
  });

  it('a missing data folder and missing run folders are clear errors, exit 1', async () => {
    const noData = await tessera(
      'train',
      '--method',
      'moco-v3',
      '--data',
      '/nonexistent/images',
      '--out',
      join(tempDir(), 'x'),
    );
    expect(noData.code).toBe(1);
    expect(noData.err).toMatch(/--data \/nonexistent\/images: no such folder\nhint:/);
    const dir = join(tempDir(), 'missing');
    for (const args of [
      ['eval', '--run', dir],
      ['export', '--run', dir, '--representation', 'backbone', '--out', join(dir, 'e.safetensors')],
      ['report', '--run', dir],
    ]) {
      const r = await tessera(...args);
      expect(r.code, args[0]).toBe(1);
      expect(r.err, args[0]).toMatch(
        new RegExp(`tessera ${args[0]}: .*${dir.replace(/[/.]/g, '\\$&')}[\\s\\S]*hint:`),
      );
    }
    const empty = tempDir();
    const report = await tessera('report', '--run', empty);
    expect(report.code).toBe(1);
    expect(report.err).toMatch(/tessera report: .* holds nothing to report: [\s\S]*hint:/);
    expect(existsSync(join(empty, 'report.html'))).toBe(false);
    writeFileSync(join(empty, 'metrics.jsonl'), '{"step":0,"loss":1}\n');
    const into = await tessera('report', '--run', empty, '--out', join(empty, 'no', 'r.html'));
    expect(into.code).toBe(1);
    expect(into.err).toMatch(
      /^tessera report: cannot write .*r\.html: no folder .*no\nhint: create it first/,
    );
    expect((await tessera('eval')).code).toBe(2);
    expect((await tessera('export', '--run', dir)).code).toBe(2);
  });
});

describe('the untrained encoder, online kNN and evaluating on other data', () => {
  it('--steps 0 saves the initial weights, prints the untrained online kNN, and evaluates them; eval --data probes another folder', async () => {
    const dir = join(tempDir(), 'untrained');
    const r = await tessera(
      'train',
      '--method',
      'moco-v3',
      '--data',
      'builtin:appearance:84',
      '--batch',
      '8',
      '--steps',
      '0',
      '--eval-samples',
      '48',
      '--eval',
      '--out',
      dir,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /online kNN after 0 steps \(untrained\): backbone\/content \d+\.\d% {2}backbone\/appearance \d+\.\d%/,
    );
    expect(r.out).toContain('saved the untrained weights (step 0)');
    expect((await loadLatestCheckpoint(dir))!.step).toBe(0);
    const lines = parseMetricsJsonl(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).records;
    expect(lines.map((l) => [l.step, typeof l['knn/backbone/content']])).toEqual([[0, 'number']]);
    expect(
      parseEvalFile(JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8'))).rows.length,
    ).toBe(4);
    // the same weights as a fresh init with the run's seed
    const compiled = await compile(methods['moco-v3']('tiny'), { backend: 'wasm' });
    compiled.init(0);
    const ckpt = await loadLatestCheckpoint(dir);
    const name = Object.keys(ckpt!.weights).find((k) => k.startsWith('backbone/'))!;
    expect(Array.from(ckpt!.weights[name]!.data as Float32Array)).toEqual(
      Array.from((await compiled.variables()[name]!.data()) as Float32Array),
    );
    compiled.dispose();

    const folder = join(tempDir(), 'other');
    expect(
      (
        await tessera(
          'data',
          'appearance',
          '--out',
          folder,
          '--n',
          '42',
          '--size',
          '32',
          '--seed',
          '5',
        )
      ).code,
    ).toBe(0);
    const e = await tessera('eval', '--run', dir, '--data', folder, '--probe', 'knn');
    expect(e.err).toBe('');
    expect(e.code).toBe(0);
    expect(e.out).toContain(`data ${folder}, 42 held-out images`);
    const file = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')) as { data: string };
    expect(file.data).toContain(folder);
    const missing = await tessera('eval', '--run', dir, '--data', join(folder, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no such folder\nhint: /);
  });
});
