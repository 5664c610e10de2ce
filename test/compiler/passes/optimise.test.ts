/**
 * The optimisation passes (4-8) on the library methods: the IR before and after each pass. Pure:
 * no TF.js. That they leave the loss unchanged is tested in test/compiler/lower/passes.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { checkOrThrow } from '../../../compiler/check.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { printGraph } from '../../../compiler/ir/printer.js';
import { batchViewsOf } from '../../../compiler/passes/batchViews.js';
import { eliminateSharedForward } from '../../../compiler/passes/cse.js';
import { markFusable } from '../../../compiler/passes/fuse.js';
import { legalTarget } from '../../../compiler/passes/legalize.js';
import { planMemory } from '../../../compiler/passes/memory.js';
import { checkingPasses, pipelineFor } from '../../../compiler/passes/pipeline.js';
import { ijepa } from '../../../library/ijepa.js';
import { mocoV3 } from '../../../library/mocoV3.js';

const checked = (m: unknown): Graph => checkOrThrow(m, { passes: checkingPasses });
const count = (g: Graph, pattern: RegExp): number =>
  printGraph(g)
    .split('\n')
    .filter((l) => pattern.test(l)).length;

describe('pass 4: shared-forward elimination', () => {
  test('MoCo v3: each view, image input and encoder call appears once; terms point at merged nodes', () => {
    const before = checked(mocoV3({ preset: 'tiny' }));
    const after = eliminateSharedForward(before);
    expect(count(before, /= View "view1"/)).toBeGreaterThan(1);
    expect(count(after, /= View "view1"/)).toBe(1);
    expect(count(after, /= Input/)).toBe(1);
    expect(count(after, /= Apply momentumBackbone\(x: /)).toBe(2);
    expect(after.nodes.length).toBeLessThan(before.nodes.length);
    const ids = new Set(after.nodes.map((n) => n.id));
    expect(after.terms.every((t) => ids.has(t.node))).toBe(true);
    expect(eliminateSharedForward(after)).toBe(after);
  });

  test('two views with the same pipeline but different names are never merged', () => {
    const g = eliminateSharedForward(checked(mocoV3({ preset: 'tiny' })));
    expect(count(g, /= View "view[12]"/)).toBe(2);
  });
});

describe('pass 5: view batching', () => {
  test('MoCo v3: backbone, projector, predictor and the momentum encoders each run once on both views', () => {
    const before = eliminateSharedForward(checked(mocoV3({ preset: 'tiny' })));
    const after = batchViewsOf(before);
    for (const module of [
      'backbone',
      'projector',
      'predictor',
      'momentumBackbone',
      'momentumProjector',
    ]) {
      expect(count(before, new RegExp(`= Apply ${module}\\(x: n\\d+\\)`))).toBeGreaterThanOrEqual(
        2,
      );
      expect(count(after, new RegExp(`= Apply ${module}\\(x\\.0: n\\d+, x\\.1: n\\d+\\)`))).toBe(1);
    }
    // the evaluation-only representation is not batched with the training views
    expect(count(after, /= Apply backbone\(x: n\d+\)/)).toBe(1);
    expect(after.nodes.filter((n) => n.op === 'Batched')).toHaveLength(5);
  });

  test('I-JEPA: the target-major predictor is not batched; a graph without pairs is returned as is', () => {
    const g = eliminateSharedForward(checked(ijepa({ preset: 'tiny' })));
    expect(batchViewsOf(g)).toBe(g);
  });
});

describe('pass 6: fusion', () => {
  test('MoCo v3: momentum encoders and the representation are fused; the online branch is not', () => {
    const g = markFusable(
      batchViewsOf(eliminateSharedForward(checked(mocoV3({ preset: 'tiny' })))),
    );
    const fused = g.nodes
      .filter((n) => n.fused === true)
      .map((n) => ('module' in n.expr ? n.expr.module : undefined));
    expect(new Set(fused)).toEqual(new Set(['momentumBackbone', 'momentumProjector', 'backbone']));
    const online = g.nodes.filter(
      (n) => n.op === 'Batched' && ['backbone', 'projector', 'predictor'].includes(n.expr.module),
    );
    expect(online).toHaveLength(3);
    expect(online.every((n) => n.fused !== true)).toBe(true);
  });
});

describe('pass 7: legalization', () => {
  test('wasm needs the matmul and gather rules for I-JEPA; cpu needs none', () => {
    const g = eliminateSharedForward(checked(ijepa({ preset: 'tiny' })));
    const wasm = legalTarget(g, 'wasm');
    expect(wasm.rules.map((r) => r.rule).sort()).toEqual([
      'gather-scatter-gradient',
      'matmul-explicit-transposes',
    ]);
    expect(
      wasm.rules.find((r) => r.rule === 'gather-scatter-gradient')!.nodes.length,
    ).toBeGreaterThanOrEqual(2);
    expect(legalTarget(g, 'cpu').rules).toEqual([]);
  });

  test('a ResNet backbone needs the conv rule on wasm', () => {
    const g = checked(mocoV3({ preset: 'tiny', backbone: 'resnet' }));
    expect(legalTarget(g, 'wasm').rules.map((r) => r.rule)).toContain('conv2d-gradients-as-convs');
  });
});

describe('pass 8: memory planning', () => {
  test('the peak is parameters + optimizer state + the largest working set; batch scales activations', () => {
    const small = planMemory(
      checkOrThrow(mocoV3({ preset: 'tiny', batch: 8 }), { passes: pipelineFor('wasm') }),
    );
    const large = planMemory(
      checkOrThrow(mocoV3({ preset: 'tiny', batch: 32 }), { passes: pipelineFor('wasm') }),
    );
    const o = small.objectives[0]!;
    expect(small.peakBytes).toBe(small.parameters + small.optimizerState + o.workingSet);
    expect(o.workingSet).toBe(o.constants + 2 * o.activations + o.gradients);
    // AdamW: two moments per trainable parameter; EMA copies hold parameters but no state
    expect(small.optimizerState).toBe(2 * o.gradients);
    expect(small.parameters).toBeGreaterThan(o.gradients);
    expect(large.objectives[0]!.activations / o.activations).toBeCloseTo(4, 1);
    expect(small.lifetimes.every((l) => l.bytes >= 0)).toBe(true);
  });
});
