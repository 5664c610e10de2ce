/**
 * ST-STORM presets: the README-command numbers of methods.md 3.5 / 3.6 / section 4, the structure
 * (objectives, phases, cadence, optimized modules, EMA pairs), the checking passes in both presets
 * and every option, parameter counts against the reference architecture, and the JSON round trip.
 * No TF.js here (see stStorm.tf.test.ts).
 */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, test } from 'vitest';
import { checkMethod } from '../../compiler/check.js';
import { decodeMethod, encodeMethod } from '../../compiler/ir/codec.js';
import type { LossNode } from '../../compiler/ir/loss.js';
import type { Method, ModuleDecl, Objective, ValueExpr } from '../../compiler/ir/node.js';
import { evaluateSchedule } from '../../compiler/ir/schedule.js';
import { gradientModules } from '../../compiler/passes/gradients.js';
import { isMethodName, methodNames, methods } from '../../library/index.js';
import { stStorm, type StStormOptions } from '../../library/stStorm.js';
import { checked, tokOnly, trainable } from './graph.js';

const mod = (m: Method, name: string): ModuleDecl => {
  const d = m.modules.find((x) => x.name === name);
  if (d === undefined) throw new Error(`no module ${name}`);
  return d;
};
const objective = (m: Method, name: string): Objective => {
  const o = m.objectives.find((x) => x.name === name);
  if (o === undefined) throw new Error(`no objective ${name}`);
  return o;
};
const loss = (m: Method, o: string, term: string): LossNode => {
  const t = objective(m, o).terms.find((x) => x.name === term);
  if (t === undefined) throw new Error(`no term ${o}.${term}`);
  return t.loss;
};
const weights = (o: Objective): Record<string, number> =>
  Object.fromEntries(
    o.terms.map((t) => [t.name, t.weight._tag === 'Constant' ? t.weight.value : NaN]),
  );

/** Every value expression under `e` (depth first), to find views, masks, memories. */
const walk = (e: unknown): ReadonlyArray<ValueExpr> => {
  if (typeof e !== 'object' || e === null) return [];
  const self = '_tag' in e ? [e as ValueExpr] : [];
  return [...self, ...Object.values(e).flatMap(walk)];
};
/** `Apply module[path]` at the top of `e`, through StopGradient and FieldOf. */
const applied = (e: ValueExpr): string =>
  e._tag === 'StopGradient'
    ? `sg(${applied(e.source)})`
    : e._tag === 'FieldOf'
      ? `${applied(e.source)}.${e.name}`
      : e._tag === 'Apply'
        ? [e.module, ...e.path].join('.')
        : e._tag;

/** One epoch = one of the 2 pseudo-domain folds: N / (2 batch) steps. */
const EPOCH = Math.floor(1_281_167 / 16);

