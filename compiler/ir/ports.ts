/**
 * What a net accepts: its input ports (required and optional) and its addressable parts
 * (`Apply.path`). Mirrors the conventions of `compiler/passes/shapes/README.md`: `x` is the
 * primary port; a Generator's parts are `encoder`, `styleEncoder`, `decoder`; a Sequential's parts
 * are its layer indices.
 */
import type { NetNode } from './net.js';

/** The ports of a net: `required` must all be given, `optional` may be. */
export interface Ports {
  readonly required: ReadonlyArray<string>;
  readonly optional: ReadonlyArray<string>;
}

const only = (...required: ReadonlyArray<string>): Ports => ({ required, optional: [] });

/** The input ports of `net` (a Sequential takes the ports of its first layer). */
export const netPorts = (net: NetNode): Ports => {
  switch (net._tag) {
    case 'Vit':
      return { required: ['x'], optional: ['keep'] };
    case 'SpadeResBlock':
      return only('x', 'map', 'token');
    case 'UNetDecoder':
      return only('content', 'style');
    case 'Generator':
      return only('x', 'style');
    case 'TransformerPredictor':
      return only('x', 'context', 'targets');
    case 'FusionHead':
      return only('style', 'content');
    case 'Sequential':
      return net.layers[0] === undefined ? only('x') : netPorts(net.layers[0]);
    default:
      return only('x');
  }
};

/** A Generator's parts, in parameter order. */
export const GENERATOR_PARTS = ['encoder', 'styleEncoder', 'decoder'] as const;

/** The names of the parts of `net` that `Apply.path` may address (empty for leaf nets). */
export const netParts = (net: NetNode): ReadonlyArray<string> =>
  net._tag === 'Generator'
    ? GENERATOR_PARTS
    : net._tag === 'Sequential'
      ? net.layers.map((_, i) => String(i))
      : [];

/** The part of `net` at `path`, or the index in `path` of the first segment that names nothing. */
export const subNet = (
  net: NetNode,
  path: ReadonlyArray<string>,
): { readonly net: NetNode } | { readonly bad: number } => {
  let current = net;
  for (const [i, segment] of path.entries()) {
    if (!netParts(current).includes(segment)) return { bad: i };
    current =
      current._tag === 'Generator'
        ? current[segment as (typeof GENERATOR_PARTS)[number]]
        : ((current as Extract<NetNode, { _tag: 'Sequential' }>).layers[
            Number(segment)
          ] as NetNode);
  }
  return { net: current };
};

/**
 * True when `net` has trainable parameters or state (BatchNorm statistics), i.e. it needs a named
 * module; parameter-free nets (activations, pooling, field access, L2-normalise, flatten, norms
 * without affine other than batch norm) may be applied inline with `Fn`. Counting the parameters
 * is shape inference's job; this only says whether there are any.
 */
export const hasParams = (net: NetNode): boolean => {
  switch (net._tag) {
    case 'Activation':
    case 'Pool':
    case 'Field':
    case 'L2Normalize':
    case 'Flatten':
      return false;
    case 'Norm':
      return net.affine || net.kind === 'batch';
    case 'Sequential':
      return net.layers.some(hasParams);
    default:
      return true;
  }
};
