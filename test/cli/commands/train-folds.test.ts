/**
 * `tessera train` with pseudo-domain folds: `--epochs` counts passes over one fold (84 images in
 * 2 folds of 42 at batch 8: 5 steps an epoch), and `--set training.folds.k=1` is refused by the
 * checker (E_FOLDS) before anything runs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate } from '../../compiler/mutate.js';
import { tinyMoco } from '../../fixtures/methods.js';
import { tessera } from '../capture.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-folds-'));
const spec = join(dir, 'paired.json');
writeFileSync(
  spec,
  JSON.stringify(
    mutate(tinyMoco, (s) => {
      s.values[1].value.source = { _tag: 'Input', name: 'pairedImages' };
      s.training.folds = { k: 2, rotateEvery: 1 };
    }),
  ),
);
const data = ['--data', 'builtin:appearance:84', '--eval-every', '0'];

describe('tessera train with pseudo-domain folds', () => {
  it('--epochs 1 is one pass over a fold', async () => {
    const out = join(dir, 'run');
    const r = await tessera('train', '--spec', spec, ...data, '--epochs', '1', '--out', out);
    expect(r.code, r.err).toBe(0);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(5);
  }, 120_000);

  it('--set training.folds.k=1 is E_FOLDS at training.folds.k', async () => {
    const r = await tessera(
      'train',
      '--spec',
      spec,
      ...data,
      '--steps',
      '1',
      '--set',
      'training.folds.k=1',
      '--out',
      join(dir, 'bad'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/training\.folds\.k\s+\[E_FOLDS\]/);
    expect(r.err).toContain('hint: training: { folds: { k: 2, rotateEvery } }');
  });
});
