/**
 * `check` refuses what TF.js cannot hold (issue 12, Deliver 3): specs that decoded and shaped fine
 * but failed inside TF.js (a ViT of width 65536, 3.4 TB predicted), ran for minutes, or asked for a
 * position table of 1e308 entries are `E_TOO_LARGE` with the number and a hint.
 */
import * as E from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import { checkMethod } from '../../../compiler/check.js';
import type { Issue } from '../../../compiler/ir/issue.js';
import { tinyIjepa, tinyMoco } from '../../fixtures/methods.js';
import { mutate } from '../mutate.js';

const issuesOf = (spec: unknown): ReadonlyArray<Issue> => {
  const r = checkMethod(spec);
  return E.isLeft(r) ? r.left : [];
};

describe('size limits', () => {
  it('a ViT of width 65536: E_TOO_LARGE from the parameter count, naming the module', () => {
    const wide = mutate(tinyMoco, (s) => {
      for (const m of s.modules.slice(0, 1)) {
        m.net.layers[0].dim = 65536;
        m.net.layers[1].in = 65536;
      }
      s.modules[2].net = s.modules[0].net; // the EMA target follows its source
    });
    const found = issuesOf(wide);
    expect(found.map((i) => i.code)).toEqual(['E_TOO_LARGE']);
    expect(found[0]!.message).toMatch(/the method has [\d.]+e\+\d+ parameters \(module "online"/);
    expect(found[0]!.hint).toMatch(/reduce the widths/);
  });

  it('one value over 2^30 elements at the spec batch: E_TOO_LARGE naming the batch', () => {
    const big = mutate(tinyMoco, (s) => (s.training.batch = 2 ** 22));
    const found = issuesOf(big);
    expect(found.map((i) => i.code)).toContain('E_TOO_LARGE');
    expect(found.find((i) => i.code === 'E_TOO_LARGE')!.message).toMatch(
      /elements at batch 4194304/,
    );
  });

  it('a predictor grid of 1e308 (at decode) or 65536x65536 (its position table): E_TOO_LARGE', () => {
    const predictor = tinyIjepa.modules.findIndex((m) => m.name === 'predictor');
    const withGrid = (g: number) =>
      issuesOf(mutate(tinyIjepa, (s) => (s.modules[predictor].net.grid = [g, g])));
    const huge = withGrid(1e308);
    expect(huge.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['E_TOO_LARGE', `modules.${predictor}.net.grid.0`],
      ['E_TOO_LARGE', `modules.${predictor}.net.grid.1`],
    ]);
    const table = withGrid(65536);
    expect(table.map((i) => i.code)).toEqual(['E_TOO_LARGE']);
    expect(table[0]!.message).toMatch(/position table of grid 65536x65536 at dim 32 has 1.37e\+11/);
    expect(table[0]!.hint).toMatch(/image size over the patch size/);
  });

  it('the tiny fixtures pass (the limits are far above real methods)', () => {
    expect(issuesOf(tinyMoco)).toEqual([]);
    expect(issuesOf(tinyIjepa)).toEqual([]);
  });
});
