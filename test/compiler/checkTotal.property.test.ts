/**
 * Property (issue 12, item 3, first half): `check` is total. Random mutations of the three
 * library methods (`tiny`): any field replaced by a hostile value (huge, zero, negative, 1e308,
 * null, a string, an empty list or object, a 1000-deep chain); `checkMethod` never throws, returns
 * coded issues or a graph, and answers within a second. Running the accepted specs for one step:
 * `test/runtime/acceptedSpecs.property.test.ts`.
 */
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMethod } from '../../compiler/check.js';
import { mutatedSpecs, type Json } from './specMutations.js';

const deep = (): Json => {
  let v: Json = { _tag: 'Input', name: 'images' };
  for (let i = 0; i < 1000; i++) v = { _tag: 'StopGradient', source: v };
  return v;
};
const HOSTILE: ReadonlyArray<() => Json> = [
  () => 1e9,
  () => 1e308,
  () => 65536,
  () => 0,
  () => -1,
  () => 0.5,
  () => null,
  () => 'x',
  () => [],
  () => ({}),
  () => true,
  deep,
  () => 2 ** 24,
  () => 1024,
];

describe('check is total', () => {
  it('never throws on mutated library specs, answers with coded issues or a graph, in bounded time (300 cases)', () => {
    fc.assert(
      fc.property(mutatedSpecs(HOSTILE), ({ spec }) => {
        const t0 = performance.now();
        const r = checkMethod(spec);
        expect(performance.now() - t0).toBeLessThan(5000);
        if (E.isLeft(r)) {
          expect(r.left.length).toBeGreaterThan(0);
          for (const issue of r.left) expect(issue.code).toMatch(/^E_[A-Z_]+$/);
        }
      }),
      { numRuns: 300, seed: 12 },
    );
  }, 300_000);
});
