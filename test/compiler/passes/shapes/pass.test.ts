/**
 * The `inferShapes` pass on small hand-built graphs: node types and FLOPs, module parameters,
 * issues collected across the graph without cascades, and `stepFlops`.
 */
import { describe, expect, it } from 'vitest';
import { BATCH, tensor, type Graph, type NetNode } from '../../../../compiler/ir/index.js';
import type { Issue } from '../../../../compiler/ir/issue.js';
import {
  annotateShapes,
  countParams,
  inferNet,
  inferShapes,
  maskEstimates,
  netParams,
  stepFlops,
} from '../../../../compiler/passes/shapes/index.js';
import { GraphBuilder, module, objective, V } from './graph.js';
import { mocoMlp, vit } from './nets.js';

const tinyVit = (output: 'cls' | 'tokens' = 'cls') =>
  vit({ dim: 32, depth: 2, heads: 4, imageSize: 32, patch: 8, cls: output === 'cls', output });
const crop = {
  _tag: 'RandomResizedCrop' as const,
  size: 32,
  scale: [0.2, 1] as const,
  ratio: [0.75, 4 / 3] as const,
};
const T = (v: number) => ({ _tag: 'Constant' as const, value: v });

const right = (g: Graph): Graph => {
  const r = inferShapes.run(g);
  if (r._tag === 'Left') throw new Error(JSON.stringify(r.left, null, 2));
  return r.right;
};
const left = (g: Graph): ReadonlyArray<Issue> => {
  const r = inferShapes.run(g);
  if (r._tag === 'Right') throw new Error('expected issues');
  return r.left;
};
const node = (g: Graph, id: string) => g.nodes.find((n) => n.id === id)!;

/** A tiny MoCo v3: online (ViT + projector), predictor, EMA target, symmetric InfoNCE. */
const moco = () => {
  const online: NetNode = { _tag: 'Sequential', layers: [tinyVit(), mocoMlp(32, 64, 16, 3, true)] };
  const b = new GraphBuilder(
    [
      module('online', online),
      module('predictor', mocoMlp(16, 64, 16, 2, true)),
      module('target', online, 'online'),
    ],
    [objective(['online', 'predictor'])],
  );
  const x = b.input();
  const v1 = b.view('v1', x, [crop]);
  const v2 = b.view('v2', x, [crop]);
  const o1 = b.apply('online', { x: v1 });
  const o2 = b.apply('online', { x: v2 });
  const q1 = b.apply('predictor', { x: o1 });
  const q2 = b.apply('predictor', { x: o2 });
  const t1 = b.apply('target', { x: v1 });
  const t2 = b.apply('target', { x: v2 });
  const k1 = b.stop(t1);
  const k2 = b.stop(t2);
  const nce = (query: string, key: string) =>
    b.loss(
      { _tag: 'InfoNCE', query: V, key: V, temperature: T(0.2), scale: 'twoTau' },
      { query, key },
    );
  const l1 = nce(q1, k2);
  const l2 = nce(q2, k1);
  const rep = b.apply('target', { x }); // an evaluation-only representation
  return { graph: b.build(), online, ids: { o1, o2, q1, q2, t1, t2, l1, l2, rep } };
};

