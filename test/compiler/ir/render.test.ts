import * as E from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import { checkMethod } from '../../../compiler/check.js';
import { parseMethodJson } from '../../../compiler/ir/codec.js';
import { type Issue, type IssueCode, issue } from '../../../compiler/ir/issue.js';
import { renderIssue, renderIssues } from '../../../compiler/ir/render.js';
import { tinyIjepa, tinyMoco } from '../../fixtures/methods.js';
import { mutate } from '../mutate.js';

const images = { _tag: 'Input', name: 'images' };

/** For every issue code: how to trigger it, and what its rendered branch must say. */
interface Case {
  readonly issues: () => ReadonlyArray<Issue>;
  readonly path: string;
  readonly lines: ReadonlyArray<string>;
}

const checked = (spec: unknown): ReadonlyArray<Issue> => {
  const r = checkMethod(spec);
  if (E.isRight(r)) throw new Error('expected issues');
  return r.left;
};

const CASES: { readonly [K in IssueCode]: Case } = {
  E_JSON: {
    issues: () => (parseMethodJson('{"_tag": "Method", }') as E.Left<ReadonlyArray<Issue>>).left,
    path: '(spec)',
    lines: ['not valid JSON:', 'hint: check for trailing commas, comments or unquoted keys'],
  },
  E_MISSING_FIELD: {
    issues: () => checked(mutate(tinyMoco, (s) => delete s.objectives[0].optimizer.eps)),
    path: 'objectives.0.optimizer.eps',
    lines: ['AdamW needs the field "eps"', 'expected a number > 0'],
  },
  E_TYPE: {
    issues: () => checked(mutate(tinyMoco, (s) => (s.training.batch = '64'))),
    path: 'training.batch',
    lines: [
      'expected a number (an integer >= 1), got string',
      'expected a number (an integer >= 1), got "64"',
    ],
  },
  E_UNKNOWN_TAG: {
    issues: () =>
      checked(mutate(tinyMoco, (s) => (s.objectives[0].terms[0].loss._tag = 'InfoNce'))),
    path: 'objectives.0.terms.0.loss._tag',
    lines: [
      'unknown loss "InfoNce"; known: InfoNCE, InfoNCEQueue, SmoothL1',
      'expected a known loss, got "InfoNce"',
      'hint: did you mean "InfoNCE"?',
    ],
  },
  E_RANGE: {
    issues: () => checked(mutate(tinyMoco, (s) => (s.values[1].value.pipeline[2].p = -0.2))),
    path: 'values.1.value.pipeline.2.p',
    lines: ['-0.2 is out of range', 'expected a number in [0, 1], got -0.2'],
  },
  E_DUPLICATE_NAME: {
    issues: () => checked(mutate(tinyMoco, (s) => (s.modules[1].name = 'online'))),
    path: 'modules.1.name',
    lines: [
      'module "online" is declared twice',
      'expected a unique name, got "online", also at modules.0.name',
      'hint: rename one of the two modules',
    ],
  },
  E_DANGLING_REF: {
    issues: () =>
      checked(mutate(tinyMoco, (s) => (s.objectives[0].terms[1].loss.query.name = 'q'))),
    path: 'objectives.0.terms.1.loss.query',
    lines: ['unknown value "q"', 'expected one of view1, view2, q1, q2, k1, k2, got "q"'],
  },
  E_CYCLE: {
    issues: () =>
      checked(mutate(tinyMoco, (s) => (s.values[0].value.source = { _tag: 'Ref', name: 'q1' }))),
    path: 'values.2.value.inputs.x.inputs.x',
    lines: [
      'values refer to each other: view1 -> q1 -> view1',
      'hint: a value cannot depend on itself',
    ],
  },
  E_PORT: {
    issues: () => checked(mutate(tinyMoco, (s) => (s.values[2].value.inputs.y = images))),
    path: 'values.2.value.inputs.y',
    lines: ['Mlp has no input port "y"', 'expected ports x, got y'],
  },
  E_KIND: {
    issues: () => [
      issue('E_KIND', ['objectives', 0, 'terms', 0, 'loss', 'query'], 'InfoNCE needs vectors', {
        expected: 'vector[B, D]',
        got: 'tokens[B, 16, 64] from predictor',
        hint: 'pool the tokens: Net.pool({ kind: "mean" })',
      }),
    ],
    path: 'objectives.0.terms.0.loss.query',
    lines: [
      'InfoNCE needs vectors',
      'expected vector[B, D], got tokens[B, 16, 64] from predictor',
      'hint: pool the tokens',
    ],
  },
  E_SHAPE: {
    issues: () => [
      issue('E_SHAPE', ['objective', 'query', 'predictor'], 'predictor input width differs', {
        expected: 'input [batch, 256]',
        got: '[batch, 4096] from projector',
        hint: 'Net.mlp({ in: 4096, ... }) or give the projector out: 256',
      }),
    ],
    path: 'objective.query.predictor',
    lines: [
      'expected input [batch, 256], got [batch, 4096] from projector',
      'hint: Net.mlp({ in: 4096, ... }) or give the projector out: 256',
    ],
  },
  E_DIVISIBILITY: {
    issues: () => [
      issue(
        'E_DIVISIBILITY',
        ['modules', 0, 'net', 'patch'],
        'image size 32 is not divisible by patch 6',
        { expected: 'a patch dividing 32', got: '6' },
      ),
    ],
    path: 'modules.0.net.patch',
    lines: ['image size 32 is not divisible by patch 6', 'expected a patch dividing 32, got 6'],
  },
  E_PARAMS_IN_FN: {
    issues: () =>
      checked(
        mutate(
          tinyIjepa,
          (s) =>
            (s.values[6].value.source.net = {
              _tag: 'Linear',
              in: 64,
              out: 64,
              bias: true,
              init: 'default',
            }),
        ),
      ),
    path: 'values.6.value.source.net',
    lines: [
      'inline Linear has parameters but belongs to no module',
      'hint: declare it as a module and use Apply',
    ],
  },
  E_EMA_OPTIMIZED: {
    issues: () => checked(mutate(tinyIjepa, (s) => s.objectives[0].params.push('target'))),
    path: 'objectives.0.params.2',
    lines: [
      'module "target" is EMA-updated and also optimized by objective "main"',
      'hint: remove "target" from the objective\'s params',
    ],
  },
  E_EMA_MISMATCH: {
    issues: () => checked(mutate(tinyIjepa, (s) => (s.modules[1].net.heads = 8))),
    path: 'modules.1.net.heads',
    lines: [
      'EMA target "target" differs from its source "context"',
      'expected 4 (as in "context"), got 8',
    ],
  },
  E_EMA_CHAIN: {
    issues: () => checked(mutate(tinyIjepa, (s) => (s.modules[1].ema.source = 'target'))),
    path: 'modules.1.ema.source',
    lines: ['module "target" is an EMA of itself', 'hint: name the online module it follows'],
  },
  E_NO_GRADIENT: {
    issues: () =>
      checked(
        mutate(
          tinyIjepa,
          (s) =>
            (s.objectives[0].terms[0].loss.pred = {
              _tag: 'StopGradient',
              source: s.objectives[0].terms[0].loss.pred,
            }),
        ),
      ),
    path: 'objectives.0.params.0',
    lines: [
      'module "context" receives no gradient from objective "main"',
      'got terms jepa do not reach "context"',
    ],
  },
  E_UNUSED_MODULE: {
    issues: () =>
      checked(
        mutate(tinyIjepa, (s) =>
          s.modules.push({
            name: 'head',
            net: { _tag: 'Linear', in: 64, out: 10, bias: true, init: 'normal001' },
            frozen: [],
          }),
        ),
      ),
    path: 'modules.3',
    lines: [
      'module "head" is never applied',
      'hint: apply it in a value, a loss or a representation, or remove it',
    ],
  },
  E_REPRESENTATION: {
    issues: () =>
      checked(
        mutate(
          tinyMoco,
          (s) => (s.representations[0].value.inputs.x = { _tag: 'Ref', name: 'view2' }),
        ),
      ),
    path: 'representations.0.value',
    lines: [
      'representation "backbone" depends on random or stateful values',
      'got View "view2" at values.1.value',
    ],
  },
  E_PHASE: {
    issues: () => checked(mutate(tinyMoco, (s) => (s.objectives[0].phases = ['A']))),
    path: 'objectives.0.phases.0',
    lines: [
      'objective "main" runs in unknown phase "A"',
      'expected no phases (the method declares none), got "A"',
    ],
  },
  E_FOLDS: {
    issues: () =>
      checked(
        mutate(
          tinyMoco,
          (s) => (s.values[0].value.source = { _tag: 'Input', name: 'pairedImages' }),
        ),
      ),
    path: 'values.0.value.source',
    lines: [
      'pairedImages needs pseudo-domain folds to draw from',
      'expected training.folds: { k, rotateEvery }, got no training.folds',
      'hint: add training: { folds: { k: 2, rotateEvery: 1 } } to the method, or read Value.images()',
    ],
  },
  E_TOO_DEEP: {
    issues: () =>
      checked(
        mutate(tinyMoco, (s) => {
          let v: unknown = { _tag: 'Input', name: 'images' };
          for (let i = 0; i < 1000; i++) v = { _tag: 'StopGradient', source: v };
          s.values[0].value = v;
        }),
      ),
    path: 'values.0.value.source.source.source.source.source.source.source.source.source',
    lines: [
      'the spec nests more than 128 levels deep',
      'hint: name intermediate results as values',
    ],
  },
  E_TOO_LARGE: {
    issues: () => checked(mutate(tinyMoco, (s) => (s.modules[0].net.layers[0].depth = 1e9))),
    path: 'modules.0.net.layers.0.depth',
    lines: [
      '1000000000 is too large',
      'expected at most 1024, got 1000000000',
      'hint: networks deeper than 1024 repeats are out of reach',
    ],
  },
};

