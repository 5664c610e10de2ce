/** `tessera data` and `tessera bench data`, run in-process: outputs, files and exit codes. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { benchCommand } from '../../../cli/commands/bench.js';
import { dataCommand } from '../../../cli/commands/data.js';
import type { Command } from '../../../cli/command.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tessera-cli-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = async (cmd: Command, args: string[]) => {
  let out = '';
  let err = '';
  const code = await cmd.run(args, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    isTty: false,
  });
  return { code, out, err };
};

describe('tessera data', () => {
  it('appearance writes the layout and labels.json; same seed gives the same bytes', async () => {
    const a = await run(dataCommand, [
      'appearance',
      '--out',
      path.join(dir, 'a'),
      '--n',
      '42',
      '--size',
      '32',
      '--seed',
      '7',
    ]);
    const b = await run(dataCommand, [
      'appearance',
      '--out',
      path.join(dir, 'b'),
      '--n',
      '42',
      '--size',
      '32',
      '--seed',
      '7',
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.out).toMatch(/wrote 42 images of 32x32/);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'a', 'labels.json'), 'utf8'));
    expect(manifest.levels).toEqual(['content', 'appearance']);
    const file = 'ring/night/000029.png'; // 29 mod 6 = 5 (ring), floor(29 / 6) = 4 (night)
    expect(
      readFileSync(path.join(dir, 'a', file)).equals(readFileSync(path.join(dir, 'b', file))),
    ).toBe(true);
    expect((await sharp(path.join(dir, 'a', file)).metadata()).width).toBe(32);
  });

  it('stats prints counts per label and class, sizes', async () => {
    const r = await run(dataCommand, ['stats', path.join(dir, 'a')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/42 images, 42 readable/);
    expect(r.out).toMatch(/label "content" \(6 classes\):\n {2}circle +7/);
    expect(r.out).toMatch(/label "appearance" \(7 classes\):\n {2}clear +6/);
    expect(r.out).toMatch(/sizes:\n {2}32x32 +42/);
  });

  it('grid writes a PNG of 7 rows x 6 columns', async () => {
    const out = path.join(dir, 'grid.png');
    const r = await run(dataCommand, ['grid', '--out', out, '--size', '16']);
    expect(r.code).toBe(0);
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual([(6 * 18 + 2) * 2, (7 * 18 + 2) * 2]);
  });

  it('returns 1 with a hint for a missing folder, 2 for usage errors', async () => {
    const missing = await run(dataCommand, ['stats', path.join(dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/does not exist\nhint: /);
    expect((await run(dataCommand, ['appearance', '--out', path.join(dir, 'c')])).code).toBe(2);
    expect(
      (await run(dataCommand, ['appearance', '--out', path.join(dir, 'c'), '--n', '0'])).err,
    ).toMatch(/--n "0": expected a whole number from 1 to/);
    expect(
      (await run(dataCommand, ['appearance', '--out', path.join(dir, 'c'), '--n', '3', '--what']))
        .code,
    ).toBe(2);
    expect((await run(dataCommand, ['frobnicate'])).err).toMatch(
      /unknown sub-command "frobnicate"\nhint: one of appearance, grid, stats/,
    );
    expect(existsSync(path.join(dir, 'c'))).toBe(false);
  });
});

describe('tessera bench data', () => {
  it('prints every row and the input preparation vs a MoCo v3 tiny step (tiny sizes)', async () => {
    const r = await run(benchCommand, [
      'data',
      '--batch',
      '4',
      '--size',
      '16',
      '--repeats',
      '1',
      '--backend',
      'wasm',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const name of [
      'appearance generator',
      'image folder batch',
      'RandomResizedCrop',
      'ColorJitter',
      'GaussianBlur',
      'SpectralNoise',
      'MoCo v3 view 2',
    ]) {
      expect(r.out).toContain(name);
    }
    expect(r.out).toMatch(/input preparation per MoCo v3 step .*: [\d.]+ ms/);
    expect(r.out).toMatch(
      /MoCo v3 tiny training step \(batch 4, 32x32, views included\): [\d.]+ ms; input preparation at 32x32: [\d.]+ ms = [\d.]+% of a step \(target < 20%: (met|NOT met)\)/,
    );
  });

  it('--no-step leaves the step out', async () => {
    const r = await run(benchCommand, [
      'data',
      '--batch',
      '2',
      '--size',
      '16',
      '--repeats',
      '1',
      '--no-step',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/not measured \(no stepTime hook\)/);
  });

  it('rejects unknown benchmarks and bad options', async () => {
    expect((await run(benchCommand, ['nope'])).code).toBe(2);
    expect((await run(benchCommand, ['data', '--batch', '0'])).err).toMatch(
      /--batch "0": expected a whole number from 1 to/,
    );
  });
});
