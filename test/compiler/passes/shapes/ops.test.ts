/**
 * Rules of every value op and every loss kind, one graph each: accepted inputs give the expected
 * type, incompatible ones the expected issue code.
 */
import { describe, expect, it } from 'vitest';
import {
  BATCH,
  LOSS_TAGS,
  tensor,
  VALUE_TAGS,
  type LossNode,
} from '../../../../compiler/ir/index.js';
import {
  annotateShapes,
  LOSS_RULES,
  VALUE_RULES,
} from '../../../../compiler/passes/shapes/index.js';
import { GraphBuilder, module, V } from './graph.js';
import { mocoMlp, tinyGenerator, tinyPatchGan, vit } from './nets.js';

const T = (v: number) => ({ _tag: 'Constant' as const, value: v });
const tinyVit = vit({
  dim: 32,
  depth: 1,
  heads: 4,
  imageSize: 32,
  patch: 8,
  cls: false,
  output: 'tokens',
});

/** A builder with the modules every case may use, and handy nodes. */
const setup = (batch = 8) => {
  const b = new GraphBuilder(
    [
      module('G', tinyGenerator),
      module('D', tinyPatchGan),
      module('vit', tinyVit),
      module('head', mocoMlp(32, 16, 8, 2, false)),
      module('wide', mocoMlp(32, 16, 12, 2, false)),
    ],
    [],
    batch,
  );
  const x = b.input();
  const y = b.permute(x);
  const fake = b.apply('G', { x, style: y });
  const toks = b.apply('vit', { x });
  const vec = b.fn({ _tag: 'Pool', kind: 'mean' }, toks);
  const style = b.field(b.apply('G', { x: y }, ['styleEncoder']), 'tokens');
  return { b, x, y, fake, toks, vec, style };
};

const lossCase = (
  make: (s: ReturnType<typeof setup>) => readonly [LossNode, Record<string, string>],
  batch = 8,
) => {
  const s = setup(batch);
  const [loss, inputs] = make(s);
  const id = s.b.loss(loss, inputs);
  const r = annotateShapes(s.b.build());
  return { issues: r.issues, node: r.graph.nodes.find((n) => n.id === id)! };
};