describe('stStorm paper preset: the numbers of the reference code', () => {
  const m = stStorm({ preset: 'paper' });

  test("generators: 256x256, ngf 64, 5 levels, 6 tokens of 256, SPADE maps 64; G_B is G_A's twin", () => {
    expect(m.input).toEqual({ size: 256, channels: 3 });
    expect(mod(m, 'G_A').net).toMatchObject({
      _tag: 'Generator',
      encoder: { ngf: 64, levels: 5, maxChannels: 512 },
      styleEncoder: { ngf: 64, levels: 5, tokenDim: 256, mapChannels: 64 },
      decoder: { outChannels: 3, tokenDim: 256, mapChannels: 64 },
    });
    expect(mod(m, 'G_B').net).toEqual(mod(m, 'G_A').net);
  });

  test('PatchGAN D_A: ndf 64, conv4 s2 x 4 -> 1, spectral norm', () => {
    expect(mod(m, 'D_A').net).toEqual({
      _tag: 'PatchGan',
      inChannels: 3,
      ndf: 64,
      layers: 4,
      spectralNorm: true,
    });
  });

  test('EMA pairs at 0.999: teachers T_A <- G_A, T_B <- G_B, semantic key encoders', () => {
    const pairs = m.modules
      .filter((d) => d.ema !== undefined)
      .map((d) => [d.name, d.ema?.source, d.ema?.momentum]);
    const c = { _tag: 'Constant', value: 0.999 };
    expect(pairs).toEqual(
      expect.arrayContaining([
        ['T_A', 'G_A', c],
        ['T_B', 'G_B', c],
        ['semBackboneKey', 'semBackbone', c],
        ['semProjectorKey', 'semProjector', c],
      ]),
    );
    expect(pairs).toHaveLength(4);
    // the reference's phase A moves both teachers after G_A's step
    expect(mod(m, 'T_B').ema?.alsoAfter).toEqual(['generatorA']);
    expect(mod(m, 'T_A').ema?.alsoAfter).toBeUndefined();
  });

  test('batch 8, 41 epochs of one fold of 2; the fold pair rotates every 4 rounds; cycle of 2 epochs phase A + 2 epochs phase B (epoch: dataset counts N / batch)', () => {
    expect(m.training).toEqual({ batch: 8, steps: 41 * EPOCH, folds: { k: 2, rotateEvery: 16 } });
    expect(m.phases).toEqual([
      { name: 'A', steps: 2 * EPOCH },
      { name: 'B', steps: 2 * EPOCH },
    ]);
    expect(stStorm({ preset: 'paper', epoch: 'dataset' }).training).toEqual({
      batch: 8,
      steps: 41 * Math.floor(1_281_167 / 8),
      folds: { k: 2, rotateEvery: 32 }, // a dataset epoch is two fold epochs
    });
  });

  test('phase A generator weights: adv 1, PatchNCE 0.2 over 3 layers, tokens 5 -> 50 (Q3 intended), L1 0.05, gate 0.05, FFT 0.1, SWD 0.05, Style-JEPA 2 (Q1 intended)', () => {
    const gA = objective(m, 'generatorA');
    expect(weights(gA)).toEqual({
      adv: 1,
      nce_bottleneck: 0.2 / 3,
      nce_skip2: 0.2 / 3,
      nce_skip3: 0.2 / 3,
      tok: NaN,
      l1: 0.05,
      gate: 0.05,
      fft: 0.1,
      swd: 0.05,
      jepa: 2,
      jepa_var: 2 * 0.05,
      jepa_cov: (2 * 0.05) / 255,
    });
    expect(gA.terms.find((t) => t.name === 'tok')?.weight).toEqual({
      _tag: 'Linear',
      from: 5,
      to: 50,
      start: 0,
      end: 20 / 41,
    });
  });

  test("quirks: 'code' follows the code instead: Style-JEPA 0.15 (Q1), tokens fixed 50 (Q3), predictor frozen (Q5)", () => {
    const code = stStorm({ preset: 'paper', quirks: 'code' });
    expect(weights(objective(code, 'generatorA'))).toMatchObject({
      tok: 50,
      jepa: 0.15,
      jepa_var: 0.15 * 0.05,
    });
    expect(objective(code, 'generatorA').params).toEqual(['G_A']);
    expect(objective(m, 'generatorA').params).toEqual(['G_A', 'jepaPredictor']);
    expect(code.modules.some((d) => d.name === 'jepaPredictor')).toBe(true);
  });

  test('phase B token weight adapts: 0.06 target, rate 0.1, clip [1e-4, 2], every 1000 steps (--tb_freq); styleWeightB fixed drops it', () => {
    const tok = objective(m, 'generatorB').terms.find((t) => t.name === 'tok');
    expect(tok?.adaptive).toEqual({ target: 0.06, rate: 0.1, min: 1e-4, max: 2, every: 1000 });
    const fixed = stStorm({ preset: 'paper', styleWeightB: 'fixed' });
    expect(objective(fixed, 'generatorB').terms.find((t) => t.name === 'tok')?.adaptive).toBe(
      undefined,
    );
    expect(objective(m, 'generatorA').terms.every((t) => t.adaptive === undefined)).toBe(true);
  });

  test('phase B weights: PatchNCE 1, identity 1, tokens 0.005 (start of the adaptive weight), gate / FFT / SWD', () => {
    expect(weights(objective(m, 'generatorB'))).toEqual({
      nce_bottleneck: 1 / 3,
      nce_skip2: 1 / 3,
      nce_skip3: 1 / 3,
      idt: 1,
      tok: 0.005,
      gate: 0.05,
      fft: 0.1,
      swd: 0.05,
    });
  });

  test('losses: R1 gamma 10 every 16, PatchNCE tau 0.07 on 100 positions, SWD 64x64 patches / 128 projections / 64 patches over 9 pyramid bands (Q11), gate margin 0.75', () => {
    expect(loss(m, 'discriminatorA', 'r1')).toMatchObject({
      _tag: 'R1',
      module: 'D_A',
      gamma: 10,
      every: 16,
    });
    expect(loss(m, 'discriminatorA', 'lsgan')._tag).toBe('LsganDiscriminator');
    expect(loss(m, 'generatorA', 'nce_skip2')).toMatchObject({
      _tag: 'PatchNce',
      temperature: 0.07,
      patches: 100,
    });
    expect(loss(m, 'generatorA', 'swd')).toMatchObject({
      _tag: 'SlicedWasserstein',
      patch: 64,
      projections: 128,
      maxPatches: 64,
      levels: 9,
    });
    expect(loss(m, 'generatorB', 'swd')).toMatchObject({ levels: 9 });
    expect(loss(m, 'generatorA', 'gate')).toEqual({
      _tag: 'SpadeGate',
      module: 'G_A',
      margin: 0.75,
    });
    expect(loss(m, 'generatorB', 'gate')).toEqual({
      _tag: 'SpadeGate',
      module: 'G_B',
      margin: 0.75,
    });
  });

  test('Style-JEPA: mask 0.6 with bias 2 over 6 tokens, scale weights (2, 2, 1.5, 1, 0.75, 0.5), two spectral views (sigma 2, gamma 3) of y', () => {
    const l = loss(m, 'generatorA', 'jepa');
    if (l._tag !== 'MaskedTokenL2') throw new Error(l._tag);
    expect(l.weights).toEqual([2, 2, 1.5, 1, 0.75, 0.5]);
    expect(l.mask).toEqual({ _tag: 'TokenMask', name: 'jepaMask', count: 6, ratio: 0.6, bias: 2 });
    const views = walk(l).filter(
      (e): e is Extract<ValueExpr, { _tag: 'View' }> =>
        e._tag === 'View' && e.name.startsWith('jepa'),
    );
    expect(views.map((v) => v.name).sort()).toEqual(['jepaView1', 'jepaView2']);
    for (const v of views) {
      expect(v.pipeline).toEqual([
        { _tag: 'SpectralNoise', sigma: 2, gamma: 3, p: 1 },
        { _tag: 'HorizontalFlip', p: 0.5 },
      ]);
      expect(v.source).toMatchObject({ _tag: 'View', name: 'y' });
    }
    expect(applied(l.pred)).toBe('jepaPredictor');
    expect(applied(l.target)).toBe('sg(T_A.styleEncoder.tokens)');
  });

  test('semantic branch: InfoNCE with a queue of 6000 at tau 0.2, weight 1 over two styles, keys from the EMA encoder on the detached far', () => {
    const l = loss(m, 'semantic', 'moco');
    expect(l).toMatchObject({
      _tag: 'InfoNCEQueue',
      queueSize: 6000,
      temperature: { _tag: 'Constant', value: 0.2 },
    });
    expect(weights(objective(m, 'semantic'))).toEqual({ moco: 0.5, moco2: 0.5 });
    if (l._tag !== 'InfoNCEQueue') throw new Error(l._tag);
    expect(applied(l.query)).toBe('semProjector');
    expect(applied(l.key)).toBe('sg(semProjectorKey)');
    expect(
      walk(l.key)
        .filter((e) => e._tag === 'Apply')
        .map((e) => applied(e)),
    ).toEqual(['semProjectorKey', 'semBackboneKey', 'G_A']);
    const styles = (k: ValueExpr) =>
      walk(k)
        .filter((e) => e._tag === 'Permute')
        .map((e) => (e._tag === 'Permute' ? e.name : ''));
    const l2 = loss(m, 'semantic', 'moco2');
    if (l2._tag !== 'InfoNCEQueue') throw new Error(l2._tag);
    // y from the other fold; the second style y' a permuted batch (`--sem_two_styles`)
    expect([styles(l.key), styles(l2.key)]).toEqual([[], ['style2']]);
    expect(mod(m, 'semBackbone').net).toMatchObject({
      _tag: 'ResNet',
      block: 'bottleneck',
      output: 'pooled',
    });
  });

  test('optimizers: Adam 2e-4 (0.5, 0.999) for generators, x 0.5 for D; AdamW 1e-4 wd 1e-4, per step (Q7): cosine 1e-4 at step 5000 -> 1e-5 at 100k', () => {
    const adam = (lr: number) => ({
      _tag: 'Adam',
      lr: { _tag: 'Constant', value: lr },
      betas: [0.5, 0.999],
      eps: 1e-8,
    });
    expect(objective(m, 'generatorA').optimizer).toEqual(adam(2e-4));
    expect(objective(m, 'generatorB').optimizer).toEqual(adam(2e-4));
    expect(objective(m, 'discriminatorA').optimizer).toEqual(adam(1e-4));
    const steps = 41 * EPOCH;
    expect(objective(m, 'semantic').optimizer).toEqual({
      _tag: 'AdamW',
      lr: { _tag: 'Cosine', from: 1e-4, to: 1e-5, start: 5000 / steps, end: 100_000 / steps },
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: { _tag: 'Constant', value: 1e-4 },
      decayAll: false,
    });
    expect(objective(m, 'semanticB').optimizer).toEqual(objective(m, 'semantic').optimizer);
    expect(
      objective(stStorm({ preset: 'paper', semanticSchedule: 'epoch' }), 'semantic').optimizer.lr,
    ).toEqual({ _tag: 'WarmupCosine', warmup: 5 / 41, start: 1e-5, peak: 1e-4, end: 1e-6 });
    // tiny: the tiny contrastive recipe (docs/learning.md), 10% warm-up to 6e-3 then cosine
    const tiny = objective(stStorm({ preset: 'tiny' }), 'semantic').optimizer;
    expect(tiny).toMatchObject({ _tag: 'AdamW', weightDecay: { _tag: 'Constant', value: 0.05 } });
    expect([0.1, 1].map((t) => evaluateSchedule(tiny.lr, t))).toEqual([6e-3, 0]);
    // tiny with the authors' semantic optimiser (for a branch started from a MoCo v3 checkpoint)
    const ref = stStorm({ preset: 'tiny', semanticOptimizer: 'reference' });
    expect(objective(ref, 'semantic').optimizer).toMatchObject({
      _tag: 'AdamW',
      weightDecay: { _tag: 'Constant', value: 1e-4 },
    });
    expect(evaluateSchedule(objective(ref, 'semantic').optimizer.lr, 0.5)).toBeCloseTo(1e-4, 12);
    const keyMomentum = (x: typeof ref) =>
      x.modules.find((mod) => mod.name === 'semBackboneKey')?.ema?.momentum;
    expect(keyMomentum(ref)).toEqual({ _tag: 'Constant', value: 0.999 });
    expect(keyMomentum(stStorm({ preset: 'tiny' }))).toMatchObject({ _tag: 'Cosine', from: 0.99 });
  });
});

