/**
 * The exhaustive rule table over every `NetNode` kind (a missing kind is a type error), and the
 * entry points built on it: `inferNet`, `subNet` (and `netParams`, from the parameter table).
 */
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { ParamInfo, SpecPath } from '../../ir/graph.js';
import { issue, type Issue } from '../../ir/issue.js';
import type { NetNode, NetTag } from '../../ir/net.js';
import { GENERATOR_PARTS, subNet as partAt } from '../../ir/ports.js';
import type { ValueType } from '../../ir/types.js';
import { conv2dRule } from './conv.js';
import { activationRule, linearRule, mlpRule, normRule } from './dense.js';
import type { DimEnv } from './dims.js';
import { generatorRule, patchGanRule } from './gan.js';
import { netParams } from '../../ir/params/index.js';

export { netParams };
import { fusionHeadRule, tokenPredictorRule, transformerPredictorRule } from './predictor.js';
import { resnetRule } from './resnet.js';
import type { InferResult, Ports, Rule, RuleContext } from './rule.js';
import { spadeResBlockRule } from './spade.js';
import { fieldRule, flattenRule, l2NormalizeRule, poolRule, sequentialRule } from './structural.js';
import { attentionRule, patchEmbedRule, transformerBlockRule, vitRule } from './transformer.js';
import { stylePyramidEncoderRule, unetDecoderRule, unetEncoderRule } from './unet.js';

/** One rule per net tag. */
export type RuleTable = { readonly [K in NetTag]: Rule<Extract<NetNode, { _tag: K }>> };

/** The shape rules of every net kind. */
export const NET_RULES: RuleTable = {
  Linear: linearRule,
  Mlp: mlpRule,
  Conv2d: conv2dRule,
  Norm: normRule,
  Activation: activationRule,
  PatchEmbed: patchEmbedRule,
  Attention: attentionRule,
  TransformerBlock: transformerBlockRule,
  Vit: vitRule,
  ResNet: resnetRule,
  UNetEncoder: unetEncoderRule,
  StylePyramidEncoder: stylePyramidEncoderRule,
  SpadeResBlock: spadeResBlockRule,
  UNetDecoder: unetDecoderRule,
  Generator: generatorRule,
  PatchGan: patchGanRule,
  Sequential: sequentialRule,
  Pool: poolRule,
  Field: fieldRule,
  L2Normalize: l2NormalizeRule,
  Flatten: flattenRule,
  TransformerPredictor: transformerPredictorRule,
  TokenPredictor: tokenPredictorRule,
  FusionHead: fusionHeadRule,
};

const ruleOf = (net: NetNode): Rule<NetNode> => NET_RULES[net._tag] as Rule<NetNode>;

/** Missing and unexpected ports of a net: E_PORT. */
const portIssues = (net: NetNode, inputs: Ports, path: SpecPath): ReadonlyArray<Issue> => {
  const spec = ruleOf(net).ports;
  const known = [...spec.required, ...(spec.optional ?? [])];
  const missing = spec.required.filter((p) => inputs[p] === undefined);
  const extra = spec.passThrough ? [] : Object.keys(inputs).filter((p) => !known.includes(p));
  return [
    ...missing.map((p) =>
      issue('E_PORT', path, `${net._tag} needs input port '${p}'`, {
        expected: known.join(', '),
        got: Object.keys(inputs).join(', ') || 'no ports',
        hint: `pass ${p}: <value>`,
      }),
    ),
    ...extra.map((p) =>
      issue('E_PORT', path, `${net._tag} has no input port '${p}'`, {
        expected: known.join(', '),
        got: p,
        hint: `ports of ${net._tag}: ${known.join(', ')}`,
      }),
    ),
  ];
};

/** Options of `inferNet`. */
export interface InferOptions {
  /** Values of symbols other than `B` for FLOP counting (e.g. `Kctx`). */
  readonly dims?: DimEnv;
  /** Where each port's value comes from (e.g. `{ x: 'projector' }`), for messages and hints. */
  readonly sources?: Readonly<Record<string, string>>;
}

const inferWith = (env: DimEnv, sources: Readonly<Record<string, string>>) => {
  const go = (net: NetNode, inputs: Ports, path: SpecPath, top: boolean): InferResult => {
    const ports = portIssues(net, inputs, path);
    if (ports.length > 0) return left(ports);
    const ctx: RuleContext = {
      path,
      env,
      source: (p) => (top ? sources[p] : undefined),
      infer: (n, i, p) =>
        go(n, i, p, top && n === (net._tag === 'Sequential' ? net.layers[0] : undefined)),
      params: netParams,
    };
    return ruleOf(net).infer(net, inputs, ctx);
  };
  return go;
};

/** What `inferNet` learns about a net applied to typed inputs. */
export interface NetInfo {
  readonly output: ValueType;
  readonly params: ReadonlyArray<ParamInfo>;
  /** Forward FLOPs at `batch` (multiply-add = 2). */
  readonly flops: number;
}

/**
 * Shape inference for one net: the output type of `net` on `inputs` (by port; `x` primary),
 * its parameters and its forward FLOPs with `B = batch`. Issues are located at `path`.
 */
export const inferNet = (
  net: NetNode,
  inputs: Ports,
  path: SpecPath,
  batch: number,
  options: InferOptions = {},
): Either<ReadonlyArray<Issue>, NetInfo> => {
  const r = inferWith({ ...options.dims, B: batch }, options.sources ?? {})(
    net,
    inputs,
    path,
    true,
  );
  return r._tag === 'Left'
    ? r
    : right({ output: r.right.output, params: netParams(net), flops: r.right.flops });
};

/**
 * The part of a composite net at `path` and its parameter prefix: a Generator's `encoder`,
 * `styleEncoder`, `decoder`; a Sequential's `<i>`. An empty path is the net itself (prefix '').
 */
export const subNet = (
  net: NetNode,
  path: ReadonlyArray<string>,
): Either<string, { readonly net: NetNode; readonly prefix: string }> => {
  const part = partAt(net, path);
  if ('net' in part) return right({ net: part.net, prefix: path.join('.') });
  const done = path.slice(0, part.bad);
  const parent = partAt(net, done);
  const cur = 'net' in parent ? parent.net : net;
  const parts =
    cur._tag === 'Generator'
      ? GENERATOR_PARTS.join(', ')
      : cur._tag === 'Sequential'
        ? `0..${cur.layers.length - 1}`
        : 'none';
  return left(
    `${cur._tag}${done.length ? ` at '${done.join('.')}'` : ''} has no part '${path[part.bad] ?? ''}' (parts: ${parts})`,
  );
};
