import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from '../../../compiler/ir/suggest.js';

describe('closestName', () => {
  it('counts swaps of neighbours as one edit', () => {
    expect(editDistance('Linaer', 'Linear')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests close names only', () => {
    expect(closestName('tempreature', ['temperature', 'scale'])).toBe('temperature');
    expect(closestName('predicter', ['online', 'predictor', 'target'])).toBe('predictor');
    expect(closestName('projector', ['online', 'predictor', 'target'])).toBeUndefined();
    expect(closestName('2', ['0', '1'])).toBeUndefined();
    expect(closestName('', ['a'])).toBeUndefined();
  });
});
