import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, specHash } from '../../runtime/specHash.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order and drops undefined fields', () => {
    const text = canonicalJson({ b: 1, a: { z: [3, { y: 2, x: 1 }], c: undefined }, é: 'x' });
    expect(text).toBe('{"a":{"z":[3,{"x":1,"y":2}]},"b":1,"é":"x"}');
    expect(JSON.parse(text)).toEqual({ a: { z: [3, { x: 1, y: 2 }] }, b: 1, é: 'x' });
  });

  it('refuses values JSON cannot carry, naming the path', () => {
    expect(() => canonicalJson({ loss: { weight: NaN } })).toThrow('$.loss.weight is NaN');
    expect(() => canonicalJson({ f: () => 1 })).toThrow('$.f is a function');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow('$.self is a cycle');
  });
});

describe('specHash', () => {
  it('is the sha256 of the canonical JSON and ignores key order', () => {
    const a = { method: 'moco-v3', loss: { temperature: 0.2, kind: 'infoNCE' } };
    const b = { loss: { kind: 'infoNCE', temperature: 0.2 }, method: 'moco-v3' };
    expect(specHash(a)).toBe(specHash(b));
    expect(specHash(a)).toBe(
      createHash('sha256')
        .update('{"loss":{"kind":"infoNCE","temperature":0.2},"method":"moco-v3"}')
        .digest('hex'),
    );
    expect(specHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when any value changes', () => {
    const base = { loss: { temperature: 0.2 }, views: [1, 2] };
    expect(specHash({ loss: { temperature: 0.21 }, views: [1, 2] })).not.toBe(specHash(base));
    expect(specHash({ loss: { temperature: 0.2 }, views: [2, 1] })).not.toBe(specHash(base));
  });
});