describe('stStorm structure', () => {
  const m = stStorm({ preset: 'tiny' });

  test('objectives in order, their phases, cadence and optimized modules', () => {
    expect(m.objectives.map((o) => [o.name, o.phases, o.params, o.every, o.offset])).toEqual([
      ['discriminatorA', ['A'], ['D_A'], 1, 0],
      ['semantic', ['A'], ['semBackbone', 'semProjector'], 1, 0],
      ['generatorA', ['A'], ['G_A', 'jepaPredictor'], 1, 0],
      ['semanticB', ['B'], ['semBackbone', 'semProjector'], 1, 0],
      ['generatorB', ['B'], ['G_B'], 1, 0],
    ]);
  });

  test('each objective sends gradient to the modules it optimizes (EMA teachers and key encoders are constants)', () => {
    const g = checked(m);
    for (const o of m.objectives) {
      const reached = gradientModules(
        g,
        g.terms.filter((t) => t.objective === o.name).map((t) => t.node),
      );
      expect([...reached]).toEqual(expect.arrayContaining([...o.params]));
      for (const ema of ['T_A', 'T_B', 'semBackboneKey', 'semProjectorKey'])
        expect(reached.has(ema)).toBe(false);
    }
  });

  test('phase A: far = G_A(x, style = y), y a view of the other fold like x; D sees y and the detached far', () => {
    const far = loss(m, 'generatorA', 'l1');
    if (far._tag !== 'L1') throw new Error(far._tag);
    expect(far.pred).toMatchObject({
      _tag: 'Apply',
      module: 'G_A',
      path: [],
      inputs: {
        x: { _tag: 'View', name: 'x' },
        // Q6: the style image times style_gain_A = 10 (a Normalize view, mean 0, std 0.1)
        style: {
          _tag: 'View',
          name: 'styleGainA',
          source: {
            _tag: 'View',
            name: 'y',
            source: { _tag: 'Input', name: 'pairedImages' },
          },
          pipeline: [{ _tag: 'Normalize', mean: [0, 0, 0], std: [0.1, 0.1, 0.1] }],
        },
      },
    });
    // y gets the base view of x (resize-crop, flip), its own draw
    const inputs = (far.pred as Extract<ValueExpr, { _tag: 'Apply' }>).inputs;
    const [xv, yv] = [inputs.x, inputs.style?._tag === 'View' ? inputs.style.source : undefined];
    if (xv?._tag !== 'View' || yv?._tag !== 'View') throw new Error('x and y are views');
    expect(yv.pipeline).toEqual(xv.pipeline);
    expect(xv.pipeline.map((a) => a._tag)).toEqual(['RandomResizedCrop', 'HorizontalFlip']);
    const d = loss(m, 'discriminatorA', 'lsgan');
    if (d._tag !== 'LsganDiscriminator') throw new Error(d._tag);
    expect(d.real).toMatchObject({
      _tag: 'Apply',
      module: 'D_A',
      inputs: { x: { _tag: 'View', name: 'y' } },
    });
    expect(d.fake).toMatchObject({
      _tag: 'Apply',
      module: 'D_A',
      inputs: { x: { _tag: 'StopGradient', source: far.pred } },
    });
    expect(loss(m, 'generatorA', 'adv')).toEqual({
      _tag: 'LsganGenerator',
      fake: { _tag: 'Apply', module: 'D_A', path: [], inputs: { x: far.pred } },
    });
  });

  test("PatchNCE: A queries G_A's encoder on far against its detached encoding of x; B queries G_B on recon against teacher T_B on x", () => {
    const a = loss(m, 'generatorA', 'nce_skip3');
    const b = loss(m, 'generatorB', 'nce_bottleneck');
    if (a._tag !== 'PatchNce' || b._tag !== 'PatchNce') throw new Error('not PatchNce');
    expect([applied(a.query), applied(a.key)]).toEqual([
      'G_A.encoder.skip3',
      'sg(G_A.encoder).skip3',
    ]);
    expect([applied(b.query), applied(b.key)]).toEqual([
      'G_B.encoder.bottleneck',
      'sg(T_B.encoder).bottleneck',
    ]);
  });

  test('teacher token losses read T_A (A) and T_B (B) style tokens; phase B reconstructs x from spectral-noised far', () => {
    const ta = loss(m, 'generatorA', 'tok');
    const tb = loss(m, 'generatorB', 'tok');
    if (ta._tag !== 'TokenL1' || tb._tag !== 'TokenL1') throw new Error('not TokenL1');
    expect([applied(ta.pred), applied(ta.target)]).toEqual([
      'T_A.styleEncoder.tokens',
      'sg(T_A.styleEncoder.tokens)',
    ]);
    expect([applied(tb.pred), applied(tb.target)]).toEqual([
      'T_B.styleEncoder.tokens',
      'sg(T_B.styleEncoder.tokens)',
    ]);
    const idt = loss(m, 'generatorB', 'idt');
    if (idt._tag !== 'L1') throw new Error(idt._tag);
    expect(idt.pred).toMatchObject({
      _tag: 'Apply',
      module: 'G_B',
      inputs: {
        x: {
          _tag: 'View',
          name: 'farNoise',
          pipeline: [{ _tag: 'SpectralNoise', sigma: 2, gamma: 3 }],
        },
        // Q6: G_B's style x times style_gain_B = 1.5
        style: {
          _tag: 'View',
          name: 'styleGainB',
          source: { _tag: 'View', name: 'x' },
          pipeline: [{ _tag: 'Normalize', mean: [0, 0, 0], std: [1 / 1.5, 1 / 1.5, 1 / 1.5] }],
        },
      },
    });
    expect(idt.target).toMatchObject({ _tag: 'View', name: 'x' });
  });

  test('tiny preset sizes: 32x32, 3 levels (4 tokens of 32), PatchGAN 8 x 3, tiny ResNet, queue 256, phases 20 + 20 of 600 steps', () => {
    expect(m.input.size).toBe(32);
    expect(mod(m, 'G_A').net).toMatchObject({
      styleEncoder: { ngf: 8, levels: 3, tokenDim: 32, mapChannels: 8 },
    });
    expect(mod(m, 'D_A').net).toMatchObject({ ndf: 8, layers: 3 });
    expect(mod(m, 'G_A').net).toMatchObject({ decoder: { spadeHidden: 16, spadeRelu: true } });
    expect(loss(m, 'generatorA', 'swd')).toMatchObject({ patch: 8, levels: 6 });
    expect(objective(m, 'generatorB').terms.find((t) => t.name === 'tok')?.adaptive?.every).toBe(
      10,
    );
    expect(loss(m, 'semantic', 'moco')).toMatchObject({ queueSize: 256 });
    expect(loss(m, 'generatorA', 'jepa')).toMatchObject({ weights: [2, 2, 1.5, 1] });
    expect(m.training).toEqual({ batch: 8, steps: 600, folds: { k: 2, rotateEvery: 1 } });
    expect(m.phases).toEqual([
      { name: 'A', steps: 20 },
      { name: 'B', steps: 20 },
    ]);
  });

  test('representations: style = flattened L2-normalised G_B tokens (--sup_from GB; styleFrom T_A), content = semantic ResNet, fused = FusionHead of both', () => {
    expect(m.representations.map((r) => r.name)).toEqual(['style', 'content', 'fused']);
    const [style, content, fused] = m.representations.map((r) => r.value);
    expect(style).toMatchObject({
      _tag: 'Fn',
      net: { _tag: 'Flatten' },
      inputs: { x: { _tag: 'Fn', net: { _tag: 'L2Normalize' } } },
    });
    expect(
      walk(style)
        .filter((e) => e._tag === 'Apply')
        .map(applied),
    ).toEqual(['G_B.styleEncoder']);
    const teacher = stStorm({ preset: 'tiny', styleFrom: 'T_A' }).representations[0]!.value;
    expect(
      walk(teacher)
        .filter((e) => e._tag === 'Apply')
        .map(applied),
    ).toEqual(['T_A.styleEncoder']);
    expect(content).toEqual({
      _tag: 'Apply',
      module: 'semBackbone',
      path: [],
      inputs: { x: { _tag: 'Input', name: 'images' } },
    });
    expect(fused).toEqual({
      _tag: 'Apply',
      module: 'fusion',
      path: [],
      inputs: { style, content },
    });
    expect(mod(m, 'fusion').net).toEqual({
      _tag: 'FusionHead',
      styleDim: 4 * 32,
      contentDim: 128,
      dim: 64,
    });
  });
});

