import * as E from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import { CheckError, checkMethod, checkOrThrow } from '../../compiler/check.js';
import type { Graph } from '../../compiler/ir/graph.js';
import type { Pass } from '../../compiler/passes/pass.js';
import { checkingPasses, pipeline } from '../../compiler/passes/pipeline.js';
import { tinyIjepa, tinyMoco } from '../fixtures/methods.js';
import { mutate } from './mutate.js';

const codes = (r: E.Either<ReadonlyArray<{ code: string }>, unknown>): ReadonlyArray<string> =>
  E.isLeft(r) ? r.left.map((i) => i.code) : [];

describe('checkMethod', () => {
  it('accepts the tiny methods, from values and from JSON text', () => {
    for (const m of [tinyMoco, tinyIjepa]) {
      const r = checkMethod(JSON.parse(JSON.stringify(m)));
      expect(E.isRight(r)).toBe(true);
      expect((r as E.Right<Graph>).right.method).toEqual(m);
    }
  });

  it('lists the passes in order, each with a reason, the checking ones first', () => {
    expect(pipeline.slice(0, checkingPasses.length)).toEqual(checkingPasses);
    expect(checkingPasses[0]?.name).toBe('resolve');
    expect(checkingPasses[checkingPasses.length - 1]?.name).toBe('gradients');
    for (const p of pipeline) expect(p.why.length).toBeGreaterThan(20);
  });

  it('reports all codec issues together and runs no pass on an undecodable spec', () => {
    const bad = mutate(tinyMoco, (s) => {
      s.input.size = -1;
      s.modules[0].name = 7;
      s.objectives[0].params.push('nothing'); // a resolve issue: not reached
    });
    expect(codes(checkMethod(bad))).toEqual(['E_RANGE', 'E_TYPE']);
  });

  it('checks EMA alsoAfter objectives and adaptive term weights (a Constant start inside [min, max])', () => {
    const dangling = mutate(tinyMoco, (s) => (s.modules[2].ema.alsoAfter = ['lossx']));
    const r = checkMethod(dangling);
    expect(codes(r)).toEqual(['E_DANGLING_REF']);
    expect(E.isLeft(r) && r.left[0]!.path).toEqual(['modules', 2, 'ema', 'alsoAfter', 0]);
    const adaptive = { target: 0.06, rate: 0.1, min: 1e-4, max: 2, every: 1 };
    const ok = mutate(tinyMoco, (s) => (s.objectives[0].terms[0].adaptive = adaptive));
    expect(E.isRight(checkMethod(ok))).toBe(true);
    const outside = mutate(tinyMoco, (s) => {
      s.objectives[0].terms[0].adaptive = { ...adaptive, max: 0.5 };
    });
    expect(codes(checkMethod(outside))).toEqual(['E_RANGE']);
    const negative = mutate(tinyMoco, (s) => {
      s.objectives[0].terms[0].adaptive = { ...adaptive, target: -1 };
    });
    expect(codes(checkMethod(negative))).toEqual(['E_RANGE']);
  });

  it('stops after the first pass with issues, with all of that pass', () => {
    const bad = mutate(tinyMoco, (s) => {
      s.objectives[0].params.push('nothing', 'target'); // resolve: dangling; gradients: EMA optimized
      s.modules[2].ema.source = 'onlne';
    });
    expect(codes(checkMethod(bad))).toEqual(['E_DANGLING_REF', 'E_DANGLING_REF']);
    const resolvable = mutate(tinyMoco, (s) => s.objectives[0].params.push('target'));
    expect(codes(checkMethod(resolvable))).toEqual(['E_EMA_OPTIMIZED']);
  });

  it('runs any prefix of the pipeline', () => {
    const resolvable = mutate(tinyMoco, (s) => s.objectives[0].params.push('target'));
    expect(E.isRight(checkMethod(resolvable, { passes: pipeline.slice(0, 1) }))).toBe(true);
  });

  it('dumps the graph after every pass', () => {
    const dumps: string[] = [];
    checkMethod(tinyIjepa, { dump: true, log: (t) => dumps.push(t) });
    expect(dumps.map((d) => d.split('\n')[0])).toEqual(
      checkingPasses.map((p) => `== after ${p.name} ==`),
    );
    expect(dumps[0]).toContain('n6 = Apply predictor(x: n5, context: n3, targets: n4)');
  });

  it('verifies graph invariants after each pass and reports a broken pass as an internal error', () => {
    const broken: Pass = {
      name: 'broken',
      why: 'a test pass that drops the first node of the graph',
      run: (g) => E.right({ ...g, nodes: g.nodes.slice(1) }),
    };
    const r = checkMethod(tinyMoco, { passes: [...checkingPasses, broken] });
    expect(codes(r)[0]).toBe('E_DANGLING_REF');
    expect(E.isLeft(r) && r.left[0]?.message).toMatch(/^internal error after pass "broken"/);
  });

  it('checkOrThrow returns the graph or throws the rendered tree', () => {
    expect(checkOrThrow(tinyMoco).nodes.length).toBeGreaterThan(0);
    const bad = mutate(tinyMoco, (s) => s.objectives[0].params.push('target'));
    expect(() => checkOrThrow(bad)).toThrow(CheckError);
    try {
      checkOrThrow(bad);
    } catch (e) {
      expect((e as CheckError).issues.map((i) => i.code)).toEqual(['E_EMA_OPTIMIZED']);
      expect((e as Error).message).toBe(
        [
          'Invalid spec "moco-v3-tiny":',
          '└─ objectives.0.params.2  [E_EMA_OPTIMIZED]',
          '   module "target" is EMA-updated and also optimized by objective "main"',
          '   hint: remove "target" from the objective\'s params (its weights follow its EMA source)',
        ].join('\n'),
      );
    }
  });
});

describe('checkMethod on the library', () => {
  it('accepts every library method in every preset, annotating shapes and parameters', async () => {
    const { methods, methodNames } = await import('../../library/index.js');
    for (const name of methodNames) {
      for (const preset of ['tiny', 'paper'] as const) {
        const r = checkMethod(methods[name](preset));
        expect(
          E.isRight(r),
          `${name} ${preset}: ${E.isLeft(r) ? JSON.stringify(r.left) : ''}`,
        ).toBe(true);
        const g = (r as E.Right<Graph>).right;
        expect(g.nodes.every((n) => n.type !== undefined)).toBe(true);
        expect(g.modules.every((m) => m.params !== undefined)).toBe(true);
      }
    }
  });

  it('refuses a batch of 1 for in-batch InfoNCE (the loss would be exactly 0), naming each term', () => {
    const at = (batch: number) => ({ ...tinyMoco, training: { ...tinyMoco.training, batch } });
    const r = checkMethod(at(1));
    expect(codes(r)).toEqual(tinyMoco.objectives[0]!.terms.map(() => 'E_RANGE'));
    expect(E.isLeft(r) && r.left[0]!.path.join('.')).toBe('objectives.0.terms.0.loss');
    expect(E.isRight(checkMethod(at(2)))).toBe(true);
    expect(
      E.isRight(checkMethod({ ...tinyIjepa, training: { ...tinyIjepa.training, batch: 1 } })),
    ).toBe(true);
  });
});