describe('value ops', () => {
  it('has a rule per value op (Ref is resolved away)', () => {
    expect(Object.keys(VALUE_RULES).sort()).toEqual(VALUE_TAGS.filter((t) => t !== 'Ref').sort());
  });

  it('Input, View (resize), Permute, Memory, Concat, Apply with a generator part, FieldOf, TokenMask', () => {
    const { b, x, y, style } = setup();
    const small = b.view('small', x, [
      { _tag: 'Resize', size: 16 },
      { _tag: 'HorizontalFlip', p: 0.5 },
    ]);
    const mem = b.memory(y);
    const cat = b.concat(x, mem, x);
    const mask = b.tokenMask(3);
    const r = annotateShapes(b.build());
    const type = (id: string) => r.graph.nodes.find((n) => n.id === id)?.type;
    expect(r.issues).toEqual([]);
    expect(type(small)).toEqual(tensor('image', [BATCH, 16, 16, 3]));
    expect(type(mem)).toEqual(type(x));
    expect(type(cat)).toEqual(tensor('image', ['2*B+B', 32, 32, 3]));
    expect(type(style)).toEqual(tensor('tokens', [BATCH, 3, 16]));
    expect(type(mask)).toEqual(tensor('mask', [BATCH, 3]));
  });

  it('Concat of different shapes is E_SHAPE; two context blocks are E_RANGE; ColorJitter on RGB is fine', () => {
    const { b, x, toks } = setup();
    b.concat(x, b.view('s', x, [{ _tag: 'Resize', size: 16 }]));
    b.masks({
      grid: [4, 4],
      targets: 4,
      targetScale: [0.15, 0.2],
      targetAspect: [0.75, 1.5],
      contexts: 2,
      contextScale: [0.85, 1],
      contextAspect: [1, 1],
      minKeep: 4,
      allowOverlap: false,
    });
    b.view('c', x, [
      { _tag: 'ColorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1, p: 0.8 },
    ]);
    b.gather(toks, b.tokenMask(3));
    expect(annotateShapes(b.build()).issues.map((i) => i.code)).toEqual([
      'E_SHAPE',
      'E_RANGE',
      'E_KIND',
    ]);
  });
});

describe('losses', () => {
  const nce = (
    s: ReturnType<typeof setup>,
    key = 'head',
  ): readonly [LossNode, Record<string, string>] => {
    const q = s.b.apply('head', { x: s.vec });
    const k = s.b.stop(s.b.apply(key, { x: s.vec }));
    return [
      { _tag: 'InfoNCE', query: V, key: V, temperature: T(0.2), scale: 'twoTau' },
      { query: q, key: k },
    ];
  };
  const ok: Record<
    LossNode['_tag'],
    (s: ReturnType<typeof setup>) => readonly [LossNode, Record<string, string>]
  > = {
    InfoNCE: (s) => nce(s),
    InfoNCEQueue: (s) => [
      { _tag: 'InfoNCEQueue', query: V, key: V, temperature: T(0.2), queueSize: 100 },
      nce(s)[1],
    ],
    SmoothL1: (s) => [
      { _tag: 'SmoothL1', pred: V, target: V, beta: 1 },
      { pred: s.toks, target: s.b.stop(s.toks) },
    ],
    L2: (s) => [
      { _tag: 'L2', pred: V, target: V },
      { pred: s.vec, target: s.vec },
    ],
    L1: (s) => [
      { _tag: 'L1', pred: V, target: V },
      { pred: s.fake, target: s.x },
    ],
    LsganGenerator: (s) => [
      { _tag: 'LsganGenerator', fake: V },
      { fake: s.b.apply('D', { x: s.fake }) },
    ],
    LsganDiscriminator: (s) => [
      { _tag: 'LsganDiscriminator', real: V, fake: V },
      { real: s.b.apply('D', { x: s.y }), fake: s.b.apply('D', { x: s.b.stop(s.fake) }) },
    ],
    R1: (s) => [{ _tag: 'R1', module: 'D', real: V, gamma: 10, every: 16 }, { real: s.y }],
    PatchNce: (s) => {
      const enc = (v: string) => s.b.apply('G', { x: v }, ['encoder']);
      return [
        { _tag: 'PatchNce', query: V, key: V, temperature: 0.07, patches: 64 },
        { query: enc(s.fake), key: enc(s.x) },
      ];
    },
    TokenL1: (s) => [
      { _tag: 'TokenL1', pred: V, target: V },
      { pred: s.style, target: s.b.stop(s.style) },
    ],
    FftAmplitudeL1: (s) => [
      { _tag: 'FftAmplitudeL1', pred: V, target: V },
      { pred: s.fake, target: s.y },
    ],
    SlicedWasserstein: (s) => [
      {
        _tag: 'SlicedWasserstein',
        pred: V,
        target: V,
        projections: 16,
        patch: 8,
        maxPatches: 16,
        levels: 3,
      },
      { pred: s.fake, target: s.y },
    ],
    VicregVariance: (s) => [{ _tag: 'VicregVariance', x: V, gamma: 1, eps: 1e-4 }, { x: s.vec }],
    VicregCovariance: (s) => [{ _tag: 'VicregCovariance', x: V }, { x: s.vec }],
    SpadeGate: () => [{ _tag: 'SpadeGate', module: 'G', margin: 0.75 }, {}],
    MaskedTokenL2: (s) => [
      { _tag: 'MaskedTokenL2', pred: V, target: V, mask: V, weights: [2, 1.5, 1] },
      { pred: s.style, target: s.style, mask: s.b.tokenMask(3) },
    ],
  };

  it('has a rule per loss kind', () => {
    expect(Object.keys(LOSS_RULES).sort()).toEqual([...LOSS_TAGS].sort());
  });

  it.each(LOSS_TAGS.map((t) => [t]))('%s accepts compatible inputs and is scalar[]', (tag) => {
    const { issues, node } = lossCase(ok[tag]);
    expect(issues).toEqual([]);
    expect(node.type).toEqual(tensor('scalar', []));
  });

  it('InfoNCE FLOPs are 2 B B D; with a queue 2 B (1 + Q) D; R1 counts the discriminator', () => {
    expect(lossCase(ok.InfoNCE).node.flops).toBe(2 * 8 * 8 * 8);
    expect(lossCase(ok.InfoNCEQueue).node.flops).toBe(2 * 8 * 101 * 8);
    expect(lossCase(ok.R1).node.flops).toBeGreaterThan(0);
    expect(lossCase(ok.VicregCovariance).node.flops).toBe(2 * 8 * 32 * 32);
  });

  const bad: ReadonlyArray<
    readonly [
      string,
      string,
      (s: ReturnType<typeof setup>) => readonly [LossNode, Record<string, string>],
    ]
  > = [
    ['InfoNCE with different dims', 'E_SHAPE', (s) => nce(s, 'wide')],
    ['InfoNCE on tokens', 'E_KIND', (s) => [ok.InfoNCE(s)[0], { query: s.toks, key: s.toks }]],
    [
      'SmoothL1 tokens vs vector',
      'E_KIND',
      (s) => [ok.SmoothL1(s)[0], { pred: s.toks, target: s.vec }],
    ],
    [
      'L1 image sizes differ',
      'E_SHAPE',
      (s) => [
        ok.L1(s)[0],
        { pred: s.x, target: s.b.view('r', s.x, [{ _tag: 'Resize', size: 16 }]) },
      ],
    ],
    ['LSGAN on images, not logits', 'E_SHAPE', (s) => [ok.LsganGenerator(s)[0], { fake: s.fake }]],
    [
      'R1 of an unknown module',
      'E_DANGLING_REF',
      (s) => [{ _tag: 'R1', module: 'nope', real: V, gamma: 10, every: 16 }, { real: s.y }],
    ],
    [
      'SpadeGate on a ViT',
      'E_KIND',
      () => [{ _tag: 'SpadeGate', module: 'vit', margin: 0.75 }, {}],
    ],
    [
      'SlicedWasserstein patch larger than the image',
      'E_RANGE',
      (s) => [
        {
          _tag: 'SlicedWasserstein',
          pred: V,
          target: V,
          projections: 4,
          patch: 64,
          maxPatches: 4,
          levels: 1,
        },
        { pred: s.fake, target: s.y },
      ],
    ],
    [
      'SlicedWasserstein more pyramid bands than the size allows',
      'E_RANGE',
      (s) => [
        {
          _tag: 'SlicedWasserstein',
          pred: V,
          target: V,
          projections: 4,
          patch: 4,
          maxPatches: 4,
          levels: 9,
        },
        { pred: s.fake, target: s.y },
      ],
    ],
    [
      'MaskedTokenL2 weights count',
      'E_SHAPE',
      (s) => [
        {
          ...(ok.MaskedTokenL2(s)[0] as Extract<LossNode, { _tag: 'MaskedTokenL2' }>),
          weights: [1, 1],
        },
        ok.MaskedTokenL2(s)[1],
      ],
    ],
    [
      'MaskedTokenL2 mask count',
      'E_SHAPE',
      (s) => [ok.MaskedTokenL2(s)[0], { pred: s.style, target: s.style, mask: s.b.tokenMask(6) }],
    ],
    ['VicregVariance on an image', 'E_KIND', (s) => [ok.VicregVariance(s)[0], { x: s.x }]],
  ];

  it('a batch of 1: InfoNCE (no negatives) and VICReg on vectors (variance / N - 1) are E_RANGE; with a queue or tokens they pass', () => {
    const at1 = (make: Parameters<typeof lossCase>[0]) => lossCase(make, 1).issues;
    const nce1 = at1(ok.InfoNCE);
    expect(nce1.map((i) => i.code)).toEqual(['E_RANGE']);
    expect(nce1[0]!.message).toMatch(/negatives .* a batch of 1 has none/);
    expect(nce1[0]!.hint).toMatch(/--batch 2 or more/);
    for (const tag of ['VicregVariance', 'VicregCovariance'] as const) {
      const v = at1(ok[tag]);
      expect(v.map((i) => i.code)).toEqual(['E_RANGE']);
      expect(v[0]!.message).toMatch(new RegExp(`${tag} needs at least 2 samples`));
      expect(at1((s) => [ok[tag](s)[0], { x: s.toks }])).toEqual([]);
    }
    expect(at1(ok.InfoNCEQueue)).toEqual([]);
    expect(lossCase(ok.InfoNCE, 2).issues).toEqual([]);
  });

  it.each(bad)('%s is %s', (_name, code, make) => {
    const { issues, node } = lossCase(make);
    expect(issues.map((i) => i.code)).toContain(code);
    expect(node.type).toBeUndefined();
    expect(issues.every((i) => i.path[0] === 'values')).toBe(true);
  });
});