describe('inferShapes on a tiny MoCo v3', () => {
  const { graph, online, ids } = moco();
  const g = right(graph);

  it('types every node; losses are scalar[]', () => {
    expect(g.nodes.every((n) => n.type !== undefined && n.flops !== undefined)).toBe(true);
    expect(node(g, ids.q1).type).toEqual(tensor('vector', [BATCH, 16]));
    expect(node(g, ids.l1).type).toEqual(tensor('scalar', []));
    expect(node(g, 'n1').type).toEqual(tensor('image', [BATCH, 32, 32, 3]));
  });

  it('counts FLOPs per node at the spec batch (8): Apply = the net, InfoNCE = 2 B B D', () => {
    const net = inferNet(online, { x: tensor('image', [BATCH, 32, 32, 3]) }, [], 8);
    expect(net._tag === 'Right' && node(g, ids.o1).flops).toBe(
      net._tag === 'Right' ? net.right.flops : -1,
    );
    expect(node(g, ids.l1).flops).toBe(2 * 8 * 8 * 16);
  });

  it('annotates every module with its parameters', () => {
    const [on, , tg] = g.modules;
    expect(on?.params).toEqual(netParams(online));
    expect(tg?.params).toEqual(on?.params);
    expect(countParams(on?.params ?? []).trainable).toBeGreaterThan(0);
  });

  it('stepFlops: backward ~ 2x forward only where gradient flows (not the EMA target); representations not counted', () => {
    const f = (id: string) => node(g, id).flops!;
    const s = stepFlops(g);
    expect(f(ids.rep)).toBeGreaterThan(0);
    expect(s.forward).toBe(g.nodes.reduce((a, n) => a + n.flops!, 0) - f(ids.rep));
    const diff = f(ids.o1) + f(ids.o2) + f(ids.q1) + f(ids.q2) + f(ids.l1) + f(ids.l2);
    expect(s.differentiated).toBe(diff);
    expect(s.training).toBe(s.forward + 2 * diff);
    expect(s.forward - diff).toBe(f(ids.t1) + f(ids.t2));
  });

  it('returns the same graph shape (node ids and order unchanged)', () => {
    expect(g.nodes.map((n) => n.id)).toEqual(graph.nodes.map((n) => n.id));
  });
});

describe('issues across a graph', () => {
  it('E_SHAPE at the predictor with expected/got and a hint naming both fixes', () => {
    const b = new GraphBuilder([
      module('backbone', tinyVit()),
      module('projector', mocoMlp(32, 64, 4096, 2, true)),
      module('predictor', mocoMlp(256, 64, 256, 2, true)),
    ]);
    const z = b.apply('projector', { x: b.apply('backbone', { x: b.input() }) });
    const q = b.apply('predictor', { x: z });
    const issues = left(b.build());
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code: 'E_SHAPE',
      path: ['values', q],
      expected: 'vector[B, 256]',
      got: 'vector[B, 4096] from projector',
      hint: 'Net.mlp({ in: 4096, ... }) or give the projector out: 256',
    });
  });

  it('collects every independent issue and marks dependents unknown instead of cascading', () => {
    const b = new GraphBuilder([
      module('backbone', tinyVit()),
      module('predictor', mocoMlp(8, 16, 8, 2, true)),
    ]);
    const x = b.input();
    const bad = b.view('v', x, [{ _tag: 'Normalize', mean: [0.5, 0.5], std: [0.2, 0.2] }]);
    const f = b.apply('backbone', { x: bad }); // depends on the bad view
    const q = b.apply('predictor', { x: b.apply('backbone', { x }) }); // independent mistake
    const l = b.loss({ _tag: 'L2', pred: V, target: V }, { pred: q, target: f });
    const r = annotateShapes(b.build());
    expect(r.issues.map((i) => i.code)).toEqual(['E_SHAPE', 'E_SHAPE']);
    expect(r.issues[0]?.path).toEqual(['values', bad, 'pipeline', 0]);
    expect(r.issues[1]?.path).toEqual(['values', q]);
    expect(node(r.graph, f).type).toBeUndefined();
    expect(node(r.graph, l).type).toBeUndefined();
    expect(node(r.graph, x).type).toBeDefined();
  });

  it('E_DANGLING_REF for an unknown module part; E_KIND for InfoNCE on tokens', () => {
    const b = new GraphBuilder([module('enc', tinyVit('tokens'))]);
    const x = b.input();
    b.apply('enc', { x }, ['encoder']);
    const t = b.apply('enc', { x });
    b.loss(
      { _tag: 'InfoNCE', query: V, key: V, temperature: T(0.2), scale: 'none' },
      { query: t, key: t },
    );
    const issues = left(b.build());
    expect(issues[0]).toMatchObject({ code: 'E_DANGLING_REF' });
    expect(issues.slice(1).map((i) => i.code)).toEqual(['E_KIND', 'E_KIND']);
    expect(issues[1]?.path).toEqual(['values', 'n3', 'query']);
  });
});