describe('stStorm options', () => {
  test("styleSource: 'folds' (default) draws y from the other fold's batch; 'batch' is a permutation of x without folds; foldEpochs sets the rotation", () => {
    const folds = stStorm({ preset: 'tiny' });
    expect(folds.training.folds).toEqual({ k: 2, rotateEvery: 1 });
    expect(walk(folds).some((e) => e._tag === 'Input' && e.name === 'pairedImages')).toBe(true);
    expect(stStorm({ preset: 'tiny', foldEpochs: 3 }).training.folds).toEqual({
      k: 2,
      rotateEvery: 3,
    });
    const batch = stStorm({ preset: 'tiny', styleSource: 'batch' });
    expect(batch.training.folds).toBeUndefined();
    expect(walk(batch).some((e) => e._tag === 'Input' && e.name === 'pairedImages')).toBe(false);
    const far = loss(batch, 'generatorA', 'l1');
    expect(walk(far).some((e) => e._tag === 'Permute' && e.name === 'style')).toBe(true);
    expect(E.isRight(checkMethod(batch))).toBe(true);
    expect(E.isRight(checkMethod(folds))).toBe(true);
  });

  test('adversarialB adds D_B, its objective in phase B and an adversarial term for G_B', () => {
    const m = stStorm({ preset: 'tiny', adversarialB: true });
    expect(m.objectives.map((o) => o.name)).toEqual([
      'discriminatorA',
      'semantic',
      'generatorA',
      'discriminatorB',
      'semanticB',
      'generatorB',
    ]);
    expect(objective(m, 'discriminatorB')).toMatchObject({ phases: ['B'], params: ['D_B'] });
    expect(loss(m, 'generatorB', 'adv')).toMatchObject({
      _tag: 'LsganGenerator',
      fake: { _tag: 'Apply', module: 'D_B' },
    });
    expect(stStorm({ preset: 'tiny' }).modules.some((d) => d.name === 'D_B')).toBe(false);
  });

  test('memory: the style bank (2000, all styles) and the replay (50, ratio 0.3) in phase B; on by default, memory: false drops them', () => {
    const memories = (o: StStormOptions) =>
      walk(stStorm(o).objectives)
        .filter((e) => e._tag === 'Memory')
        .map((e) => (e._tag === 'Memory' ? [e.name, e.size, e.ratio] : []));
    expect(memories({ preset: 'paper' })).toEqual(
      expect.arrayContaining([
        ['styleBank', 2000, 1],
        ['replay', 50, 0.3],
      ]),
    );
    expect(memories({ preset: 'tiny' })).toEqual(
      expect.arrayContaining([
        ['styleBank', 2000, 1],
        ['replay', 50, 0.3],
      ]),
    );
    expect(memories({ preset: 'paper', memory: false })).toEqual([]);
  });

  test('semanticPhaseB: the semantic branch also learns in phase B, query x and key the detached reconstruction; off: phase A only', () => {
    const m = stStorm({ preset: 'tiny' });
    const l = loss(m, 'semanticB', 'moco');
    if (l._tag !== 'InfoNCEQueue') throw new Error(l._tag);
    expect(
      walk(l.key)
        .filter((e) => e._tag === 'Apply')
        .map((e) => applied(e)),
    ).toEqual(['semProjectorKey', 'semBackboneKey', 'G_B', 'G_A']);
    expect(l.query).toEqual(
      (loss(m, 'semantic', 'moco') as Extract<LossNode, { _tag: 'InfoNCEQueue' }>).query,
    );
    expect(
      stStorm({ preset: 'tiny', semanticPhaseB: false }).objectives.map((o) => o.name),
    ).not.toContain('semanticB');
  });

  test('semanticTwoStyles: false keeps one key (far) with weight 1', () => {
    expect(
      weights(objective(stStorm({ preset: 'tiny', semanticTwoStyles: false }), 'semantic')),
    ).toEqual({ moco: 1 });
  });

  test('semantic: false drops the semantic objective, content and fused; fused: false keeps content', () => {
    const off = stStorm({ preset: 'tiny', semantic: false });
    expect(off.objectives.map((o) => o.name)).toEqual([
      'discriminatorA',
      'generatorA',
      'generatorB',
    ]);
    expect(off.representations.map((r) => r.name)).toEqual(['style']);
    expect(stStorm({ preset: 'tiny', fused: false }).representations.map((r) => r.name)).toEqual([
      'style',
      'content',
    ]);
  });

  test('weights, batch, steps and phase lengths override the preset', () => {
    const m = stStorm({
      preset: 'paper',
      weights: { style: 10, nceA: 1 },
      batch: 16,
      epochImages: 3200,
      phaseSteps: [5, 3],
    });
    expect(weights(objective(m, 'generatorA'))).toMatchObject({ tok: 10, nce_skip2: 1 / 3 });
    expect(m.training).toMatchObject({ batch: 16, steps: 41 * 100 });
    expect(m.phases).toEqual([
      { name: 'A', steps: 5 },
      { name: 'B', steps: 3 },
    ]);
  });

  test('registered as st-storm in the library', () => {
    expect(isMethodName('st-storm')).toBe(true);
    expect(methodNames).toContain('st-storm');
    expect(methods['st-storm']('tiny')).toEqual(stStorm({ preset: 'tiny' }));
  });
});

