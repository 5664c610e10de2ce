/**
 * `tessera bench disentangle` on tiny budgets: the report holds raw-pixel, initialisation and
 * trained rows for every representation, label and label fraction, with metrics in [0, 1]; the
 * table prints; it runs on a labelled image folder as `tessera data appearance` writes one; a label
 * the data does not have is a clear error. (The measured table is in the README, not asserted.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { benchDisentangle, showDisentangle } from '../../bench/disentangle.js';
import { writeAppearance } from '../../data/appearance/write.js';
import { textureDataset } from '../../data/texture/generator.js';
import { tessera } from '../cli/capture.js';

const root = mkdtempSync(join(tmpdir(), 'tessera-disentangle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bench disentangle', () => {
  test('I-JEPA tiny, 2 steps on the texture family: pixels / init / trained rows for each representation, label and fraction', async () => {
    const report = await benchDisentangle({
      train: textureDataset({ n: 72, size: 32 }),
      probe: textureDataset({ n: 72, size: 32, seed: 5 }),
      labels: ['content', 'appearance'],
      methods: ['i-jepa'],
      steps: 2,
      seconds: 600,
      samples: 72,
      backend: 'wasm',
    });
    expect(report.pretraining.map((p) => [p.method, p.steps])).toEqual([['i-jepa', 2]]);
    const kinds = new Set(report.rows.map((r) => `${r.method}/${r.weights}/${r.representation}`));
    expect([...kinds].sort()).toEqual([
      'i-jepa/init/context',
      'i-jepa/init/target',
      'i-jepa/trained/context',
      'i-jepa/trained/target',
      'pixels/none/pixels',
    ]);
    // 5 feature sets x 2 labels x 2 fractions x 2 probes
    expect(report.rows.length).toBe(5 * 2 * 2 * 2);
    for (const r of report.rows)
      for (const v of [r.accuracy, r.f1Weighted]) expect(v >= 0 && v <= 1).toBe(true);
    const table = showDisentangle(report);
    expect(table).toMatch(
      /method\s+weights\s+representation\s+label\s+labels %\s+lin acc\s+lin F1w\s+kNN acc\s+kNN F1w/,
    );
    expect(table).toMatch(/pixels\s+none\s+pixels\s+appearance\s+100/);
    await expect(
      benchDisentangle({
        ...{ train: textureDataset({ n: 8 }), probe: textureDataset({ n: 8 }) },
        labels: ['weather'],
        steps: 1,
        seconds: 1,
        backend: 'wasm',
      }),
    ).rejects.toThrow(/has no label "weather"\nhint: its labels: content, appearance/);
  }, 300_000);

  test('stormFrom moco-v3: MoCo v3 trains first and ST-STORM starts from it; both methods required', async () => {
    const events: string[] = [];
    const report = await benchDisentangle({
      train: textureDataset({ n: 40, size: 32 }),
      probe: textureDataset({ n: 40, size: 32, seed: 5 }),
      labels: ['content'],
      methods: ['st-storm', 'moco-v3'],
      fractions: [1],
      steps: 1,
      seconds: 600,
      samples: 40,
      backend: 'wasm',
      stormFrom: 'moco-v3',
      onEvent: (e) => events.push(e),
    });
    expect(report.stormFrom).toBe('moco-v3');
    expect(report.pretraining.map((p) => p.method)).toEqual(['moco-v3', 'st-storm']);
    expect(showDisentangle(report)).toMatch(/semantic branch from the trained MoCo v3 backbone/);
    await expect(
      benchDisentangle({
        ...{ train: textureDataset({ n: 8 }), probe: textureDataset({ n: 8 }) },
        labels: ['content'],
        methods: ['st-storm'],
        steps: 1,
        seconds: 1,
        backend: 'wasm',
        stormFrom: 'moco-v3',
      }),
    ).rejects.toThrow(/needs both st-storm and moco-v3/);
  }, 600_000);

  test('CLI on a labelled image folder (--data DIR --labels content,appearance), JSON written with --out', async () => {
    const dir = join(root, 'images');
    await writeAppearance(dir, { n: 42, size: 32, seed: 3 });
    const out = join(root, 'report.json');
    const r = await tessera(
      'bench',
      'disentangle',
      '--data',
      dir,
      '--labels',
      'content,appearance',
      '--methods',
      'i-jepa',
      '--steps',
      '1',
      '--samples',
      '42',
      '--out',
      out,
    );
    expect(r.err.includes('tessera bench disentangle:') ? r.err : '').toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/i-jepa\s+trained\s+target\s+appearance/);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      data: { labels: string[] };
      rows: unknown[];
    };
    expect(json.data.labels).toEqual(['content', 'appearance']);
    expect(json.rows.length).toBe(5 * 2 * 2 * 2);
    const bad = await tessera('bench', 'disentangle', '--methods', 'nope');
    expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('unknown method "nope"')]);
  }, 300_000);
});
