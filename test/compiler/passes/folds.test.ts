/**
 * Pseudo-domain folds in the spec: `training.folds` round-trips through the codec and the printer,
 * `pairedImages` needs folds (E_FOLDS at the input's path), folds need k >= 2 (E_FOLDS) and
 * integer sizes (E_RANGE), and a representation cannot read the other fold (E_REPRESENTATION).
 */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { checkMethod } from '../../../compiler/check.js';
import { decodeMethod, encodeMethod } from '../../../compiler/ir/codec.js';
import type { Issue } from '../../../compiler/ir/issue.js';
import type { Method } from '../../../compiler/ir/node.js';
import { printMethod } from '../../../compiler/ir/printer.js';
import { specHash } from '../../../runtime/specHash.js';
import { tinyMoco } from '../../fixtures/methods.js';
import { type Loose, mutate } from '../mutate.js';

const PAIRED = { _tag: 'Input', name: 'pairedImages' };
/** tinyMoco whose second view is drawn from the other fold. */
const paired = (folds: unknown): Loose =>
  mutate(tinyMoco, (s) => {
    s.values[1].value.source = PAIRED;
    if (folds !== undefined) s.training.folds = folds;
  });

const issues = (spec: unknown): ReadonlyArray<Issue> => {
  const r = checkMethod(spec);
  return E.isLeft(r) ? r.left : [];
};

describe('pseudo-domain folds in the spec', () => {
  it('a method with folds and pairedImages checks, round-trips, prints its folds and hashes differently', () => {
    const spec = paired({ k: 2, rotateEvery: 4 }) as Method;
    expect(issues(spec)).toEqual([]);
    const decoded = decodeMethod(encodeMethod(spec));
    expect(E.isRight(decoded) && decoded.right).toEqual(spec);
    expect(printMethod(spec)).toContain('batch 8, 10 steps, 2 folds (pair rotates every 4 epochs)');
    expect(printMethod(tinyMoco)).not.toContain('folds');
    const other = paired({ k: 2, rotateEvery: 1 });
    expect(specHash(spec)).not.toBe(specHash(other));
  });

  it('pairedImages without training.folds is E_FOLDS at the input, with a hint', () => {
    const found = issues(paired(undefined));
    expect(found.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['E_FOLDS', 'values.1.value.source'],
    ]);
    expect(found[0]!.hint).toContain('folds: { k: 2, rotateEvery: 1 }');
  });

  it('one fold is E_FOLDS at training.folds.k; zero or fractional sizes are E_RANGE', () => {
    const one = issues(paired({ k: 1, rotateEvery: 4 }));
    expect(one.map((i) => [i.code, i.path.join('.')])).toEqual([['E_FOLDS', 'training.folds.k']]);
    expect(one[0]!.expected).toContain('k >= 2');
    const bad = issues(paired({ k: 2, rotateEvery: 0 }));
    expect(bad.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['E_RANGE', 'training.folds.rotateEvery'],
    ]);
    expect(issues(paired({ k: 2.5, rotateEvery: 1 })).map((i) => i.code)).toEqual(['E_RANGE']);
    expect(issues(paired({ k: 2 })).map((i) => i.code)).toEqual(['E_MISSING_FIELD']);
    expect(
      issues(mutate(tinyMoco, (s) => (s.values[0].value.source.name = 'paired'))).map(
        (i) => i.code,
      ),
    ).toEqual(['E_TYPE']);
  });

  it('a representation reading pairedImages is E_REPRESENTATION', () => {
    const spec = mutate(paired({ k: 2, rotateEvery: 1 }), (s) => {
      s.representations[0].value.inputs.x = PAIRED;
    });
    const found = issues(spec);
    expect(found.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['E_REPRESENTATION', 'representations.0.value'],
    ]);
    expect(found[0]!.got).toContain('Input "pairedImages"');
  });
});
