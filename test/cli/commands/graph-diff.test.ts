/** `tessera graph` and `tessera diff`, in-process through `main`. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyIjepa, tinyMoco, tinyMocoVicreg } from '../../fixtures/methods.js';
import { tessera } from '../capture.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tessera-cli-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const specFile = (name: string, spec: unknown): string => {
  const p = path.join(dir, name);
  writeFileSync(p, JSON.stringify(spec));
  return p;
};

describe('tessera graph', () => {
  it('draws MoCo v3 in Mermaid: views, branches, dashed stop-gradient and EMA edges, weighted terms', async () => {
    const r = await tessera('graph', specFile('moco.json', tinyMoco));
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[1]).toBe('flowchart LR');
    expect(lines).toContain('  n1[/"view view1<br/>RandomResizedCrop, HorizontalFlip"/]');
    expect(lines).toContain('  n4["online<br/>vector[B, 32]"]');
    expect(lines).toContain('  n12{{"main/q1k2<br/>InfoNCE x 1"}}');
    // the key goes through StopGradient: drawn as a dashed edge from the target branch, no SG node
    expect(lines).toContain('  n10 -.->|"key, stop-grad"| n12');
    expect(lines.some((l) => l.startsWith('  n9'))).toBe(false);
    expect(lines).toContain('  n4 -.->|"EMA cosine 0.99 -> 1"| n8');
    expect(lines).toContain('  n5 -->|"query"| n12');
    expect(lines).toContain('  n15 --> rep_backbone');
    expect(lines).toContain('  class n8,n10,n15 ema;');
    // every edge joins declared nodes
    const ids = new Set(lines.flatMap((l) => /^ {2}(\w+)[[({>]/.exec(l)?.[1] ?? []));
    for (const l of lines.filter((x) => /-->|-\.->/.test(x))) {
      const [from, , to] = l
        .trim()
        .replace(/\|"[^"]*"\|/, '')
        .split(/\s+/);
      expect(ids.has(from ?? '') && ids.has(to ?? ''), l).toBe(true);
    }
  });

  it('draws I-JEPA as Graphviz dot with ports and dashed edges', async () => {
    const r = await tessera('graph', specFile('ijepa.json', tinyIjepa), '--format', 'dot');
    expect(r.code).toBe(0);
    expect(r.out.startsWith('digraph "i-jepa-tiny" {\n  rankdir=LR;\n')).toBe(true);
    expect(r.out).toContain('n6 [label="predictor\\ntokens[');
    expect(r.out).toContain('n3 -> n6 [label="context"];');
    expect(r.out).toContain('n8 -> n10 [style=dashed, label="source, stop-grad"];');
    expect(r.out).toContain('n5 -> n7 [style=dashed, label="EMA linear 0.996 -> 1"];');
    expect(r.out).toContain('n11 [label="main/jepa\\nSmoothL1 x 1", shape=hexagon');
    expect(r.out.trimEnd().endsWith('}')).toBe(true);
  });

  it('prints issues instead of a graph for an invalid spec, and rejects unknown formats', async () => {
    const bad = JSON.parse(JSON.stringify(tinyMoco));
    bad.objectives[0].params.push('target');
    const r = await tessera('graph', specFile('bad.json', bad));
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toContain('[E_EMA_OPTIMIZED]');
    expect((await tessera('graph', '--method', 'moco-v3', '--format', 'png')).code).toBe(2);
  });
});

describe('tessera diff', () => {
  it('shows MoCo v3 with InfoNCE vs the same with VICReg: terms removed, added and changed, FLOP delta', async () => {
    const r = await tessera(
      'diff',
      specFile('a.json', tinyMoco),
      specFile('b.json', tinyMocoVicreg),
    );
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([
      'diff "moco-v3-tiny" -> "moco-v3-tiny-vicreg": 5 changes',
      'settings:',
      '  ~ method',
      '      name: "moco-v3-tiny" -> "moco-v3-tiny-vicreg"',
      'terms:',
      '  - main/q2k1: InfoNCE',
      '  ~ main/q1k2',
      '      loss: InfoNCE -> L2',
      '      weight.value: 1 -> 25',
      '  + main/var: VicregVariance',
      '  + main/cov: VicregCovariance',
      'cost:',
      expect.stringMatching(/^ {2}trainable parameters: ([\d.]+k) -> \1 \(\+0\.0%\)$/),
      expect.stringMatching(
        /^ {2}forward FLOPs\/step: [\d.]+ MFLOP -> [\d.]+ MFLOP \(-\d+\.\d%\)$/,
      ),
      expect.stringMatching(/^ {2}training FLOPs\/step: /),
      '',
    ]);
  });

  it('compares library presets and reports changed module fields; --json gives the same data', async () => {
    const r = await tessera('diff', 'i-jepa:tiny', 'i-jepa:paper', '--json');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    const encoder = d.changes.find(
      (c: { kind: string; name: string }) => c.kind === 'modules' && c.name === 'encoder',
    );
    expect(encoder.status).toBe('changed');
    expect(encoder.fields).toContainEqual({ path: ['net', 'depth'], before: 3, after: 32 });
    expect(d.cost[1].params).toBeGreaterThan(100e6);
    expect(d.cost[0].params).toBeLessThan(d.cost[1].params);
  });

  it('says when nothing changed, and fails clearly on bad input', async () => {
    const a = specFile('same.json', tinyIjepa);
    const same = await tessera('diff', a, a);
    expect(same.out.split('\n')[0]).toBe(
      'diff "i-jepa-tiny" -> "i-jepa-tiny": no structural change',
    );
    expect((await tessera('diff', a)).code).toBe(2);
    const broken = await tessera('diff', a, path.join(dir, 'missing.json'));
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('no such file');
    const bad = await tessera(
      'diff',
      a,
      specFile('bad.json', { ...tinyIjepa, input: { size: 'big', channels: 3 } }),
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('input.size  [E_TYPE]');
  });
});
