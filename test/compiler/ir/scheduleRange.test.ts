/**
 * Schedules are checked against the domain of what they drive: a temperature must stay > 0, a
 * learning rate and weight decay >= 0, an EMA momentum in [0, 1]. All reported together.
 */
import { describe, expect, test } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { decodeMethod } from '../../../compiler/ir/codec.js';
import { mocoV3 } from '../../../library/mocoV3.js';

describe('schedule domains', () => {
  test('temperature 0, a negative learning rate and an EMA momentum above 1 are E_RANGE, with paths', () => {
    const spec = JSON.parse(JSON.stringify(mocoV3({ preset: 'tiny' })));
    spec.objectives[0].terms[0].loss.temperature = { _tag: 'Constant', value: 0 };
    spec.objectives[0].optimizer.lr = {
      _tag: 'WarmupCosine',
      warmup: 0.1,
      start: 0,
      peak: -1e-3,
      end: 0,
    };
    spec.modules[3].ema.momentum = { _tag: 'Linear', from: 0.99, to: 1.2, start: 0, end: 1 };
    const r = decodeMethod(spec);
    expect(E.isLeft(r)).toBe(true);
    const issues = E.isLeft(r) ? r.left : [];
    const at = (path: string) => issues.find((i) => i.path.join('.') === path);
    expect(at('objectives.0.terms.0.loss.temperature')).toMatchObject({
      code: 'E_RANGE',
      expected: 'values > 0',
      got: '0',
    });
    expect(at('objectives.0.optimizer.lr')).toMatchObject({
      code: 'E_RANGE',
      expected: 'values >= 0',
      got: '-0.001',
    });
    expect(at('modules.3.ema.momentum')).toMatchObject({
      code: 'E_RANGE',
      expected: 'values in [0, 1]',
      got: '1.2',
    });
  });

  test('the library presets are within their domains', () => {
    expect(E.isRight(decodeMethod(JSON.parse(JSON.stringify(mocoV3({ preset: 'paper' })))))).toBe(
      true,
    );
  });
});
