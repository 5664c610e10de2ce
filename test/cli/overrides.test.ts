/** `--set PATH=VALUE` parsing and application, and spec resolution for `tessera train` (no TF.js). */
import * as E from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import { applyOverrides, parseOverride } from '../../cli/overrides.js';
import { DEFAULT_METHOD, resolveSpec } from '../../cli/trainSpec.js';
import { methods } from '../../library/index.js';

const right = <A>(x: E.Either<string, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left);
  return x.right;
};

describe('parseOverride', () => {
  it('reads numbers, JSON values and plain strings', () => {
    expect(right(parseOverride('a.b=0.1'))).toEqual({ path: 'a.b', value: 0.1 });
    expect(right(parseOverride('a=[1,2]'))).toEqual({ path: 'a', value: [1, 2] });
    expect(right(parseOverride('a={"_tag":"Constant","value":2}'))).toEqual({
      path: 'a',
      value: { _tag: 'Constant', value: 2 },
    });
    expect(right(parseOverride('net.act=gelu'))).toEqual({ path: 'net.act', value: 'gelu' });
    expect(right(parseOverride('x=a=b'))).toEqual({ path: 'x', value: 'a=b' });
  });

  it('rejects a missing = or path with a hint', () => {
    expect(parseOverride('temperature')).toEqual(
      E.left(expect.stringMatching(/expected PATH=VALUE\nhint: e\.g\. --set/)),
    );
    expect(E.isLeft(parseOverride('=3'))).toBe(true);
  });
});

describe('applyOverrides', () => {
  const moco = methods['moco-v3']('tiny');

  it('applies by index or by name; a number for a schedule becomes a constant', () => {
    const { spec, issues } = applyOverrides(moco, [
      { path: 'objectives.contrastive.terms.ctr_12.loss.temperature', value: 0.5 },
      { path: 'objectives.0.terms.1.weight', value: 2 },
    ]);
    expect(issues).toEqual([]);
    const o = (spec as typeof moco).objectives[0]!;
    expect(o.terms[0]!.loss).toMatchObject({ temperature: { _tag: 'Constant', value: 0.5 } });
    expect(o.terms[1]!.weight).toEqual({ _tag: 'Constant', value: 2 });
  });

  it('collects every bad path or type as an issue located at it', () => {
    const { issues } = applyOverrides(moco, [
      { path: 'objectives.0.terms.9.weight', value: 1 },
      { path: 'training.batch', value: 'big' },
    ]);
    expect(issues.map((i) => i.code)).toEqual(['E_MISSING_FIELD', 'E_TYPE']);
    expect(issues[0]!.message).toMatch(/^--set objectives\.0\.terms\.9\.weight: no element "9"/);
    expect(issues[1]!.path).toEqual(['training', 'batch']);
  });
});

describe('resolveSpec', () => {
  it('defaults to the tiny preset of DEFAULT_METHOD, with --batch in training.batch', async () => {
    const r = await resolveSpec({ batch: 4, overrides: [] });
    if (!r.ok) throw new Error(r.message);
    expect(r.name).toBe(`${DEFAULT_METHOD} (tiny)`);
    expect(r.method.training.batch).toBe(4);
  });

  it('accepts a whole loss term as JSON', async () => {
    const loss = {
      ...(methods['moco-v3']('tiny').objectives[0]!.terms[0]!.loss as object),
      temperature: { _tag: 'Constant', value: 0.7 },
    };
    const r = await resolveSpec({
      method: 'moco-v3',
      overrides: [{ path: 'objectives.0.terms.ctr_12.loss', value: loss }],
    });
    if (!r.ok) throw new Error(r.message);
    expect(r.method.objectives[0]!.terms[0]!.loss).toMatchObject({
      _tag: 'InfoNCE',
      temperature: { _tag: 'Constant', value: 0.7 },
    });
  });

  it('reports usage errors (code 2) and checker issues (code 1)', async () => {
    expect(await resolveSpec({ method: 'moco-v3', spec: 'x.json', overrides: [] })).toMatchObject({
      ok: false,
      code: 2,
    });
    expect(await resolveSpec({ method: 'moco-v3', preset: 'huge', overrides: [] })).toMatchObject({
      ok: false,
      code: 2,
      message: expect.stringContaining('unknown preset "huge"'),
    });
    const bad = await resolveSpec({
      method: 'moco-v3',
      overrides: [{ path: 'modules.predictor.net.in', value: 100 }],
    });
    expect(bad).toMatchObject({
      ok: false,
      code: 1,
      message: expect.stringMatching(
        /^Invalid spec "moco-v3":\n├─ objectives\.0\.terms\.0\.loss\.query  \[E_SHAPE\]\n│  port 'x' expects feature dim 100, got 64/,
      ),
    });
    const zero = await resolveSpec({ method: 'moco-v3', batch: 0, overrides: [] });
    expect(zero).toMatchObject({
      ok: false,
      code: 1,
      message: expect.stringContaining('training.batch  [E_RANGE]'),
    });
  });
});
