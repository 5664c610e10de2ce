/**
 * The `Net` namespace: every network constructor, and `seq` (typed sequential composition).
 */
import { asNet, type Any, type Check, type Net as NetT, type Then, type Ty } from '../types.js';
import * as layers from './layers.js';
import * as storm from './storm.js';
import * as vision from './vision.js';

type N<I extends Ty, O extends Ty> = NetT<I, O, string>;
const sequential = (ls: ReadonlyArray<NetT>): NetT<Any, Any, 'Sequential'> =>
  ls.length === 0
    ? (() => {
        throw new Error(
          'Net.seq: needs at least one layer\nhint: Net.seq(Net.linear(...), Net.relu, ...)',
        );
      })()
    : asNet({ _tag: 'Sequential', layers: ls });

/**
 * Sequential composition, checked by `tsc`: each layer's output kind and literal dim must fit the
 * next layer's input (a plain `number` dim fits anything). Parameter paths are `<index>.<path>`.
 * Typed for 2 to 5 layers; use `Net.seqOf(array)` for longer or computed lists (unchecked types).
 * @example
 * ```ts
 * const head = Net.seq(Net.linear({ in: 256, out: 512 }), Net.gelu, Net.linear({ in: 512, out: 10 }));
 * // Net.seq(Net.linear({ in: 8, out: 4096 }), Net.linear({ in: 256, out: 2 })) does not compile
 * ```
 */
export function seq<A extends Ty, B extends Ty, B2 extends Ty, C extends Ty>(
  a: N<A, B>,
  b: N<B2, C> & Check<B, B2>,
): NetT<A, Then<B, C>, 'Sequential'>;
export function seq<
  A extends Ty,
  B extends Ty,
  B2 extends Ty,
  C extends Ty,
  C2 extends Ty,
  D extends Ty,
>(
  a: N<A, B>,
  b: N<B2, C> & Check<B, B2>,
  c: N<C2, D> & Check<Then<B, C>, C2>,
): NetT<A, Then<Then<B, C>, D>, 'Sequential'>;
export function seq<
  A extends Ty,
  B extends Ty,
  B2 extends Ty,
  C extends Ty,
  C2 extends Ty,
  D extends Ty,
  D2 extends Ty,
  E extends Ty,
>(
  a: N<A, B>,
  b: N<B2, C> & Check<B, B2>,
  c: N<C2, D> & Check<Then<B, C>, C2>,
  d: N<D2, E> & Check<Then<Then<B, C>, D>, D2>,
): NetT<A, Then<Then<Then<B, C>, D>, E>, 'Sequential'>;
export function seq<
  A extends Ty,
  B extends Ty,
  B2 extends Ty,
  C extends Ty,
  C2 extends Ty,
  D extends Ty,
  D2 extends Ty,
  E extends Ty,
  E2 extends Ty,
  F extends Ty,
>(
  a: N<A, B>,
  b: N<B2, C> & Check<B, B2>,
  c: N<C2, D> & Check<Then<B, C>, C2>,
  d: N<D2, E> & Check<Then<Then<B, C>, D>, D2>,
  e: N<E2, F> & Check<Then<Then<Then<B, C>, D>, E>, E2>,
): NetT<A, Then<Then<Then<Then<B, C>, D>, E>, F>, 'Sequential'>;
export function seq(...ls: ReadonlyArray<NetT>): NetT {
  return sequential(ls);
}

/**
 * Sequential composition of a computed list; the types are not checked (`Net<Any, Any>`), the shape
 * pass checks the dims.
 * @example
 * ```ts
 * const deep = Net.seqOf([1, 2, 3].map(() => Net.transformerBlock({ dim: 64, heads: 4 })));
 * ```
 */
export const seqOf = (ls: ReadonlyArray<NetT>): NetT<Any, Any, 'Sequential'> => sequential(ls);

/**
 * The `Net` namespace: layers, backbones, ST-STORM networks and `seq` (predictors are in `Predictor`).
 * @example
 * ```ts
 * const backbone = Net.vit({ imageSize: 32, patch: 4, dim: 128, depth: 4, heads: 4 });
 * const projector = Net.mlp({ in: 128, hidden: 512, out: 64, layers: 3, lastNorm: 'batchNoAffine' });
 * const encoder = Net.seq(backbone, projector); // Net<Img<3>, Vec<64>>
 * ```
 */
export const Net = {
  linear: layers.linear,
  mlp: layers.mlp,
  conv2d: layers.conv2d,
  batchNorm: layers.batchNorm,
  layerNorm: layers.layerNorm,
  instanceNorm: layers.instanceNorm,
  activation: layers.activation,
  ...layers.activations,
  pool: layers.pool,
  field: layers.field,
  l2Normalize: layers.l2Normalize,
  flatten: layers.flatten,
  patchEmbed: vision.patchEmbed,
  attention: vision.attention,
  transformerBlock: vision.transformerBlock,
  vit: vision.vit,
  resnet: vision.resnet,
  resnet18: vision.resnet18,
  resnet50: vision.resnet50,
  resnetTiny: vision.resnetTiny,
  unetEncoder: storm.unetEncoder,
  styleEncoder: storm.styleEncoder,
  spadeResBlock: storm.spadeResBlock,
  unetDecoder: storm.unetDecoder,
  generator: storm.generator,
  patchGan: storm.patchGan,
  fusionHead: storm.fusionHead,
  seq,
  seqOf,
} as const;

/** A typed network: an IR `NetNode` with phantom input, output and architecture (see `dsl/types.ts`). */
export type Net<In extends Ty = Ty, Out extends Ty = Ty, Arch extends string = string> = NetT<
  In,
  Out,
  Arch
>;
