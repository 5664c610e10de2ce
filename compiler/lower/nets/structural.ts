/**
 * Parameter-free and structural nets: `Sequential`, `Pool`, `Field`, `L2Normalize`, `Flatten`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Field, Flatten, L2Normalize, Pool, Sequential } from '../../ir/net.js';
import { port, type NetRule } from './rule.js';

/** `Sequential`: layers in order; parameters `<i>.<inner path>`. Structs pass through as `x`. */
export const sequentialRule: NetRule<Sequential> = {
  apply: (n, s, i, parts) =>
    n.layers.reduce(
      (x, layer, idx) => parts.run(layer, s.at(String(idx)), idx === 0 ? i : { x }),
      i['x'] ?? port(i, 'x'),
    ),
};

/**
 * `Pool` to a vector: `mean` over tokens `[B, N, D]` or spatial axes `[B, H, W, C]`; `cls` takes
 * token 0; `max` over the same axes as `mean`.
 */
export const poolRule: NetRule<Pool> = {
  apply: (n, _s, i) => {
    const x = port(i, 'x');
    if (n.kind === 'cls') {
      const [b, , d] = x.shape as [number, number, number];
      return x.slice([0, 0, 0], [b, 1, d]).reshape([b, d]);
    }
    const axes = x.rank === 4 ? [1, 2] : [1];
    return n.kind === 'mean' ? tf.mean(x, axes) : tf.max(x, axes);
  },
};

/** `Field`: one field of a struct value. */
export const fieldRule: NetRule<Field> = {
  apply: (n, _s, i) => {
    const v = i['x'];
    if (v === undefined || v instanceof tf.Tensor || v[n.name] === undefined) {
      const fields =
        v === undefined || v instanceof tf.Tensor ? 'a tensor' : Object.keys(v).join(', ');
      throw new Error(`lowering: Field "${n.name}" not found (input has ${fields})`);
    }
    return v[n.name]!;
  },
};

/** `L2Normalize`: `x / max(||x||, 1e-12)` along the last axis (PyTorch `F.normalize`). */
export const l2NormalizeRule: NetRule<L2Normalize> = {
  apply: (_n, _s, i) => {
    const x = port(i, 'x');
    return tf.div(x, tf.maximum(tf.norm(x, 'euclidean', -1, true), 1e-12));
  },
};

/** `Flatten`: `[B, ...] -> [B, prod(...)]`. */
export const flattenRule: NetRule<Flatten> = {
  apply: (_n, _s, i) => {
    const x = port(i, 'x');
    return x.reshape([x.shape[0]!, -1]);
  },
};
