import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../../eval/report/writeReport.js';
import { SAMPLE_POINTS, writeSampleRun } from './sampleRun.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'tessera-report-'));
const count = (html: string, re: RegExp): number => html.match(re)?.length ?? 0;

describe('writeReport', () => {
  it('writes a self-contained page with a chart per term and schedule, the probe table and one PCA scatter per representation and label', async () => {
    const dir = tempDir();
    writeSampleRun(dir, 500);
    const { path, notes } = await writeReport(dir, { now: new Date('2026-01-02T03:04:05Z') });
    expect(path).toBe(join(dir, 'report.html'));
    const html = readFileSync(path, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|href="http|url\(http/);
    const terms = [...html.matchAll(/data-term="([^"]+)"/g)].map((m) => m[1]);
    expect(terms).toEqual(['loss', 'infoNCE', 'jepa', 'lr', 'ema']);
    expect(count(html, /<svg class="chart"/g)).toBe(5);
    expect(count(html, /<tr class="probe-row">/g)).toBe(12);
    expect(html).toContain('<td class="num bar" style="--w:93.0%">93.0%</td>');
    expect(count(html, /<svg class="scatter"/g)).toBe(4);
    expect(count(html, /<circle class="pt"/g)).toBe(2 * 2 * SAMPLE_POINTS);
    const legend =
      /data-representation="content" data-label="appearance">[\s\S]*?<div class="legend">([\s\S]*?)<\/div>/.exec(
        html,
      )![1]!;
    expect(count(legend, /<i style="background:/g)).toBe(6);
    expect(html).toContain('spec st-storm');
    expect(html).toContain('2026-01-02T03:04:05Z');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^metrics.jsonl line 501: /); // the truncated last line
    expect(html).toContain('metrics.jsonl line 501');
  });

  it('uses a log axis for losses spanning decades unless told otherwise', async () => {
    const dir = tempDir();
    const lines = Array.from({ length: 100 }, (_, s) =>
      JSON.stringify({ step: s, loss: 100 * 0.9 ** s }),
    );
    writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n'));
    await writeReport(dir);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('log y');
    await writeReport(dir, { logScale: false });
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).not.toContain('log y');
  });

  it('reports missing and malformed files instead of failing, and escapes names', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'eval.json'), '{"rows": 3}');
    writeFileSync(
      join(dir, 'embeddings.json'),
      JSON.stringify({
        labels: { '<b>': { classes: ['<i>x</i>'], values: [0] } },
        representations: { r: { x: [1], y: [2] } },
      }),
    );
    const { notes } = await writeReport(dir, { out: join(dir, 'r.html'), title: 'a <run>' });
    expect(notes).toEqual([
      'metrics.jsonl not found',
      'eval.json skipped: eval.json: expected { "rows": [...] }',
    ]);
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    expect(html).toContain('No metrics.jsonl in this run folder.');
    expect(html).toContain('No eval.json');
    expect(html).toContain('<h1>a &lt;run&gt;</h1>');
    expect(html).toContain('coloured by &lt;b&gt;');
    expect(html).not.toContain('<i>x</i>');
  });

  it('refuses a folder holding none of its inputs, writing nothing (issue 12: an empty folder exited 0)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'not a run');
    await expect(writeReport(dir)).rejects.toThrow(
      /holds nothing to report: none of metrics.jsonl, eval.json, embeddings.json, spec.json\nhint: /,
    );
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });
});
