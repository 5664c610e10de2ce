/** `tessera spec` and `tessera check`, in-process through `main`. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMethodJson } from '../../../compiler/ir/codec.js';
import { methods } from '../../../library/index.js';
import { tinyMoco } from '../../fixtures/methods.js';
import { tessera } from '../capture.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tessera-cli-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const fixture = (name: string): string =>
  path.join(import.meta.dirname, '..', '..', 'fixtures', 'specs', name);

describe('tessera spec', () => {
  it('prints library methods as JSON that decodes back to the same method', async () => {
    for (const [name, preset] of [
      ['moco-v3', 'tiny'],
      ['i-jepa', 'paper'],
    ] as const) {
      const r = await tessera('spec', '--method', name, '--preset', preset);
      expect(r.code).toBe(0);
      expect(parseMethodJson(r.out)).toEqual(E.right(methods[name](preset)));
    }
  });

  it('rejects unknown methods and presets, and missing options, with usage errors', async () => {
    const unknown = await tessera('spec', '--method', 'byol');
    expect(unknown).toMatchObject({ code: 2, out: '' });
    expect(unknown.err).toContain('unknown method "byol"\nhint: one of moco-v3, i-jepa');
    expect((await tessera('spec', '--method', 'moco-v3', '--preset', 'huge')).err).toContain(
      'unknown preset "huge"',
    );
    expect((await tessera('spec')).code).toBe(2);
    expect((await tessera('spec', '--methd', 'x')).code).toBe(2);
  });
});

describe('tessera check', () => {
  it('accepts a valid JSON spec and prints modules, branches, parameters and FLOPs', async () => {
    const spec = file(
      'moco.json',
      (await tessera('spec', '--method', 'moco-v3', '--preset', 'tiny')).out,
    );
    const r = await tessera('check', spec);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok: "moco-v3" is valid \(5 modules, \d+ branches, 2 loss terms\)/);
    expect(r.out).toMatch(
      /\nbackbone +ResNet\(basic, 1-1-1\) +[\d.]+k +optimized by contrastive\n/,
    );
    expect(r.out).toMatch(/momentumBackbone .*EMA of backbone \(cosine 0\.99 -> 1\)/);
    expect(r.out).toMatch(/\nbackbone\(view1\) +vector\[B, \d+\] +[\d.]+ [MG]FLOP +training\n/);
    expect(r.out).toMatch(
      /\nbackbone\(clean\) +vector\[B, \d+\] +[\d.]+ [MG]FLOP +evaluation only\n/,
    );
    expect(r.out).toContain('trainable parameters: ');
    expect(r.out).toMatch(
      /FLOPs per training step: forward [\d.]+ GFLOP, with backward ~[\d.]+ GFLOP/,
    );
  });

  it('--json gives the same report as data, consistent with the library method', async () => {
    const r = await tessera('check', '--method', 'i-jepa', '--preset', 'tiny', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.ok).toBe(true);
    expect(report.modules.map((m: { name: string }) => m.name)).toEqual(
      methods['i-jepa']('tiny').modules.map((m) => m.name),
    );
    const encoder = report.modules.find((m: { role: string }) => m.role.startsWith('optimized'));
    const target = report.modules.find((m: { role: string }) => m.role.startsWith('EMA'));
    expect(target.params).toBe(encoder.params); // an EMA copy has its source's parameters
    expect(report.flops.training).toBeGreaterThan(report.flops.forward);
    // the step computes the loss branches (and no representation-only branch); smooth-L1 adds no counted FLOPs
    const step = report.branches.filter((b: { use: string }) => b.use === 'step');
    expect(step.map((b: { branch: string }) => b.branch.split('(')[0]).sort()).toEqual([
      'encoder',
      'predictor',
      'target',
    ]);
    expect(
      report.branches
        .filter((b: { use: string }) => b.use === 'eval')
        .every((b: { branch: string }) => b.branch.endsWith('(clean)')),
    ).toBe(true);
    expect(step.reduce((s: number, b: { flops: number }) => s + b.flops, 0)).toBe(
      report.flops.forward,
    );
  });

  it('loads .ts modules with a default export or a named `method`', async () => {
    expect((await tessera('check', fixture('tinyMoco.ts'))).out).toMatch(
      /^ok: "moco-v3-tiny" is valid/,
    );
    expect((await tessera('check', fixture('namedIjepa.ts'))).out).toMatch(
      /^ok: "i-jepa-tiny" is valid/,
    );
  });

  it('prints every issue as a tree and exits 1 on an invalid spec', async () => {
    const bad = JSON.parse(JSON.stringify(tinyMoco));
    bad.input.size = 0;
    bad.modules[0].net._tag = 'Sequental';
    const r = await tessera('check', file('bad.json', JSON.stringify(bad)));
    expect(r.code).toBe(1);
    expect(r.out.split('\n').slice(0, 4)).toEqual([
      'Invalid spec "moco-v3-tiny":',
      '├─ input.size  [E_RANGE]',
      '│  0 is out of range',
      '│  expected an integer >= 1, got 0',
    ]);
    expect(r.out).toContain('└─ modules.0.net._tag  [E_UNKNOWN_TAG]');
    expect(r.out).toContain('hint: did you mean "Sequential"?');
    const json = await tessera('check', file('bad.json', JSON.stringify(bad)), '--json');
    expect(JSON.parse(json.out).issues.map((i: { code: string }) => i.code)).toEqual([
      'E_RANGE',
      'E_UNKNOWN_TAG',
    ]);
  });

  it('never prints a stack trace on broken JSON, missing files or bad modules', async () => {
    for (const text of ['', '{', '[1, 2]', 'null', '{"_tag": "Method"}', '"x"']) {
      const r = await tessera('check', file('broken.json', text));
      expect(r.code).toBe(1);
      expect(r.out + r.err).not.toMatch(/\n\s+at /);
      expect(r.out).toMatch(/^Invalid spec/);
    }
    const missing = await tessera('check', path.join(dir, 'nope.json'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no such file');
    const folder = await tessera('check', dir);
    expect(folder.code).toBe(1);
    expect(folder.err).toMatch(/ is a folder, not a spec file\nhint: give a \.json spec/);
    const noExport = await tessera('check', file('empty.mjs', 'export const x = 1;\n'));
    expect(noExport).toMatchObject({ code: 1 });
    expect(noExport.err).toContain('exports no method');
    const throws = await tessera('check', file('throws.mjs', 'throw new Error("boom");\n'));
    expect(throws.err).toContain('cannot load');
    expect(throws.err).toContain('boom');
  });

  it('reports usage errors with exit code 2', async () => {
    expect((await tessera('check')).code).toBe(2);
    expect((await tessera('check', 'a.json', 'b.json')).code).toBe(2);
    expect((await tessera('check', 'a.json', '--method', 'moco-v3')).code).toBe(2);
    expect((await tessera('check', '--bogus')).code).toBe(2);
  });
});