describe('stStorm checks and counts', () => {
  test.each<[string, StStormOptions]>([
    ['paper', { preset: 'paper' }],
    ['tiny', { preset: 'tiny' }],
    ['paper + adversarialB + memory', { preset: 'paper', adversarialB: true, memory: true }],
    ['tiny + adversarialB + memory', { preset: 'tiny', adversarialB: true, memory: true }],
    ['tiny without semantic branch', { preset: 'tiny', semantic: false }],
    [
      'tiny, every flag the other way',
      {
        preset: 'tiny',
        memory: false,
        semanticViews: false,
        semanticTwoStyles: false,
        semanticPhaseB: false,
        semanticSchedule: 'epoch',
        styleFrom: 'T_A',
        quirks: 'code',
        epoch: 'dataset',
        spadeBlock: 'plain',
        styleGain: [1, 1],
        teacherBInPhaseA: false,
        styleWeightB: 'fixed',
        swdLevels: 1,
      },
    ],
  ])('%s passes resolve, shapes and gradients', (_name, o) => {
    const g = checked(stStorm(o));
    expect(g.terms.length).toBeGreaterThan(10);
  });

  /** U-Net widths `min(ngf 2^l, maxC)` for l = 0..L. */
  const widths = (ngf: number, levels: number, maxC: number) =>
    Array.from({ length: levels + 1 }, (_, l) => Math.min(ngf * 2 ** l, maxC));
  /** The generator of methods.md 3.2, counted from its description (convs with bias, affine IN). */
  const generatorParams = (
    ngf: number,
    L: number,
    maxC: number,
    t: number,
    m: number,
    h: number,
  ) => {
    const c = widths(ngf, L, maxC);
    const down = (cin: number, cout: number) => 16 * cin * cout + cout + 2 * cout;
    const encoder =
      c.slice(0, L).reduce((s, w, l) => s + down(l === 0 ? 3 : c[l - 1]!, w), 0) +
      down(c[L - 1]!, c[L]!) +
      9 * c[L]! ** 2 +
      c[L]! +
      2 * c[L]!;
    const style =
      encoder + c.slice(0, L).reduce((s, w) => s + 9 * w * m + m + w * t + t, 0) + c[L]! * t + t;
    // SPADELayer (models/backbone.py): map conv m -> h -> 2ch, token MLP t -> h -> 2ch, 4 gates
    const spade = (ch: number) =>
      9 * m * h + h + 9 * h * 2 * ch + 2 * ch + t * h + h + h * 2 * ch + 2 * ch + 4;
    const block = (i: number, o: number) =>
      spade(i) + 9 * i * o + o + spade(o) + 9 * o * o + o + (i === o ? 0 : i * o);
    let prev = c[L]!;
    let decoder = 9 * c[0]! ** 2 + c[0]! + 9 * c[0]! * 3 + 3;
    for (let l = L; l >= 1; l--) {
      decoder += block(prev + c[l - 1]!, c[l - 1]!);
      prev = c[l - 1]!;
    }
    return { encoder, style, decoder, total: encoder + style + decoder };
  };

  test('paper generator: 60,519,019 parameters = content encoder 13,510,976 + style encoder 14,868,608 + SPADE decoder 32,139,435 (SPADE hidden 128)', () => {
    const g = checked(stStorm({ preset: 'paper' }));
    const ref = generatorParams(64, 5, 512, 256, 64, 128);
    expect(ref).toEqual({
      encoder: 13_510_976,
      style: 14_868_608,
      decoder: 32_139_435,
      total: 60_519_019,
    });
    expect(trainable(g, 'G_A')).toBe(ref.total);
    expect(trainable(g, 'G_B')).toBe(ref.total);
    expect(trainable(g, 'T_A')).toBe(ref.total);
    const params = g.modules.find((x) => x.decl.name === 'G_A')?.params ?? [];
    const count = (prefix: string) =>
      params
        .filter((p) => p.path.startsWith(prefix) && !p.buffer)
        .reduce((a, p) => a + p.shape.reduce((u, v) => u * v, 1), 0);
    expect([count('encoder.'), count('styleEncoder.'), count('decoder.')]).toEqual([
      ref.encoder,
      ref.style,
      ref.decoder,
    ]);
  });

  test('paper decoder blocks have the widths of methods.md 3.2: 1024->512, 1024->512, 768->256, 384->128, 192->64', () => {
    const g = checked(stStorm({ preset: 'paper' }));
    const params = g.modules.find((x) => x.decl.name === 'G_A')?.params ?? [];
    const conv1 = [0, 1, 2, 3, 4].map((i) =>
      params.find((p) => p.path === `decoder.blocks.${i}.conv1.weight`)?.shape.slice(2),
    );
    expect(conv1).toEqual([
      [1024, 512],
      [1024, 512],
      [768, 256],
      [384, 128],
      [192, 64],
    ]);
  });

  test('paper PatchGAN: 2,764,737 parameters (pix2pix / CycleGAN n_layers=3 discriminator: "2.765 M"); ResNet-50 trunk 23,508,032', () => {
    const g = checked(stStorm({ preset: 'paper' }));
    const convs = [
      [3, 64],
      [64, 128],
      [128, 256],
      [256, 512],
      [512, 1],
    ];
    expect(trainable(g, 'D_A')).toBe(convs.reduce((s, [i, o]) => s + 16 * i! * o! + o!, 0));
    expect(trainable(g, 'D_A')).toBe(2_764_737);
    expect(trainable(g, 'semBackbone')).toBe(25_557_032 - 2_049_000);
    expect(trainable(g, 'semProjector')).toBe(
      2048 * 256 + 256 + (256 * 512 + 512) + (512 * 256 + 256),
    );
  });

  test('tiny generator follows the same formula (305,747 parameters; spadeBlock plain: 264,819, SPADE 8 wide)', () => {
    const g = checked(stStorm({ preset: 'tiny' }));
    expect(trainable(g, 'G_A')).toBe(generatorParams(8, 3, 64, 32, 8, 16).total);
    expect(trainable(g, 'G_A')).toBe(305_747);
    const plain = checked(stStorm({ preset: 'tiny', spadeBlock: 'plain' }));
    expect(trainable(plain, 'G_A')).toBe(generatorParams(8, 3, 64, 32, 8, 8).total);
    expect(trainable(plain, 'G_A')).toBe(264_819);
    expect(plain.modules.find((x) => x.decl.name === 'G_A')?.decl.net).toMatchObject({
      decoder: { spadeHidden: 8, spadeRelu: false },
    });
  });

  test.each(['paper', 'tiny'] as const)(
    '%s: JSON round trip is lossless and the decoded spec still checks',
    (preset) => {
      const m = stStorm({ preset, adversarialB: true, memory: true });
      const text = JSON.stringify(encodeMethod(m));
      const back = decodeMethod(JSON.parse(text));
      expect(back).toEqual(E.right(m));
      expect(E.isRight(checkMethod(JSON.parse(text)))).toBe(true);
    },
  );
});

