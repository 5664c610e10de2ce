/** The `tessera` entry: help, version, unknown commands. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tessera } from './capture.js';

const pkg = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'),
) as { version: string };

describe('tessera', () => {
  it('--help lists every command', async () => {
    const r = await tessera('--help');
    expect(r.code).toBe(0);
    for (const c of [
      'spec',
      'check',
      'compile',
      'graph',
      'diff',
      'train',
      'eval',
      'export',
      'report',
      'data',
      'bench',
    ])
      expect(r.out).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('--version prints the package version', async () => {
    for (const flag of ['--version', '-v'])
      expect(await tessera(flag)).toEqual({ code: 0, out: `tessera ${pkg.version}\n`, err: '' });
  });

  it('an unknown command exits 2 and names the commands', async () => {
    const r = await tessera('trian');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command "trian"\nhint: one of spec, check, .*train/);
  });
});
