/**
 * The authors' recipe at small scale through the CLI: pretrain MoCo v3 `tiny` with the ResNet
 * backbone, `tessera export` it, start ST-STORM's semantic branch from it with
 * `--init semBackbone=FILE`; a file that does not fit is exit 1
 * with each problem named; a malformed `--init` is a usage error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { encodeMethod } from '../../../compiler/ir/codec.js';
import { mocoV3 } from '../../../library/mocoV3.js';
import { tessera } from '../capture.js';

const root = mkdtempSync(join(tmpdir(), 'tessera-init-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('tessera train --init', () => {
  test('MoCo v3 tiny ResNet -> export -> ST-STORM semBackbone; a mismatched file is named tensor by tensor', async () => {
    const spec = join(root, 'moco-resnet.json');
    writeFileSync(
      spec,
      JSON.stringify(encodeMethod(mocoV3({ preset: 'tiny', backbone: 'resnet' }))),
    );
    const moco = join(root, 'moco');
    const data = 'builtin:appearance:42';
    expect(
      (
        await tessera(
          'train',
          '--spec',
          spec,
          '--data',
          data,
          '--steps',
          '1',
          '--batch',
          '8',
          '--out',
          moco,
        )
      ).code,
    ).toBe(0);
    const file = join(root, 'moco-backbone.safetensors');
    expect(
      (await tessera('export', '--run', moco, '--representation', 'backbone', '--out', file)).code,
    ).toBe(0);
    const storm = await tessera(
      'train',
      '--method',
      'st-storm',
      '--data',
      data,
      '--steps',
      '1',
      '--batch',
      '4',
      '--out',
      join(root, 'storm'),
      '--init',
      `semBackbone=${file}`,
    );
    expect(storm.err).toBe('');
    expect(storm.code).toBe(0);
    expect(storm.out).toContain(`initialised semBackbone from ${file}`);
    const wrong = await tessera(
      'train',
      '--method',
      'st-storm',
      '--data',
      data,
      '--steps',
      '1',
      '--batch',
      '4',
      '--out',
      join(root, 'wrong'),
      '--init',
      `G_A=${file}`,
    );
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(
      /--init G_A=.*: the file does not fit module "G_A" \(\d+ problems\)\n {2}missing: "/,
    );
    expect(wrong.err).toMatch(/extra: "backbone\//);
    const usage = await tessera('train', '--init', 'semBackbone');
    expect([usage.code, usage.err]).toEqual([
      2,
      expect.stringContaining('--init semBackbone: expected MODULE=FILE'),
    ]);
  }, 600_000);
});
