/**
 * Lowering of the random and index nodes: views (augmentation pipelines), I-JEPA block masks,
 * Style-JEPA token masks and batch permutations (without self-pairs). Each random node draws from the
 * step's stream forked by the node's name, so two views with the same pipeline differ and a
 * resumed run draws the same numbers. Views carry no gradient (augmentations are inputs).
 */
import * as tf from '@tensorflow/tfjs';
import type { ValueExpr } from '../ir/node.js';
import { Rng } from '../ir/rng.js';
import { applyPipeline } from './augment/pipeline.js';
import { sampleMultiBlockMasks } from './masks/multiBlock.js';
import { sampleTokenMask } from './masks/tokenMask.js';
import type { Lowered } from './nets/index.js';
import { gatherBatch } from './kernels/simdLayout.js';

type Of<T extends ValueExpr['_tag']> = Extract<ValueExpr, { _tag: T }>;

/**
 * A random permutation of `0..n-1` without fixed points for `n >= 2` (one random cycle through a
 * shuffled order): every image is paired with ANOTHER image, never itself (ST-STORM's style image
 * `y` comes from a different sample; a plain shuffle gives `y = x` for about 1 pair in `n`).
 */
export const derangement = (n: number, rng: Rng): number[] => {
  const order = rng.permutation(n);
  const out = new Array<number>(n);
  order.forEach((v, k) => (out[v] = order[(k + 1) % n]!));
  return out;
};

/** The lowering rules of the random and index value nodes. */
export const randomValues = {
  view: (v: Of<'View'>, source: tf.Tensor, rng: Rng | undefined): tf.Tensor =>
    applyPipeline(
      source as tf.Tensor4D,
      v.pipeline,
      // a fixed view (representations read them, and embedding has no step rng) draws nothing
      rng?.fork(`view:${v.name}`) ?? Rng.seeded(0),
    ),
  masks: (m: Of<'Masks'>, batch: number, rng: Rng): Lowered => {
    const drawn = sampleMultiBlockMasks(m.spec, batch, rng.fork(`masks:${m.name}`));
    return {
      context: tf.tensor(drawn.context.data, [...drawn.context.shape], 'int32'),
      targets: tf.tensor(drawn.targets.data, [...drawn.targets.shape], 'int32'),
    };
  },
  tokenMask: (m: Of<'TokenMask'>, batch: number, rng: Rng): tf.Tensor => {
    const drawn = sampleTokenMask(m, batch, rng.fork(`tokenMask:${m.name}`));
    return tf.tensor(drawn.data, [...drawn.shape], 'float32');
  },
  permute: (p: Of<'Permute'>, source: tf.Tensor, rng: Rng): tf.Tensor =>
    gatherBatch(
      source,
      tf.tensor1d(derangement(source.shape[0]!, rng.fork(`permute:${p.name}`)), 'int32'),
    ),
};
