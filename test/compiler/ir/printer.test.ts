import * as E from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../compiler/ir/graph.js';
import {
  printGraph,
  printMethod,
  printNode,
  showCount,
  showFlops,
  showSchedule,
} from '../../../compiler/ir/printer.js';
import { tensor } from '../../../compiler/ir/types.js';
import { verifyGraph } from '../../../compiler/ir/verifier.js';
import { resolveMethod } from '../../../compiler/passes/resolve.js';
import { tinyIjepa, tinyMoco } from '../../fixtures/methods.js';

const graphOf = (m: typeof tinyMoco): Graph => (resolveMethod(m) as E.Right<Graph>).right;

describe('printer', () => {
  it('prints one node per line with ports, and the type when known', () => {
    const g = graphOf(tinyMoco);
    const n4 = g.nodes[4]!;
    expect(printNode(n4)).toBe('n4 = Apply online(x: n1)');
    expect(printNode({ ...n4, type: tensor('vector', ['B', 32]), flops: 2.5e6 })).toBe(
      'n4 = Apply online(x: n1)  : vector[B, 32]  (2.50 MFLOP)',
    );
    const text = printGraph(g);
    expect(text.split('\n')).toContain(
      '  n1 = View "view1"(source: n0) [RandomResizedCrop, HorizontalFlip]',
    );
    expect(text).toContain('  n9 = StopGradient(source: n8)');
    expect(text).toContain('  main/q1k2 = n12 x 1');
    expect(text).toContain('  backbone = n15');
    expect(text).toContain('EMA of online (momentum cosine 0.99 -> 1)');
  });

  it('prints I-JEPA masks, fields, inline functions and gathers', () => {
    const text = printGraph(graphOf(tinyIjepa));
    expect(text).toContain('n2 = Masks "masks" (2 targets on 4x4)');
    expect(text).toContain('n3 = FieldOf .context(source: n2)');
    expect(text).toContain('n8 = Fn Norm(layer, 64, no affine)(x: n7)');
    expect(text).toContain('n10 = Gather(source: n9, index: n4)');
    expect(text).toContain('n11 = Loss SmoothL1(pred: n6, target: n10)');
  });

  it('summarises a method', () => {
    const text = printMethod(tinyIjepa);
    expect(text.split('\n')[0]).toBe('method "i-jepa-tiny": input 32x32x3, batch 8, 10 steps');
    expect(text).toContain(
      '  main: AdamW(lr warmup 10% 2.00e-4 -> 0.001, cosine -> 1.00e-6, wd cosine 0.04 -> 0.4) on context, predictor',
    );
    expect(text).toContain('    jepa: SmoothL1 x 1');
    expect(text).toContain('representations: target');
  });

  it('formats schedules, counts and FLOPs', () => {
    expect(showSchedule({ _tag: 'Linear', from: 0.996, to: 1, start: 0, end: 0.5 })).toBe(
      'linear 0.996 -> 1 over [0, 0.5]',
    );
    expect(showCount(21_665_664)).toBe('21.67M');
    expect(showCount(999)).toBe('999');
    expect(showFlops(4.6e9)).toBe('4.60 GFLOP');
  });
});

describe('verifyGraph', () => {
  it('accepts resolved graphs and reports broken invariants', () => {
    const g = graphOf(tinyMoco);
    expect(verifyGraph(g)).toEqual([]);
    const swapped = { ...g, nodes: [g.nodes[1]!, g.nodes[0]!, ...g.nodes.slice(2)] };
    expect(verifyGraph(swapped).map((i) => i.code)).toEqual(['E_CYCLE']);
    const dup = { ...g, nodes: [...g.nodes, g.nodes[0]!] };
    expect(verifyGraph(dup).map((i) => i.code)).toEqual(['E_DUPLICATE_NAME']);
    const lost = {
      ...g,
      terms: [{ ...g.terms[0]!, node: 'n999' }],
      representations: [{ name: 'x', node: g.nodes[0]!.id }],
    };
    expect(verifyGraph(lost).map((i) => i.code)).toEqual(['E_DANGLING_REF']);
    const wrong = { ...g, terms: [{ ...g.terms[0]!, node: 'n0' }] };
    expect(verifyGraph(wrong).map((i) => i.code)).toEqual(['E_KIND']);
  });
});
