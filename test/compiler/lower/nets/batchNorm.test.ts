/**
 * The training BatchNorm op (`compiler/lower/nets/batchNorm.ts`: group statistics as 2-D products,
 * closed-form gradient) against an independent formulation: each group normalised on its own with
 * `tf.moments` and the affine part, differentiated by TF.js's autodiff on the `cpu` backend.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchNormTrain } from '../../../../compiler/lower/nets/batchNorm.js';
import {
  referenceKernels,
  wasmKernels,
  type Kernels,
} from '../../../../compiler/lower/legalize/index.js';
import { onBackend, randn, relErr } from '../compare.js';

const EPS = 1e-5;

/** `y`, the gradients w.r.t. x, gamma, beta of `sum(y * probe)`, and the group means and variances. */
const viaOp = (k: Kernels, shape: number[], groups: number) => (): tf.Tensor[] => {
  const [x, gamma, beta] = inputs(shape) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const probe = randn(9, shape);
  let stats: tf.Tensor[] = [];
  const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
    const r = batchNormTrain(k, a, groups, EPS, { gamma: g, beta: b });
    stats = [r.mean, r.variance];
    return tf.sum(tf.mul(r.y, probe));
  };
  const y = batchNormTrain(k, x, groups, EPS, { gamma, beta });
  const grads = tf.grads(loss)([x, gamma, beta]);
  tf.dispose([y.mean, y.variance]);
  return [y.y, ...grads, ...stats];
};

const viaMoments = (shape: number[], groups: number) => (): tf.Tensor[] => {
  const [x, gamma, beta] = inputs(shape) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const probe = randn(9, shape);
  const axes = shape.slice(0, -1).map((_, i) => i);
  const forward = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor =>
    tf.concat(
      groupsOf(a, groups).map((part) => {
        const { mean, variance } = tf.moments(part, axes);
        return tf.add(tf.mul(tf.div(tf.sub(part, mean), tf.sqrt(tf.add(variance, EPS))), g), b);
      }),
      0,
    );
  const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(forward(a, g, b), probe)),
  )([x, gamma, beta]);
  const parts = groupsOf(x, groups).map((part) => tf.moments(part, axes));
  const c = shape[shape.length - 1]!;
  return [
    forward(x, gamma, beta),
    ...grads,
    tf.stack(parts.map((p) => p.mean.reshape([c]))),
    tf.stack(parts.map((p) => p.variance.reshape([c]))),
  ];
};

/** The `groups` equal parts of `x` along the batch axis. */
const groupsOf = (x: tf.Tensor, groups: number): tf.Tensor[] =>
  groups === 1 ? [x] : tf.split(x, groups, 0);

const inputs = (shape: number[]): tf.Tensor[] => {
  const c = shape[shape.length - 1]!;
  // offset and scale so that the statistics are far from 0 / 1
  return [tf.add(tf.mul(randn(1, shape), 3), 2), tf.add(randn(2, [c]), 1), randn(3, [c])];
};

describe('training BatchNorm op vs per-group tf.moments (cpu autodiff)', () => {
  const cases = [
    { name: 'images [4, 3, 5, 6], 2 groups (two views)', shape: [4, 3, 5, 6], groups: 2 },
    { name: 'images [3, 4, 4, 2], 1 group', shape: [3, 4, 4, 2], groups: 1 },
    { name: 'vectors [12, 5], 3 groups (an MLP norm)', shape: [12, 5], groups: 3 },
  ];
  for (const c of cases) {
    it(`${c.name}: output, dx, dgamma, dbeta, group means and variances within 1e-5`, async () => {
      const ref = await onBackend('cpu', viaMoments(c.shape, c.groups));
      for (const [backend, kernels] of [
        ['cpu', referenceKernels],
        ['wasm', wasmKernels],
      ] as const) {
        const got = await onBackend(backend, viaOp(kernels, c.shape, c.groups));
        expect(got).toHaveLength(6);
        got.forEach((g, i) =>
          expect(relErr(g, ref[i]!), `${backend} output ${i}`).toBeLessThan(1e-5),
        );
      }
    });
  }
});
