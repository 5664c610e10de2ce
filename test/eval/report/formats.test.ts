import { describe, expect, it } from 'vitest';
import {
  keyRole,
  makeEmbeddings,
  metricSeries,
  parseEmbeddingsFile,
  parseEvalFile,
  parseMetricsJsonl,
} from '../../../eval/report/formats.js';
import { pca2 } from '../../../eval/pca.js';
import { Rng } from '../../../compiler/ir/rng.js';

describe('metrics.jsonl', () => {
  it('classifies keys: loss terms, schedules, bookkeeping', () => {
    expect(keyRole('loss/infoNCE')).toEqual({ role: 'term', name: 'infoNCE' });
    expect(keyRole('jepa')).toEqual({ role: 'term', name: 'jepa' });
    expect(keyRole('lr')).toEqual({ role: 'schedule', name: 'lr' });
    expect(keyRole('lr/predictor')).toEqual({ role: 'schedule', name: 'lr/predictor' });
    expect(keyRole('ema')).toEqual({ role: 'schedule', name: 'ema' });
    expect(keyRole('lrx').role).toBe('term');
    expect(keyRole('time').role).toBe('ignored');
    expect(keyRole('_debug').role).toBe('ignored');
  });

  it('parses lines, skips malformed ones with their line number, and splits series', () => {
    const text = [
      '{"step":0,"loss":2,"loss/nce":1.5,"jepa":0.5,"lr":0.001,"ema":0.99,"phase":"A","time":1}',
      '',
      '{"step":1,"loss":1,"loss/nce":0.75,"jepa":0.25,"lr":0.002,"ema":0.995}',
      '{"step":2}',
      '{"step":3,"loss":0.5,"jepa":NaN',
    ].join('\n');
    const { records, problems } = parseMetricsJsonl(text);
    expect(records).toHaveLength(2);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^metrics.jsonl line 4: needs numeric "step" and "loss"/);
    expect(problems[1]).toMatch(/^metrics.jsonl line 5: /);
    const s = metricSeries(records);
    expect([...s.terms.keys()]).toEqual(['loss', 'nce', 'jepa']);
    expect(s.terms.get('nce')).toEqual([
      [0, 1.5],
      [1, 0.75],
    ]);
    expect([...s.schedules.keys()]).toEqual(['lr', 'ema']);
    expect(s.schedules.get('ema')).toEqual([
      [0, 0.99],
      [1, 0.995],
    ]);
  });
});

describe('eval.json and embeddings.json', () => {
  const row = {
    representation: 'content',
    label: 'shape',
    probe: 'knn',
    accuracy: 0.5,
    f1Weighted: 0.4,
    f1Macro: 0.3,
    nTrain: 1,
    nTest: 2,
    nClasses: 2,
    confusion: [],
  };

  it('reads eval.json as an object or a bare array and names a bad row', () => {
    expect(parseEvalFile({ version: 1, rows: [row], seed: 3 }).seed).toBe(3);
    expect(parseEvalFile([row]).rows).toHaveLength(1);
    expect(() => parseEvalFile({ rows: [row, { label: 'x' }] })).toThrow('row 1 needs');
    expect(() => parseEvalFile({})).toThrow('expected { "rows"');
  });

  it('refuses embeddings whose point counts differ', () => {
    const ok = {
      labels: { a: { classes: ['x'], values: [0, 0] } },
      representations: { r: { x: [1, 2], y: [3, 4] } },
    };
    expect(parseEmbeddingsFile(ok).representations['r']?.x).toEqual([1, 2]);
    expect(() =>
      parseEmbeddingsFile({ ...ok, representations: { r: { x: [1], y: [3, 4] } } }),
    ).toThrow('point counts differ');
  });

  it('makes embeddings: a seeded subsample projected by PCA, labels aligned with points', () => {
    const rng = Rng.seeded(4);
    const n = 50;
    const dim = 5;
    const data = Float32Array.from({ length: n * dim }, () => rng.normal());
    const values = Int32Array.from({ length: n }, (_, i) => i % 3);
    const e = makeEmbeddings(
      { r: { data, dim } },
      { l: { values, classes: ['a', 'b', 'c'] } },
      { maxPoints: 20, seed: 2 },
    );
    expect(e.representations['r']!.x).toHaveLength(20);
    expect(new Set(e.labels['l']!.values)).toEqual(new Set([0, 1, 2]));
    expect(
      makeEmbeddings(
        { r: { data, dim } },
        { l: { values, classes: ['a', 'b', 'c'] } },
        { maxPoints: 20, seed: 2 },
      ),
    ).toEqual(e);
    const all = makeEmbeddings({ r: { data, dim } }, { l: { values, classes: ['a', 'b', 'c'] } });
    const p = pca2(data, dim);
    expect(all.representations['r']!.x[7]).toBeCloseTo(p.coords[14]!, 3);
    expect(all.representations['r']!.y[7]).toBeCloseTo(p.coords[15]!, 3);
    expect(all.labels['l']!.values).toEqual([...values]);
  });
});

describe('online kNN lines', () => {
  it('are parsed without a loss, kept apart from loss terms, and drawn as one chart per label', async () => {
    const { renderReport } = await import('../../../eval/report/html.js');
    const text = [
      '{"step":0,"knn/content/content":0.2,"knn/style/content":0.17,"knn/content/appearance":0.5,"time":1.2}',
      '{"step":0,"loss":2.5,"loss/moco":2.5,"lr":0}',
      '{"step":1,"loss":2.4,"loss/moco":2.4,"lr":0.1}',
      '{"step":2,"knn/content/content":0.45,"knn/style/content":0.2,"knn/content/appearance":0.55}',
      '{"step":3}',
    ].join('\n');
    const { records, problems } = parseMetricsJsonl(text);
    expect(problems).toEqual(['metrics.jsonl line 5: needs numeric "step" and "loss"']);
    const s = metricSeries(records);
    expect([...s.terms.keys()]).toEqual(['loss', 'moco']);
    expect(s.online.get('knn/content/content')).toEqual([
      [0, 0.2],
      [2, 0.45],
    ]);
    expect(keyRole('knn/content/content').role).toBe('online');
    const html = renderReport({
      title: 't',
      runDir: 'r',
      notes: [],
      generatedAt: 'now',
      metrics: s,
    });
    expect(html).toContain('id="online"');
    expect(html.match(/data-online="(\w+)"/g)).toEqual([
      'data-online="content"',
      'data-online="appearance"',
    ]);
    expect(html).toContain('content 45.0%, style 20.0%');
  });
});
