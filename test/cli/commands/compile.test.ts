/** `tessera compile`: `--dump` (the IR after every pass), `--emit` (the standalone step module), errors. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipelineFor } from '../../../compiler/passes/pipeline.js';
import { tessera } from '../capture.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tessera-cli-compile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tessera compile', () => {
  it('--dump prints the IR after every pass of the pipeline, in order', async () => {
    const r = await tessera('compile', 'moco-v3:tiny', '--dump');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const headers = r.out.split('\n').filter((l) => l.startsWith('== after '));
    expect(headers).toEqual(pipelineFor('wasm').map((p) => `== after ${p.name} ==`));
    expect(headers.length).toBeGreaterThan(3);
    expect(r.out).toContain('momentumBackbone');
    const cpu = await tessera('compile', 'moco-v3:tiny', '--dump', '--backend', 'cpu');
    expect(cpu.out.split('\n').filter((l) => l.startsWith('== after '))).toEqual(
      pipelineFor('cpu').map((p) => `== after ${p.name} ==`),
    );
  });

  it('--emit writes the standalone module and says what it contains', async () => {
    const file = path.join(dir, 'step.ts');
    const r = await tessera(
      'compile',
      '--method',
      'moco-v3',
      '--preset',
      'tiny',
      '--emit',
      file,
      '--backend',
      'cpu',
    );
    expect(r.code).toBe(0);
    const source = readFileSync(file, 'utf8');
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(
      `wrote ${file} (${(Buffer.byteLength(source) / 1024).toFixed(1)} KB): the lowered training step of "moco-v3", default backend cpu`,
    );
    expect(lines[1]).toMatch(
      /^ {2}contains: \d+ tessera source files as namespaces \(.*compiler\/lower \d+.*\);$/,
    );
    expect(lines[2]).toMatch(
      /the checked graph \(\d+ nodes, 5 modules, 2 loss terms, 1 objective\)/,
    );
    // cpu: no wasm import
    expect(lines[3]).toBe('  imports:  @tensorflow/tfjs');
    expect(lines[4]).toMatch(
      /^ {2}pruned: {3}\d+ rule-table entries the graph never uses, \d+ unreachable statements$/,
    );
    expect(source).toContain('export const BACKEND: string = "cpu";');
    expect(source).not.toContain('tfjs-backend-wasm');
    const all = await tessera(
      'compile',
      'moco-v3:tiny',
      '--emit',
      path.join(dir, 'all.ts'),
      '--keep-unused',
    );
    expect(all.code).toBe(0);
    expect(all.out).not.toContain('pruned:');
    expect(readFileSync(path.join(dir, 'all.ts'), 'utf8')).toContain(
      'namespace compiler_lower_nets_unet {',
    );
    expect(source).not.toContain('namespace compiler_lower_nets_unet {');
  });

  it('usage errors exit 2 with a hint', async () => {
    const none = await tessera('compile', 'moco-v3:tiny');
    expect(none.code).toBe(2);
    expect(none.err).toContain('nothing to do: give --emit FILE.ts and/or --dump');
    const js = await tessera('compile', 'moco-v3:tiny', '--emit', path.join(dir, 'step.js'));
    expect(js.code).toBe(2);
    expect(js.err).toContain('--emit expects a .ts file');
    const backend = await tessera('compile', 'moco-v3:tiny', '--dump', '--backend', 'webgpu');
    expect(backend.code).toBe(2);
    expect(backend.err).toContain('unknown backend "webgpu"\nhint: one of wasm, cpu, tensorflow');
    expect(existsSync(path.join(dir, 'step.js'))).toBe(false);
  });

  it('an invalid spec prints its issues and exits 1, writing nothing', async () => {
    const spec = path.join(dir, 'broken.json');
    writeFileSync(spec, '{ "name": "x", ');
    const out = path.join(dir, 'never.ts');
    const r = await tessera('compile', spec, '--emit', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('E_JSON');
    expect(existsSync(out)).toBe(false);
    const missing = await tessera(
      'compile',
      'moco-v3:tiny',
      '--emit',
      path.join(dir, 'no', 'such', 'dir', 'step.ts'),
    );
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('cannot write');
    expect(missing.err).toContain('hint: create it first');
  });
});
