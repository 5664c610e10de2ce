/**
 * `Method.make` collects modules and bindings; ablations swap, remove and override by spec path and
 * fail clearly on bad paths.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { describe, expect, test } from 'vitest';
import { Aug, Branch, Loss, Method, Net, Optim, Schedule, Value, View } from '../../dsl/index.js';

const build = () => {
  const enc = Branch.make('encoder', Net.seq(Net.resnetTiny(), Net.linear({ in: 128, out: 64 })));
  const target = Branch.ema('target', enc, { momentum: Schedule.cosine({ from: 0.99, to: 1 }) });
  const head = Branch.make('head', Net.linear({ in: 64, out: 64 }));
  const [v1, v2] = View.pair(Value.images(), {
    options: [
      { blur: 1, solarize: 0 },
      { blur: 0.1, solarize: 0.2 },
    ],
    pipeline: ({ blur, solarize }) => [
      Aug.randomResizedCrop({ size: 32 }),
      Aug.gaussianBlur({ p: blur }),
      Aug.solarize({ p: solarize }),
    ],
  });
  const clean = Value.bind('clean', Value.images());
  return Method.make({
    name: 'toy',
    input: { size: 32 },
    training: { batch: 16, steps: 100 },
    objectives: [
      {
        name: 'main',
        terms: [
          Loss.symmetric({
            name: 'ctr',
            pair: [v1, v2],
            make: (a, b) =>
              Loss.infoNCE({
                query: head.apply(enc.apply(a)),
                key: Branch.stopGradient(target.apply(b)),
              }),
          }),
          Loss.term('var', Loss.vicregVariance({ x: head.apply(enc.apply(v1)) }), { weight: 0.05 }),
        ],
        optimizer: Optim.adamw({ lr: 1e-3 }),
      },
    ],
    representations: { backbone: target.apply(clean) },
  });
};

describe('Method.make', () => {
  test('collects modules (EMA source first), bindings, params and defaults', () => {
    const m = build();
    expect(m.modules.map((d) => d.name)).toEqual(['encoder', 'head', 'target']);
    expect(m.modules.find((d) => d.name === 'target')?.ema).toEqual({
      source: 'encoder',
      momentum: { _tag: 'Cosine', from: 0.99, to: 1, start: 0, end: 1 },
    });
    expect(m.values).toEqual([{ name: 'clean', value: { _tag: 'Input', name: 'images' } }]);
    expect(m.objectives[0]?.params).toEqual(['encoder', 'head']);
    expect(m.objectives[0]?.terms.map((t) => [t.name, t.weight])).toEqual([
      ['ctr_12', { _tag: 'Constant', value: 1 }],
      ['ctr_21', { _tag: 'Constant', value: 1 }],
      ['var', { _tag: 'Constant', value: 0.05 }],
    ]);
    expect(m.input).toEqual({ size: 32, channels: 3 });
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  test('views of a pair differ only where their options differ; p = 0 steps are dropped', () => {
    const m = build();
    const loss = m.objectives[0]?.terms[0]?.loss;
    const views =
      loss?._tag === 'InfoNCE' && loss.query._tag === 'Apply' ? loss.query.inputs.x : undefined;
    const inner = views?._tag === 'Apply' ? views.inputs.x : undefined;
    expect(inner?._tag === 'View' && inner.name).toBe('view1');
    expect(inner?._tag === 'View' && inner.pipeline.map((s) => s._tag)).toEqual([
      'RandomResizedCrop',
      'GaussianBlur',
    ]);
  });

  test('two different modules with one name are refused', () => {
    const a = Branch.make('enc', Net.linear({ in: 3, out: 4 }));
    const b = Branch.make('enc', Net.linear({ in: 3, out: 8 }));
    const x = Value.fn(Net.pool(), Value.images());
    expect(() =>
      Method.make({
        name: 'clash',
        input: { size: 8 },
        training: { batch: 2, steps: 1 },
        objectives: [
          {
            name: 'o',
            terms: [
              Loss.term('l', Loss.l2({ pred: a.apply(x), target: a.apply(x) })),
              Loss.term('m', Loss.l2({ pred: b.apply(x), target: b.apply(x) })),
            ],
            optimizer: Optim.sgd({ lr: 1 }),
          },
        ],
        representations: {},
      }),
    ).toThrow(/two different modules are named "enc"/);
  });
});

describe('ablations', () => {
  test('swapLoss replaces one term, keeps its name and weight, adds and prunes modules', () => {
    const m = build();
    const other = Branch.make('other', Net.linear({ in: 3, out: 8 }));
    const swapped = Method.swapLoss(
      m,
      'var',
      Loss.vicregCovariance({ x: other.apply(Value.fn(Net.pool(), Value.images())) }),
    );
    const t = swapped.objectives[0]?.terms[2];
    expect(t?.name).toBe('var');
    expect(t?.weight).toEqual({ _tag: 'Constant', value: 0.05 });
    expect(t?.loss._tag).toBe('VicregCovariance');
    expect(swapped.modules.map((d) => d.name)).toEqual(['encoder', 'head', 'target', 'other']);
    expect(m.objectives[0]?.terms[2]?.loss._tag).toBe('VicregVariance'); // the original is untouched
  });

  test('removeLoss drops the term, an emptied objective, and unused modules', () => {
    const m = build();
    const noVar = pipe(m, Method.removeLoss('var'));
    expect(noVar.objectives[0]?.terms.map((t) => t.name)).toEqual(['ctr_12', 'ctr_21']);
    const none = pipe(
      noVar,
      Method.removeLoss('ctr_12'),
      Method.removeLoss({ objective: 'main', term: 'ctr_21' }),
    );
    expect(none.objectives).toEqual([]);
    expect(none.modules.map((d) => d.name)).toEqual(['encoder', 'target']); // the representation still uses target (and its source)
  });

  test('unknown terms fail with the list of terms', () => {
    expect(() => Method.removeLoss(build(), 'nope')).toThrow(
      /no loss term named "nope"[\s\S]*main\/ctr_12, main\/ctr_21, main\/var/,
    );
  });

  test('override sets a field by index or name path; numbers become constant schedules', () => {
    const m = build();
    const a = Method.override(m, 'objectives.0.terms.0.loss.temperature', 0.5);
    const l = a.objectives[0]?.terms[0]?.loss;
    expect(l?._tag === 'InfoNCE' && l.temperature).toEqual({ _tag: 'Constant', value: 0.5 });
    const b = pipe(
      m,
      Method.override('objectives.main.terms.var.weight', 0.1),
      Method.override('training.batch', 64),
    );
    expect(b.objectives[0]?.terms[2]?.weight).toEqual({ _tag: 'Constant', value: 0.1 });
    expect(b.training.batch).toBe(64);
    expect(m.training.batch).toBe(16);
  });

  test('override fails clearly on a bad path or a wrong type', () => {
    const m = build();
    const bad = Method.tryOverride(m, 'objectives.0.terms.0.loss.temprature', 0.5);
    expect(E.isLeft(bad) && bad.left).toMatchObject({
      code: 'E_MISSING_FIELD',
      path: ['objectives', 0, 'terms', 0, 'loss'],
      hint: 'fields here: _tag, query, key, temperature, scale',
    });
    expect(() => Method.override(m, 'objectives.loss.0', 1)).toThrow(
      /no element "loss" in this list[\s\S]*hint: use an index 0..0 or a name: main/,
    );
    const wrong = Method.tryOverride(m, 'training.batch', 'big');
    expect(E.isLeft(wrong) && wrong.left).toMatchObject({
      code: 'E_TYPE',
      expected: 'number',
      got: 'string',
    });
  });
});
