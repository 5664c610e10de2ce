/**
 * The JSON boundary of the IR: an io-ts codec for `Method`, so that a spec file and a TypeScript
 * definition are the same thing. Decoding never throws: any JSON, however broken, yields every
 * issue found (each with its JSON path), e.g.
 *
 * ```ts
 * decodeMethod(JSON.parse(text))   // Either<Issue[], Method>
 * parseMethodJson(text)            // same, from text (E_JSON when it does not parse)
 * encodeMethod(method)             // plain JSON data; decodeMethod(encodeMethod(m)) deep-equals m
 * ```
 *
 * Codes: `E_JSON` (not JSON / not an object), `E_MISSING_FIELD`, `E_TYPE` (wrong JSON type, an
 * unexpected field, a name outside a fixed set), `E_UNKNOWN_TAG` (the message lists the known
 * tags), `E_RANGE` (zero or negative sizes, probabilities outside `[0, 1]`, unordered ranges...).
 */
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { type Issue, issue } from './issue.js';
import type {
  AdaptiveWeight,
  EmaSpec,
  FoldSpec,
  InputSpec,
  Method,
  ModuleDecl,
  Objective,
  Phase,
  Representation,
  Term,
  TrainingSpec,
  ValueDecl,
} from './node.js';
import { netCodec } from './codecs/nets.js';
import {
  exactly,
  type FailureInfo,
  type Field,
  isObject,
  list,
  nonNeg,
  nonNegInt,
  obj,
  optional,
  positive,
  posInt,
  str,
} from './codecs/primitives.js';
import { optimizerCodec, scheduleCodec, scheduleWithin } from './codecs/steps.js';
import { lossCodec, valueCodec } from './codecs/values.js';

export {
  augCodec,
  multiBlockCodec,
  optimizerCodec,
  OPTIMIZER_TAGS,
  scheduleCodec,
  SCHEDULE_TAGS,
} from './codecs/steps.js';
export { lossCodec, valueCodec } from './codecs/values.js';
export { netCodec } from './codecs/nets.js';

const moduleDecl = obj<ModuleDecl>('module', {
  name: str,
  net: netCodec,
  ema: optional(
    obj<EmaSpec>('ema', {
      source: str,
      momentum: scheduleWithin('values in [0, 1]', (x) => x >= 0 && x <= 1),
      alsoAfter: optional(list(str)),
    }),
  ),
  frozen: list(str),
});

const objective = obj<Objective>('objective', {
  name: str,
  terms: list(
    obj<Term>('term', {
      name: str,
      loss: lossCodec,
      weight: scheduleCodec,
      adaptive: optional(
        obj<AdaptiveWeight>('adaptive', {
          target: positive,
          rate: nonNeg,
          min: positive,
          max: positive,
          every: posInt,
        }),
      ),
    }),
  ),
  optimizer: optimizerCodec,
  params: list(str),
  every: posInt,
  offset: nonNegInt,
  phases: list(str),
});

/** The io-ts codec of a whole `Method`. */
export const methodCodec: Field<Method> = obj<Method>('method', {
  _tag: exactly('Method'),
  name: str,
  input: obj<InputSpec>('input', { size: posInt, channels: posInt }),
  training: obj<TrainingSpec>('training', {
    batch: posInt,
    steps: posInt,
    folds: optional(obj<FoldSpec>('folds', { k: posInt, rotateEvery: posInt })),
  }),
  modules: list(moduleDecl),
  values: list(obj<ValueDecl>('value binding', { name: str, value: valueCodec })),
  objectives: list(objective),
  phases: list(obj<Phase>('phase', { name: str, steps: posInt })),
  representations: list(obj<Representation>('representation', { name: str, value: valueCodec })),
});

const pathOf = (context: t.Context): ReadonlyArray<string | number> =>
  context.slice(1).map((entry) => (/^\d+$/.test(entry.key) ? Number(entry.key) : entry.key));

const toIssue = (error: t.ValidationError): Issue => {
  const path = pathOf(error.context);
  let info: FailureInfo | undefined;
  try {
    info = error.message === undefined ? undefined : (JSON.parse(error.message) as FailureInfo);
  } catch {
    info = undefined;
  }
  if (info === undefined) return issue('E_TYPE', path, error.message ?? 'invalid value');
  const { code, message, ...extra } = info;
  return issue(code, path, message, extra);
};

/** Decodes a parsed JSON value (or a TypeScript value) into a `Method`, collecting every issue. */
export const decodeMethod = (json: unknown): E.Either<ReadonlyArray<Issue>, Method> => {
  if (!isObject(json)) {
    return E.left([
      issue('E_JSON', [], 'a method spec must be a JSON object', {
        expected: 'an object with "_tag": "Method"',
        got: Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json,
      }),
    ]);
  }
  return E.mapLeft((errors: t.Errors) => errors.map(toIssue))(methodCodec.decode(json));
};

/** Parses JSON text then decodes it; a syntax error is one `E_JSON` issue naming the position. */
export const parseMethodJson = (text: string): E.Either<ReadonlyArray<Issue>, Method> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return E.left([
      issue('E_JSON', [], `not valid JSON: ${(e as Error).message}`, {
        hint: 'check for trailing commas, comments or unquoted keys',
      }),
    ]);
  }
  return decodeMethod(json);
};

/** A method as plain JSON data (`JSON.stringify`-ready); the inverse of `decodeMethod`. */
export const encodeMethod = (method: Method): unknown => methodCodec.encode(method);
