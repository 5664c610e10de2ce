/**
 * The shape of a lowering rule and the scope it runs in. A rule says how to apply a net kind with
 * TF.js; its parameters (paths, shapes, initialisers) are the net kind's entry in the one parameter
 * table, `compiler/ir/params`, read through `Scope.param`. Composite nets run their parts through
 * `NetParts`, under a child scope, so a ViT block's parameters are `blocks.<i>.*` by construction.
 */
import * as tf from '@tensorflow/tfjs';
import type { NetNode, NetTag } from '../../ir/net.js';
import type { Kernels } from '../legalize/index.js';

/** A lowered value: a tensor or a struct of them (a U-Net encoder's `{ skip1, ..., bottleneck }`). */
export type Lowered = tf.Tensor | { readonly [field: string]: Lowered };

/** Parameter tensors by full path (weights AND buffers). */
export type ParamTable = Readonly<Record<string, tf.Tensor>>;

/** Input values by port (`x` is the primary one). */
export type Inputs = Readonly<Record<string, Lowered>>;

/** How one call of `applyNet` runs. */
export interface NetContext {
  /** Batch norm: batch statistics (and running-stat updates) when training. */
  readonly training: boolean;
  /** New values of buffers (BN running stats, spectral-norm `u`), keyed by full path; the caller owns (and disposes) them. */
  readonly buffers: Map<string, tf.Tensor>;
  /** Path prefix of this call's params (`''` at the top, `'styleEncoder'` for a part). */
  readonly prefix: string;
  /** Kernel implementations; default `legalizeFor(tf.getBackend())`. */
  readonly kernels?: Kernels;
  /**
   * The batch is `groups` equal views concatenated (view batching, pass 5): batch-coupled layers
   * (BatchNorm) compute statistics per group, as if each view ran alone. Default 1.
   */
  readonly groups?: number;
}

/** Where a rule runs: its parameters (by path relative to the rule's net) and the kernels. */
export interface Scope {
  readonly kernels: Kernels;
  readonly training: boolean;
  /** Views concatenated in the batch (see `NetContext.groups`). */
  readonly groups: number;
  /** The parameter at a relative path (throws a clear error when it is missing). */
  readonly param: (path: string) => tf.Tensor;
  /** The scope of a part (`'blocks.0'`). */
  readonly at: (child: string) => Scope;
  /** Records the new value of a buffer at a relative path (kept out of `tf.tidy`). */
  readonly setBuffer: (path: string, value: tf.Tensor) => void;
}

/**
 * Any net through the whole rule table, for composite nets (Sequential, Generator) whose parts
 * are nets of any kind: `nets/index.ts` passes it to every rule, so no rule file imports the table.
 */
export interface NetParts {
  /** Applies a part in its scope. */
  readonly run: (net: NetNode, scope: Scope, inputs: Inputs) => Lowered;
}

/** One net kind's lowering. */
export interface NetRule<N extends NetNode> {
  /** Forward pass. */
  readonly apply: (net: N, scope: Scope, inputs: Inputs, parts: NetParts) => Lowered;
}

/** The exhaustive rule table: a missing net kind is a type error. */
export type NetRules = { readonly [K in NetTag]: NetRule<Extract<NetNode, { _tag: K }>> };

const join = (prefix: string, path: string): string => (prefix === '' ? path : `${prefix}.${path}`);

/** A scope over `params` under `prefix`. */
export const makeScope = (
  params: ParamTable,
  ctx: NetContext & { readonly kernels: Kernels },
): Scope => ({
  kernels: ctx.kernels,
  training: ctx.training,
  groups: ctx.groups ?? 1,
  param: (path) => {
    const full = join(ctx.prefix, path);
    const t = params[full];
    if (t === undefined) {
      const known = Object.keys(params).slice(0, 8).join(', ');
      throw new Error(
        `lowering: parameter "${full}" is missing\nhint: initialise it with initNet(net, seed); known: ${known}${Object.keys(params).length > 8 ? ', ...' : ''}`,
      );
    }
    return t;
  },
  at: (child) => makeScope(params, { ...ctx, prefix: join(ctx.prefix, child) }),
  setBuffer: (path, value) => {
    const full = join(ctx.prefix, path);
    const old = ctx.buffers.get(full);
    ctx.buffers.set(full, tf.keep(value));
    if (old !== undefined && old !== value) old.dispose();
  },
});

/** A scope whose parameters get no gradient (MoCo v3 `stop_grad_conv1`). */
export const frozenScope = (s: Scope): Scope => ({
  ...s,
  param: (path) => stopGradient(s.param(path)),
  at: (child) => frozenScope(s.at(child)),
});

/** Identity forward, zero gradient (TF.js has no stop-gradient op). */
export const stopGradient = (x: tf.Tensor): tf.Tensor =>
  tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: (args[0] as tf.Tensor).clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }))(x);

/** The tensor a port holds (throws a clear error for a missing port or a struct). */
export const port = (inputs: Inputs, name: string): tf.Tensor => {
  const v = inputs[name];
  if (v === undefined)
    throw new Error(
      `lowering: missing input port "${name}" (got ${Object.keys(inputs).join(', ') || 'none'})`,
    );
  if (!(v instanceof tf.Tensor))
    throw new Error(`lowering: port "${name}" holds a struct where a tensor is expected`);
  return v;
};
