import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import { decodeMethod, encodeMethod, parseMethodJson } from '../../../compiler/ir/codec.js';
import type { Issue } from '../../../compiler/ir/issue.js';
import { LOSS_TAGS } from '../../../compiler/ir/loss.js';
import { NET_TAGS } from '../../../compiler/ir/net.js';
import { tinyIjepa, tinyMoco } from '../../fixtures/methods.js';
import { methodArb } from './arbitraries.js';

const issuesOf = (r: E.Either<ReadonlyArray<Issue>, unknown>): ReadonlyArray<Issue> => {
  if (E.isRight(r)) throw new Error('expected issues, got a method');
  return r.left;
};

const clone = <A>(x: A): A => JSON.parse(JSON.stringify(x)) as A;
const at = (issues: ReadonlyArray<Issue>, path: string): Issue | undefined =>
  issues.find((i) => i.path.join('.') === path);

describe('decodeMethod', () => {
  it('decodes the hand-written methods unchanged', () => {
    expect(decodeMethod(clone(tinyMoco))).toEqual(E.right(tinyMoco));
    expect(decodeMethod(clone(tinyIjepa))).toEqual(E.right(tinyIjepa));
  });

  it('round-trips any method through JSON text losslessly (property)', () => {
    fc.assert(
      fc.property(methodArb, (m) => {
        const back = parseMethodJson(JSON.stringify(encodeMethod(m)));
        expect(back).toEqual(E.right(m));
      }),
      { numRuns: 150 },
    );
  });

  it('never throws on arbitrary JSON, returning issues instead (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const r = decodeMethod(json);
        expect(E.isLeft(r)).toBe(true);
        expect(issuesOf(r).length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on a valid method with one field replaced by arbitrary JSON (property)', () => {
    const paths = [
      ['input'],
      ['modules', 0, 'net'],
      ['objectives', 0, 'terms', 0, 'loss'],
      ['values', 2, 'value'],
      ['objectives', 0, 'optimizer', 'lr'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, json) => {
        const spec = clone(tinyMoco) as unknown as Record<string | number, unknown>;
        let parent = spec;
        for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
        parent[path[path.length - 1] as string | number] = json;
        const r = decodeMethod(spec);
        if (E.isLeft(r))
          for (const i of r.left)
            expect(i.path.slice(0, path.length - 1)).toEqual(path.slice(0, -1));
      }),
      { numRuns: 200 },
    );
  });

  it('reports E_JSON for unparseable text and non-objects', () => {
    const text = issuesOf(parseMethodJson('{"_tag": "Method",'));
    expect(text.map((i) => i.code)).toEqual(['E_JSON']);
    expect(text[0]?.message).toMatch(/not valid JSON/);
    for (const json of [null, 3, 'x', [1, 2]])
      expect(issuesOf(decodeMethod(json)).map((i) => i.code)).toEqual(['E_JSON']);
  });

  it('collects independent mistakes together, each with its JSON path', () => {
    const spec = clone(tinyMoco) as any;
    delete spec.training.steps;
    spec.input.size = 0;
    spec.modules[1].net._tag = 'Mpl';
    spec.modules[0].frozen = 'patchEmbed';
    spec.objectives[0].terms[0].loss.tempreature = spec.objectives[0].terms[0].loss.temperature;
    delete spec.objectives[0].terms[0].loss.temperature;
    spec.values[0].value.pipeline[1].p = 1.5;
    const issues = issuesOf(decodeMethod(spec));
    expect(at(issues, 'training.steps')?.code).toBe('E_MISSING_FIELD');
    expect(at(issues, 'input.size')).toMatchObject({
      code: 'E_RANGE',
      expected: 'an integer >= 1',
      got: '0',
    });
    const tag = at(issues, 'modules.1.net._tag');
    expect(tag?.code).toBe('E_UNKNOWN_TAG');
    expect(tag?.hint).toBe('did you mean "Mlp"?');
    for (const known of NET_TAGS) expect(tag?.message).toContain(known);
    expect(at(issues, 'modules.0.frozen')?.code).toBe('E_TYPE');
    expect(at(issues, 'objectives.0.terms.0.loss.temperature')?.code).toBe('E_MISSING_FIELD');
    expect(at(issues, 'objectives.0.terms.0.loss.tempreature')).toMatchObject({
      code: 'E_TYPE',
      hint: 'did you mean "temperature"?',
    });
    expect(at(issues, 'values.0.value.pipeline.1.p')?.code).toBe('E_RANGE');
    expect(issues).toHaveLength(7);
  });

  it('lists the known tags of each union in E_UNKNOWN_TAG messages', () => {
    const spec = clone(tinyMoco) as any;
    spec.objectives[0].terms[0].loss._tag = 'InfoNCF';
    spec.objectives[0].optimizer._tag = 'Adamw';
    spec.objectives[0].terms[1].weight._tag = 'Cosin';
    spec.values[0].value.pipeline[0]._tag = 'Crop';
    spec.values[2].value._tag = 'Aply';
    const issues = issuesOf(decodeMethod(spec));
    const loss = at(issues, 'objectives.0.terms.0.loss._tag');
    for (const known of LOSS_TAGS) expect(loss?.message).toContain(known);
    expect(loss?.hint).toBe('did you mean "InfoNCE"?');
    expect(at(issues, 'objectives.0.optimizer._tag')?.message).toContain('AdamW, Adam, Lars, Sgd');
    expect(at(issues, 'objectives.0.terms.1.weight._tag')?.message).toContain(
      'Constant, Linear, Cosine, WarmupCosine',
    );
    expect(at(issues, 'values.0.value.pipeline.0._tag')?.message).toContain('RandomResizedCrop');
    expect(at(issues, 'values.2.value._tag')?.message).toContain('StopGradient');
    expect(issues.every((i) => i.code === 'E_UNKNOWN_TAG')).toBe(true);
  });

  it('checks numeric domains: probabilities, ordered ranges, odd kernels, integers', () => {
    const spec = clone(tinyIjepa) as any;
    spec.values[0].value.pipeline[0].scale = [0.9, 0.2];
    spec.values[1].value.spec.targets = 2.5;
    spec.values[1].value.spec.targetScale = [0, 0.2];
    spec.modules[0].net.eps = -1;
    spec.objectives[0].every = 0;
    spec.objectives[0].optimizer.betas = [0.9, 1];
    const issues = issuesOf(decodeMethod(spec));
    expect(issues.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['E_RANGE', 'modules.0.net.eps'],
      ['E_RANGE', 'values.0.value.pipeline.0.scale'],
      ['E_RANGE', 'values.1.value.spec.targets'],
      ['E_RANGE', 'values.1.value.spec.targetScale.0'],
      ['E_RANGE', 'objectives.0.optimizer.betas.1'],
      ['E_RANGE', 'objectives.0.every'],
    ]);
  });

  it('encodes to plain JSON data without undefined fields', () => {
    const m = { ...tinyMoco, modules: tinyMoco.modules.map((d) => ({ ...d, ema: undefined })) };
    const json = encodeMethod(m) as { modules: ReadonlyArray<object> };
    for (const d of json.modules) expect(Object.keys(d)).not.toContain('ema');
  });
});
