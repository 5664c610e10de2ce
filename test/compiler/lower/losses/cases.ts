/**
 * The loss fixture cases of `test/fixtures/losses.json` as functions of their input tensors:
 * each builds the IR node and context the kernel needs and calls the kernel (or, for sampled
 * losses, its deterministic core with the fixture's random choices).
 */
import * as tf from '@tensorflow/tfjs';
import type { LossNode } from '../../../../compiler/ir/loss.js';
import {
  lossKernels,
  patchNceAt,
  slicedWassersteinAt,
  slicedWassersteinPyramidAt,
  type LossContext,
  type LossModule,
  type PatchAt,
} from '../../../../compiler/lower/losses/index.js';
import { createLossState } from '../../../../runtime/lossState.js';
import { Rng } from '../../../../compiler/ir/rng.js';
import { fromStored, loadFixture, type StoredArray } from '../../../fixtures/fixture.js';

/** One fixture case. */
export interface LossCase {
  readonly inputs: Record<string, StoredArray>;
  readonly params: Record<string, unknown>;
  readonly value: number;
  readonly grad: Record<string, StoredArray>;
  readonly [extra: string]: unknown;
}

/** The fixture. */
export const fixture = loadFixture<{ how: string; cases: Record<string, LossCase> }>('losses');

const constant = (value: number) => ({ _tag: 'Constant', value }) as const;
const ref = { _tag: 'Ref', name: 'unused' } as never;

/** A context with the given modules, a fresh loss state and a fixed RNG. */
export const contextWith = (modules: Record<string, LossModule> = {}, step = 0): LossContext => ({
  progress: 0,
  step,
  rng: Rng.seeded(1),
  state: createLossState(),
  module: (name) => {
    const m = modules[name];
    if (!m) throw new Error(`no module ${name}`);
    return m;
  },
  term: 'term',
});

const run = (
  node: LossNode,
  inputs: Record<string, tf.Tensor>,
  ctx: LossContext = contextWith(),
): tf.Scalar =>
  (
    lossKernels[node._tag] as (
      l: LossNode,
      i: Record<string, tf.Tensor>,
      c: LossContext,
    ) => tf.Scalar
  )(node, inputs, ctx);

const num = (c: LossCase, key: string): number => c.params[key] as number;
const patchesOf = (v: unknown): PatchAt[] =>
  (v as number[][]).map(([image, top, left]) => ({ image: image!, top: top!, left: left! }));

/** The scalar each case computes, from its input tensors (named as in the fixture). */
export const caseFunctions: Record<
  string,
  (t: Record<string, tf.Tensor>, c: LossCase) => tf.Scalar
> = {
  infoNceTwoTau: (t, c) =>
    run(
      {
        _tag: 'InfoNCE',
        query: ref,
        key: ref,
        temperature: constant(num(c, 'tau')),
        scale: 'twoTau',
      },
      t,
    ),
  infoNcePlain: (t, c) =>
    run(
      {
        _tag: 'InfoNCE',
        query: ref,
        key: ref,
        temperature: constant(num(c, 'tau')),
        scale: 'none',
      },
      t,
    ),
  infoNceQueue: (t, c) => {
    const ctx = contextWith();
    const q = ctx.state.queue('term', 5, num(c, 'queueSize'), ctx.rng);
    q.assign(fromStored(c['queue'] as StoredArray) as tf.Tensor2D);
    const out = run(
      {
        _tag: 'InfoNCEQueue',
        query: ref,
        key: ref,
        temperature: constant(num(c, 'tau')),
        queueSize: num(c, 'queueSize'),
      },
      t,
      ctx,
    );
    ctx.state.dispose();
    return out;
  },
  smoothL1: (t, c) => run({ _tag: 'SmoothL1', pred: ref, target: ref, beta: num(c, 'beta') }, t),
  smoothL1Half: (t, c) =>
    run({ _tag: 'SmoothL1', pred: ref, target: ref, beta: num(c, 'beta') }, t),
  l1: (t) => run({ _tag: 'L1', pred: ref, target: ref }, t),
  l2: (t) => run({ _tag: 'L2', pred: ref, target: ref }, t),
  lsganGenerator: (t) => run({ _tag: 'LsganGenerator', fake: ref }, t),
  lsganDiscriminator: (t) => run({ _tag: 'LsganDiscriminator', real: ref, fake: ref }, t),
  r1: (t, c) => {
    const weight = t['weight']!;
    const d: LossModule = {
      apply: (i) =>
        tf.softplus(
          tf.matMul(tf.reshape(i['x'] as tf.Tensor, [(i['x'] as tf.Tensor).shape[0]!, -1]), weight),
        ),
      params: { weight },
    };
    return run(
      { _tag: 'R1', module: 'D', real: ref, gamma: num(c, 'gamma'), every: 16 },
      { real: t['real']! },
      contextWith({ D: d }, 32),
    );
  },
  patchNce: (t, c) =>
    patchNceAt(
      t['query'] as tf.Tensor4D,
      t['key'] as tf.Tensor4D,
      c['positions'] as number[],
      num(c, 'tau'),
    ),
  tokenL1: (t) => run({ _tag: 'TokenL1', pred: ref, target: ref }, t),
  fftAmplitudeL1: (t) => run({ _tag: 'FftAmplitudeL1', pred: ref, target: ref }, t),
  slicedWasserstein: (t, c) => {
    const w = fromStored(c['projections'] as StoredArray) as tf.Tensor2D;
    const out = slicedWassersteinAt(
      t['pred'] as tf.Tensor4D,
      t['target'] as tf.Tensor4D,
      patchesOf(c['patchesA']),
      patchesOf(c['patchesB']),
      c['k'] as number,
      w,
    );
    w.dispose();
    return out;
  },
  slicedWassersteinPyramid: (t, c) => {
    const bands = (c['bands'] as Array<Record<string, unknown>>).map((b) => ({
      k: b['k'] as number,
      patchesA: patchesOf(b['patchesA']),
      patchesB: patchesOf(b['patchesB']),
      projections: fromStored(b['projections'] as StoredArray) as tf.Tensor2D,
    }));
    const out = slicedWassersteinPyramidAt(
      t['pred'] as tf.Tensor4D,
      t['target'] as tf.Tensor4D,
      bands,
    );
    bands.forEach((b) => b.projections.dispose());
    return out;
  },
  vicregVariance: (t, c) =>
    run({ _tag: 'VicregVariance', x: ref, gamma: num(c, 'gamma'), eps: num(c, 'eps') }, t),
  vicregVarianceTokens: (t, c) =>
    run({ _tag: 'VicregVariance', x: ref, gamma: num(c, 'gamma'), eps: num(c, 'eps') }, t),
  vicregCovariance: (t) => run({ _tag: 'VicregCovariance', x: ref }, t),
  spadeGate: (t, c) => {
    const params = {
      'decoder.blocks.0.spade1.gates': t['gatesA']!,
      'decoder.blocks.0.spade2.gates': t['gatesB']!,
      'decoder.blocks.0.conv1.weight': tf.ones([3, 3, 2, 2]),
    };
    const ctx = contextWith({ G: { apply: () => tf.scalar(0), params } });
    return run({ _tag: 'SpadeGate', module: 'G', margin: num(c, 'margin') }, {}, ctx);
  },
  maskedTokenL2: (t, c) => {
    const mask = fromStored(c['mask'] as StoredArray);
    const out = run(
      {
        _tag: 'MaskedTokenL2',
        pred: ref,
        target: ref,
        mask: ref,
        weights: c.params['weights'] as number[],
      },
      { ...t, mask },
    );
    mask.dispose();
    return out;
  },
};