describe('semantic views (--sem_use_aug)', () => {
  const viewNames = (m: Method): string[] => {
    const names = new Set<string>();
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (typeof x === 'object' && x !== null) {
        const o = x as Record<string, unknown>;
        if (o['_tag'] === 'View') names.add(o['name'] as string);
        Object.values(o).forEach(walk);
      }
    };
    walk(m.objectives.find((o) => o.name === 'semantic'));
    return [...names].sort();
  };

  test('semanticViews gives the semantic branch its own views of x and of both keys; on by default, as the README command', () => {
    // styleGainA: the first key is far = G_A(x, 10 y), the reference's far
    expect(viewNames(stStorm({ preset: 'tiny', semanticViews: true }))).toEqual([
      'semKey',
      'semKey2',
      'semQuery',
      'styleGainA',
      'x',
      'y',
    ]);
    expect(viewNames(stStorm({ preset: 'paper' }))).toEqual([
      'semKey',
      'semKey2',
      'semQuery',
      'styleGainA',
      'x',
      'y',
    ]);
    expect(viewNames(stStorm({ preset: 'tiny', semanticViews: false }))).toEqual([
      'styleGainA',
      'x',
      'y',
    ]);
    expect(E.isRight(checkMethod(stStorm({ preset: 'tiny', semanticViews: false })))).toBe(true);
  });
});

