/**
 * The runnable examples stay true: the 15-line MoCo v3 checks and trains, and the ablation example
 * removes one term and changes one temperature.
 */
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { checkMethod } from '../compiler/check.js';
import { ablated, firstLosses } from '../examples/ablation.js';
import { method } from '../examples/mocoV3In15Lines.js';
import { Method } from '../dsl/index.js';

describe('examples', () => {
  test('MoCo v3 in 15 lines: the definition fits in 15 lines, checks, and trains with finite losses on the built-in data', async () => {
    const source = readFileSync(new URL('../examples/mocoV3In15Lines.ts', import.meta.url), 'utf8');
    const start = source.indexOf('import { Aug');
    const end = source.indexOf('\nconst main');
    expect(
      source
        .slice(start, end)
        .trim()
        .split('\n')
        .filter((l) => l.trim() !== '').length,
    ).toBeLessThanOrEqual(15);
    const checked = checkMethod(method);
    expect(E.isRight(checked)).toBe(true);
    const losses = await firstLosses(Method.override(method, 'training.batch', 16), 6);
    expect(losses.every(Number.isFinite)).toBe(true);
  });

  test('the ablation removes the symmetric half and sets tau = 0.1', () => {
    expect(ablated.objectives[0]!.terms.map((t) => t.name)).toEqual(['ctr_12']);
    const loss = ablated.objectives[0]!.terms[0]!.loss;
    expect(loss._tag === 'InfoNCE' && loss.temperature).toEqual({ _tag: 'Constant', value: 0.1 });
    expect(E.isRight(checkMethod(ablated))).toBe(true);
  });
});