describe('renderIssues', () => {
  for (const [code, c] of Object.entries(CASES) as ReadonlyArray<[IssueCode, Case]>) {
    it(`renders ${code} from a real or constructed issue`, () => {
      const found = c.issues().find((i) => i.code === code);
      expect(found, `${code} was not reported`).toBeDefined();
      const text = renderIssues([found!], 'tiny');
      const lines = text.split('\n');
      expect(lines[0]).toBe('Invalid spec "tiny":');
      expect(lines[1]).toBe(`└─ ${c.path}  [${code}]`);
      for (const expected of c.lines) {
        expect(
          lines.slice(2).some((l) => l.startsWith('   ') && l.includes(expected)),
          `missing "${expected}" in\n${text}`,
        ).toBe(true);
      }
    });
  }

  it('draws several issues as one tree, matching DESIGN.md', () => {
    const a = issue('E_UNUSED_MODULE', ['modules', 3], 'module "head" is never applied');
    const b = issue(
      'E_SHAPE',
      ['objective', 'query', 'predictor'],
      'predictor input width differs',
      {
        expected: 'input [batch, 256]',
        got: '[batch, 4096] from projector',
        hint: 'Net.mlp({ in: 4096, ... }) or give the projector out: 256',
      },
    );
    expect(renderIssues([a, b], 'moco-v3')).toBe(
      [
        'Invalid spec "moco-v3":',
        '├─ modules.3  [E_UNUSED_MODULE]',
        '│  module "head" is never applied',
        '└─ objective.query.predictor  [E_SHAPE]',
        '   predictor input width differs',
        '   expected input [batch, 256], got [batch, 4096] from projector',
        '   hint: Net.mlp({ in: 4096, ... }) or give the projector out: 256',
      ].join('\n'),
    );
    expect(renderIssue(a, false).startsWith('├─ ')).toBe(true);
  });
});