describe('gradient check through EMA modules (regression)', () => {
  test('the tok-only ablation checks: T_A is a constant, but the gradient flows through it to far = G_A(x, y)', () => {
    const m = tokOnly();
    expect(objective(m, 'generatorA').terms.map((t) => t.name)).toEqual(['tok']);
    expect(objective(m, 'generatorA').params).toEqual(['G_A']);
    const r = checkMethod(m);
    expect(E.isRight(r) ? [] : r.left.map((i) => `${i.code} ${i.path.join('.')}`)).toEqual([]);
    const g = checked(m);
    const reached = gradientModules(
      g,
      g.terms.filter((t) => t.objective === 'generatorA').map((t) => t.node),
    );
    expect([...reached]).toEqual(['G_A']);
  });

  test('a StopGradient between the EMA module and the generator still blocks it (E_NO_GRADIENT)', () => {
    const m = tokOnly();
    const gA = objective(m, 'generatorA');
    const tok = gA.terms[0]!;
    if (tok.loss._tag !== 'TokenL1') throw new Error(tok.loss._tag);
    const detached = {
      ...tok,
      loss: { ...tok.loss, pred: { _tag: 'StopGradient' as const, source: tok.loss.pred } },
    };
    const broken = {
      ...m,
      objectives: m.objectives.map((o) =>
        o.name === 'generatorA' ? { ...o, terms: [detached] } : o,
      ),
    };
    const r = checkMethod(broken);
    expect(E.isLeft(r) ? r.left.map((i) => i.code) : []).toContain('E_NO_GRADIENT');
  });
});
