import * as E from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import { decodeMethod } from '../../../compiler/ir/codec.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import type { Issue } from '../../../compiler/ir/issue.js';
import { hasParams } from '../../../compiler/ir/ports.js';
import { gradientIssues, gradientModules, gradients } from '../../../compiler/passes/gradients.js';
import { resolveMethod } from '../../../compiler/passes/resolve.js';
import { tinyIjepa, tinyMoco } from '../../fixtures/methods.js';
import { type Loose, mutate } from '../mutate.js';

const graphOf = (spec: Loose): Graph => {
  const decoded = decodeMethod(spec);
  if (E.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left));
  const r = resolveMethod(decoded.right);
  if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
  return r.right;
};
const brief = (issues: ReadonlyArray<Issue>): ReadonlyArray<string> =>
  issues.map((i) => `${i.code} ${i.path.join('.')}`);

describe('gradients pass', () => {
  it('accepts the tiny MoCo v3 and I-JEPA and returns the same graph object', () => {
    for (const m of [tinyMoco, tinyIjepa]) {
      const g = graphOf(m);
      expect(gradients.run(g)).toEqual(E.right(g));
      expect((gradients.run(g) as E.Right<Graph>).right).toBe(g);
    }
  });

  it('finds the modules gradient reaches: not through StopGradient or EMA modules', () => {
    const g = graphOf(tinyMoco);
    expect(
      [
        ...gradientModules(
          g,
          g.terms.map((t) => t.node),
        ),
      ].sort(),
    ).toEqual(['online', 'predictor']);
    const noSg = graphOf(mutate(tinyMoco, (s) => (s.values[4].value = s.values[4].value.source)));
    // without the StopGradient the key still comes from the EMA target: no gradient there either
    expect(
      [
        ...gradientModules(
          noSg,
          noSg.terms.map((t) => t.node),
        ),
      ].sort(),
    ).toEqual(['online', 'predictor']);
  });

  it('reports a module both EMA-updated and optimized', () => {
    const issues = gradientIssues(
      graphOf(mutate(tinyMoco, (s) => s.objectives[0].params.push('target'))),
    );
    expect(brief(issues)).toEqual(['E_EMA_OPTIMIZED objectives.0.params.2']);
  });

  it('reports EMA chains and self-EMA', () => {
    const issues = gradientIssues(
      graphOf(
        mutate(tinyMoco, (s) => {
          s.modules.push({
            ...s.modules[2],
            name: 'target2',
            ema: { ...s.modules[2].ema, source: 'target' },
          });
          s.representations.push({
            name: 'r2',
            value: {
              _tag: 'Apply',
              module: 'target2',
              path: [],
              inputs: { x: { _tag: 'Input', name: 'images' } },
            },
          });
          s.modules.push({
            name: 'selfie',
            net: { _tag: 'L2Normalize' },
            frozen: [],
            ema: { source: 'selfie', momentum: { _tag: 'Constant', value: 0.9 } },
          });
          s.representations.push({
            name: 'r3',
            value: {
              _tag: 'Apply',
              module: 'selfie',
              path: [],
              inputs: { x: { _tag: 'Input', name: 'images' } },
            },
          });
        }),
      ),
    );
    expect(brief(issues)).toEqual([
      'E_EMA_CHAIN modules.3.ema.source',
      'E_EMA_CHAIN modules.4.ema.source',
    ]);
    expect(issues[0]?.hint).toBe('use "online" as the source');
    expect(issues[1]?.message).toBe('module "selfie" is an EMA of itself');
  });

  it('reports an EMA target that differs from its source, at the first differing field', () => {
    const issues = gradientIssues(
      graphOf(mutate(tinyMoco, (s) => (s.modules[2].net.layers[0].depth = 3))),
    );
    expect(brief(issues)).toEqual(['E_EMA_MISMATCH modules.2.net.layers.0.depth']);
    expect(issues[0]).toMatchObject({ expected: '2 (as in "online")', got: '3' });
  });

  it('reports an optimized module that no loss term reaches', () => {
    const issues = gradientIssues(
      graphOf(
        mutate(tinyMoco, (s) => {
          s.values[2].value = { _tag: 'StopGradient', source: s.values[2].value };
          s.values[3].value = { _tag: 'StopGradient', source: s.values[3].value };
        }),
      ),
    );
    expect(brief(issues)).toEqual([
      'E_NO_GRADIENT objectives.0.params.0',
      'E_NO_GRADIENT objectives.0.params.1',
    ]);
  });

  it('reports an objective with no params (the lowering would fail inside TF.js)', () => {
    const issues = gradientIssues(graphOf(mutate(tinyMoco, (s) => (s.objectives[0].params = []))));
    expect(brief(issues)).toEqual(['E_NO_GRADIENT objectives.0.params']);
    expect(issues[0]?.message).toMatch(/trains no module \(its params list is empty\)/);
    expect(issues[0]?.hint).toMatch(/^list them, e\.g\. params: \["/);
  });

  it('reports representations computed from views, masks or other random values', () => {
    const issues = gradientIssues(
      graphOf(
        mutate(tinyIjepa, (s) => {
          s.representations.push({ name: 'ctx', value: { _tag: 'Ref', name: 'ctx' } });
        }),
      ),
    );
    expect(brief(issues)).toEqual(['E_REPRESENTATION representations.1.value']);
    expect(issues[0]?.got).toContain('View "view" at values.0.value');
    expect(issues[0]?.got).toContain('Masks "masks" at values.1.value');
  });

  it('reports an inline Fn whose net has parameters', () => {
    const issues = gradientIssues(
      graphOf(mutate(tinyIjepa, (s) => (s.values[6].value.source.net.affine = true))),
    );
    expect(brief(issues)).toEqual(['E_PARAMS_IN_FN values.6.value.source.net']);
  });

  it('hasParams: parameter-free nets may be inline, batch norm keeps statistics', () => {
    expect(hasParams({ _tag: 'Pool', kind: 'mean' })).toBe(false);
    expect(hasParams({ _tag: 'Norm', kind: 'layer', features: 4, affine: false, eps: 1e-6 })).toBe(
      false,
    );
    expect(hasParams({ _tag: 'Norm', kind: 'batch', features: 4, affine: false, eps: 1e-6 })).toBe(
      true,
    );
    expect(
      hasParams({ _tag: 'Sequential', layers: [{ _tag: 'L2Normalize' }, { _tag: 'Flatten' }] }),
    ).toBe(false);
    expect(
      hasParams({
        _tag: 'Sequential',
        layers: [
          { _tag: 'L2Normalize' },
          { _tag: 'Linear', in: 1, out: 1, bias: false, init: 'default' },
        ],
      }),
    ).toBe(true);
  });
});
