/**
 * io-ts codecs of value expressions (`node.ts`) and losses (`loss.ts`), which refer to each other:
 * losses read values, values never contain losses.
 */
import type * as L from '../loss.js';
import * as V from '../node.js';
import { netCodec } from './nets.js';
import {
  dict,
  exactly,
  type Field,
  finite,
  list,
  nonNeg,
  obj,
  oneOf,
  positive,
  posInt,
  str,
  tagged,
  unit,
} from './primitives.js';
import { augCodec, multiBlockCodec, scheduleWithin } from './steps.js';

const positiveSchedule = scheduleWithin('values > 0', (x) => x > 0);

/** Codec of any `ValueExpr` (recursive). */
export const valueCodec: Field<V.ValueExpr> = tagged<V.ValueExpr>('value', () => ({
  Input: obj<V.Input>('Input', { _tag: exactly('Input'), name: oneOf('input', V.INPUT_NAMES) }),
  Ref: obj<V.Ref>('Ref', { _tag: exactly('Ref'), name: str }),
  View: obj<V.View>('View', {
    _tag: exactly('View'),
    name: str,
    source: valueCodec,
    pipeline: list(augCodec),
  }),
  Apply: obj<V.Apply>('Apply', {
    _tag: exactly('Apply'),
    module: str,
    path: list(str),
    inputs: dict(valueCodec),
  }),
  Fn: obj<V.Fn>('Fn', { _tag: exactly('Fn'), net: netCodec, inputs: dict(valueCodec) }),
  FieldOf: obj<V.FieldOf>('FieldOf', { _tag: exactly('FieldOf'), source: valueCodec, name: str }),
  StopGradient: obj<V.StopGradient>('StopGradient', {
    _tag: exactly('StopGradient'),
    source: valueCodec,
  }),
  Masks: obj<V.Masks>('Masks', { _tag: exactly('Masks'), name: str, spec: multiBlockCodec }),
  TokenMask: obj<V.TokenMask>('TokenMask', {
    _tag: exactly('TokenMask'),
    name: str,
    count: posInt,
    ratio: unit,
    bias: nonNeg,
  }),
  Gather: obj<V.Gather>('Gather', {
    _tag: exactly('Gather'),
    source: valueCodec,
    index: valueCodec,
  }),
  Permute: obj<V.Permute>('Permute', { _tag: exactly('Permute'), name: str, source: valueCodec }),
  Concat: obj<V.Concat>('Concat', { _tag: exactly('Concat'), sources: list(valueCodec) }),
  Memory: obj<V.Memory>('Memory', {
    _tag: exactly('Memory'),
    name: str,
    source: valueCodec,
    size: posInt,
    ratio: unit,
  }),
}));

const v = valueCodec;

/** Codec of any `LossNode`. */
export const lossCodec: Field<L.LossNode> = tagged<L.LossNode>('loss', () => ({
  InfoNCE: obj<L.InfoNCE>('InfoNCE', {
    _tag: exactly('InfoNCE'),
    query: v,
    key: v,
    temperature: positiveSchedule,
    scale: oneOf('scale', ['twoTau', 'none']),
  }),
  InfoNCEQueue: obj<L.InfoNCEQueue>('InfoNCEQueue', {
    _tag: exactly('InfoNCEQueue'),
    query: v,
    key: v,
    temperature: positiveSchedule,
    queueSize: posInt,
  }),
  SmoothL1: obj<L.SmoothL1>('SmoothL1', {
    _tag: exactly('SmoothL1'),
    pred: v,
    target: v,
    beta: nonNeg,
  }),
  L2: obj<L.L2>('L2', { _tag: exactly('L2'), pred: v, target: v }),
  L1: obj<L.L1>('L1', { _tag: exactly('L1'), pred: v, target: v }),
  LsganGenerator: obj<L.LsganGenerator>('LsganGenerator', {
    _tag: exactly('LsganGenerator'),
    fake: v,
  }),
  LsganDiscriminator: obj<L.LsganDiscriminator>('LsganDiscriminator', {
    _tag: exactly('LsganDiscriminator'),
    real: v,
    fake: v,
  }),
  R1: obj<L.R1>('R1', { _tag: exactly('R1'), module: str, real: v, gamma: nonNeg, every: posInt }),
  PatchNce: obj<L.PatchNce>('PatchNce', {
    _tag: exactly('PatchNce'),
    query: v,
    key: v,
    temperature: positive,
    patches: posInt,
  }),
  TokenL1: obj<L.TokenL1>('TokenL1', { _tag: exactly('TokenL1'), pred: v, target: v }),
  FftAmplitudeL1: obj<L.FftAmplitudeL1>('FftAmplitudeL1', {
    _tag: exactly('FftAmplitudeL1'),
    pred: v,
    target: v,
  }),
  SlicedWasserstein: obj<L.SlicedWasserstein>('SlicedWasserstein', {
    _tag: exactly('SlicedWasserstein'),
    pred: v,
    target: v,
    projections: posInt,
    patch: posInt,
    maxPatches: posInt,
    levels: posInt,
  }),
  VicregVariance: obj<L.VicregVariance>('VicregVariance', {
    _tag: exactly('VicregVariance'),
    x: v,
    gamma: nonNeg,
    eps: nonNeg,
  }),
  VicregCovariance: obj<L.VicregCovariance>('VicregCovariance', {
    _tag: exactly('VicregCovariance'),
    x: v,
  }),
  SpadeGate: obj<L.SpadeGate>('SpadeGate', {
    _tag: exactly('SpadeGate'),
    module: str,
    margin: nonNeg,
  }),
  MaskedTokenL2: obj<L.MaskedTokenL2>('MaskedTokenL2', {
    _tag: exactly('MaskedTokenL2'),
    pred: v,
    target: v,
    mask: v,
    weights: list(finite),
  }),
}));