describe('a tiny I-JEPA: masks, keep, predictor, gather, smooth-L1', () => {
  const spec = {
    grid: [4, 4] as const,
    targets: 2,
    targetScale: [0.15, 0.2] as const,
    targetAspect: [0.75, 1.5] as const,
    contexts: 1,
    contextScale: [0.85, 1] as const,
    contextAspect: [1, 1] as const,
    minKeep: 2,
    allowOverlap: false,
  };
  const build = (predIn = 32) => {
    const b = new GraphBuilder(
      [
        module('context', tinyVit('tokens')),
        module('target', tinyVit('tokens'), 'context'),
        module('predictor', {
          _tag: 'TransformerPredictor',
          inDim: predIn,
          dim: 16,
          depth: 1,
          heads: 4,
          mlpRatio: 2,
          grid: [4, 4],
        }),
      ],
      [objective(['context', 'predictor'])],
    );
    const x = b.input();
    const v = b.view('v', x, [crop]);
    const m = b.masks(spec);
    const ctxIdx = b.field(m, 'context');
    const tgtIdx = b.field(m, 'targets');
    const ctx = b.apply('context', { x: v, keep: ctxIdx });
    const pred = b.apply('predictor', { x: ctx, context: ctxIdx, targets: tgtIdx });
    const h = b.stop(
      b.fn(
        { _tag: 'Norm', kind: 'layer', features: 32, affine: false, eps: 1e-6 },
        b.apply('target', { x: v }),
      ),
    );
    const tgt = b.gather(h, tgtIdx);
    const loss = b.loss({ _tag: 'SmoothL1', pred: V, target: V, beta: 1 }, { pred, target: tgt });
    return { graph: b.build(), ids: { m, ctx, pred, tgt, loss } };
  };

  it('types masks, kept tokens and [T*B, Ktgt, D] predictions and targets', () => {
    const { graph, ids } = build();
    const g = right(graph);
    expect(node(g, ids.m).type).toEqual({
      _tag: 'Struct',
      fields: {
        context: tensor('index', [BATCH, 'Kctx']),
        targets: tensor('index', [2, BATCH, 'Ktgt']),
      },
    });
    expect(node(g, ids.ctx).type).toEqual(tensor('tokens', [BATCH, 'Kctx', 32]));
    expect(node(g, ids.pred).type).toEqual(tensor('tokens', ['2*B', 'Ktgt', 32]));
    expect(node(g, ids.tgt).type).toEqual(node(g, ids.pred).type);
  });

  it('counts FLOPs with the mask-count estimates (Kctx = 10, Ktgt = 2 on a 4x4 grid)', () => {
    expect(maskEstimates(spec)).toEqual({ Kctx: 10, Ktgt: 2 });
    const { graph, ids } = build();
    const g = right(graph);
    const kept = inferNet(
      tinyVit('tokens'),
      { x: tensor('image', [BATCH, 32, 32, 3]), keep: tensor('index', [BATCH, 'Kctx']) },
      [],
      8,
      { dims: { Kctx: 10 } },
    );
    expect(kept._tag === 'Right' && node(g, ids.ctx).flops === kept.right.flops).toBe(true);
    const full = inferNet(tinyVit('tokens'), { x: tensor('image', [BATCH, 32, 32, 3]) }, [], 8);
    expect(full._tag === 'Right' && node(g, ids.ctx).flops! < full.right.flops).toBe(true);
  });

  it('a predictor expecting another width is E_SHAPE at the predictor', () => {
    const { graph, ids } = build(64);
    const issues = left(graph);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code: 'E_SHAPE',
      path: ['values', ids.pred],
      got: 'tokens[B, Kctx, 32] from context',
    });
  });
});
