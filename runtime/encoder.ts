/**
 * Exported encoders: the weights of the modules one representation reads, alone, in a
 * `.safetensors` file whose tensor names are the parameter paths (`backbone/blocks.0.attn.qkv.weight`),
 * and next to it `FILE.json`, the spec of that encoder: a method with only those modules (EMA
 * links dropped), no objectives, and the representation's value expression (named values
 * inlined). Any safetensors reader reads the weights; `loadEncoder` rebuilds the encoder and
 * embeds images.
 *
 * ```ts
 * const enc = await loadEncoder('moco-backbone.safetensors');   // reads moco-backbone.json too
 * const features = enc.embed(images);                           // images [n, size, size, 3] in [0, 1] -> [n, d]
 * enc.dispose();
 * ```
 * This is the `Method.loadEncoder` of the issue: `dsl/` must not import TF.js, so the loader lives
 * here and is exported as `loadEncoder`.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compile, compileGraph } from './compile.js';
import { rewriteValue, subExpressions } from '../compiler/ir/children.js';
import { subNet } from '../compiler/ir/ports.js';
import type { Method, ModuleDecl, Representation, ValueExpr } from '../compiler/ir/node.js';
import type { BackendName } from './backend.js';
import { writeFileAtomic } from './checkpoint/atomicWrite.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  type NamedTensor,
} from './checkpoint/safetensors.js';
import { loadWeights } from './restore.js';
import { specHash } from './specHash.js';

/** The content of the `.json` next to an exported `.safetensors`. */
export interface EncoderFile {
  readonly format: 'tessera-encoder';
  readonly version: 1;
  readonly representation: string;
  /** The method it was exported from, and the hash of that method's spec. */
  readonly source: { readonly method: string; readonly specHash: string; readonly step?: number };
  /** The weights file name (same folder). */
  readonly weights: string;
  /** The encoder as a method: its modules, no objectives, one representation. */
  readonly spec: Method;
}

/** A loaded encoder. */
export interface Encoder {
  readonly representation: string;
  /** Expected input: `[n, size, size, channels]` images in `[0, 1]`. */
  readonly input: Method['input'];
  readonly spec: EncoderFile;
  /** Frozen features `[n, d]` of images `[n, size, size, 3]` in `[0, 1]`; the caller disposes them. */
  embed(images: tf.Tensor4D): tf.Tensor2D;
  /** Frees the weights. */
  dispose(): void;
}

/** Replaces every `Ref` in `expr` by the named value's expression (recursively). */
const inline = (
  expr: ValueExpr,
  values: ReadonlyMap<string, ValueExpr>,
  seen: ReadonlySet<string> = new Set(),
): ValueExpr =>
  rewriteValue(expr, (e) => {
    if (e._tag !== 'Ref') return e;
    const v = values.get(e.name);
    if (v === undefined || seen.has(e.name))
      throw new Error(`encoder spec: value "${e.name}" is undefined or refers to itself`);
    return inline(v, values, new Set([...seen, e.name]));
  });

/** The module applications of an expression (refs inlined first). */
const appliesOf = (expr: ValueExpr): ReadonlyArray<Extract<ValueExpr, { _tag: 'Apply' }>> =>
  subExpressions(expr).flatMap((e) => (e._tag === 'Apply' ? [e] : []));

/** For each module, the distinct part paths (`styleEncoder`, or `''` for the whole net) an expression applies. */
const partsOf = (expr: ValueExpr): Map<string, Set<string>> => {
  const into = new Map<string, Set<string>>();
  for (const a of appliesOf(expr))
    into.set(a.module, (into.get(a.module) ?? new Set<string>()).add(a.path.join('.')));
  return into;
};

/** The expression with every application of a module in `narrowed` made whole-net (`path: []`). */
const wholeNets = (expr: ValueExpr, narrowed: ReadonlySet<string>): ValueExpr =>
  rewriteValue(expr, (e) =>
    e._tag === 'Apply' && narrowed.has(e.module) ? { ...e, path: [] } : e,
  );

/** An encoder: its spec, and per module the parameter-path prefix of the part it keeps (`''`: all). */
interface EncoderParts {
  readonly spec: Method;
  readonly prefixes: ReadonlyMap<string, string>;
}

const encoderParts = (method: Method, representation: string): EncoderParts => {
  const rep = method.representations.find((r) => r.name === representation);
  if (rep === undefined) {
    throw new Error(
      `unknown representation "${representation}" in "${method.name}"\nhint: one of ${method.representations.map((r) => r.name).join(', ')}`,
    );
  }
  const inlined = inline(rep.value, new Map(method.values.map((v) => [v.name, v.value])));
  const parts = partsOf(inlined);
  const prefixes = new Map<string, string>();
  const modules: ModuleDecl[] = method.modules
    .filter((d) => parts.has(d.name))
    .map(({ ema: _ema, ...d }) => {
      const used = [...(parts.get(d.name) ?? new Set(['']))];
      const part =
        used.length === 1 && used[0] !== '' ? subNet(d.net, used[0]!.split('.')) : undefined;
      if (part === undefined || !('net' in part)) {
        prefixes.set(d.name, '');
        return d;
      }
      // only one part of the module is read (ST-STORM's style encoder of the teacher generator)
      prefixes.set(d.name, `${used[0]}.`);
      return { ...d, net: part.net, frozen: [] };
    });
  const narrowed = new Set([...prefixes].filter(([, p]) => p !== '').map(([m]) => m));
  const value = wholeNets(inlined, narrowed);
  const representations: ReadonlyArray<Representation> = [{ name: rep.name, value }];
  const spec = {
    ...method,
    name: `${method.name}/${representation}`,
    modules,
    values: [],
    objectives: [],
    phases: [],
    representations,
  };
  return { spec, prefixes };
};

/**
 * The spec of the encoder behind `representation`: the modules its value applies (an EMA module
 * becomes a plain module; a module of which only one part is applied, e.g. a generator's
 * `styleEncoder`, becomes that part), the value with named values inlined, no objectives. Throws
 * on an unknown representation, listing the known ones.
 */
export const encoderSpec = (method: Method, representation: string): Method =>
  encoderParts(method, representation).spec;

/** The saved weights an encoder keeps, renamed to its own parameter paths (`module/path`). */
const encoderWeights = (
  weights: Readonly<Record<string, NamedTensor>>,
  prefixes: ReadonlyMap<string, string>,
): Record<string, NamedTensor> => {
  const out: Record<string, NamedTensor> = {};
  for (const [name, t] of Object.entries(weights)) {
    const slash = name.indexOf('/');
    const prefix = prefixes.get(name.slice(0, slash));
    const path = name.slice(slash + 1);
    if (prefix !== undefined && path.startsWith(prefix))
      out[`${name.slice(0, slash)}/${path.slice(prefix.length)}`] = t;
  }
  return out;
};

/** `x.safetensors` -> `x.json` (any other name gets `.json` appended). */
export const encoderSpecPath = (weightsFile: string): string =>
  weightsFile.endsWith('.safetensors')
    ? `${weightsFile.slice(0, -'.safetensors'.length)}.json`
    : `${weightsFile}.json`;

/**
 * Writes the encoder of `representation` from a method and its saved weights (`module/path` ->
 * tensor, e.g. a checkpoint's `weights`) to `out` (`.safetensors`) and its spec to `out`'s `.json`.
 * Only the modules (or module parts) the representation applies are written. Returns the tensor names written.
 */
export const exportEncoder = async (
  method: Method,
  weights: Readonly<Record<string, NamedTensor>>,
  representation: string,
  out: string,
  step?: number,
): Promise<ReadonlyArray<string>> => {
  const { spec, prefixes } = encoderParts(method, representation);
  compileGraph(spec); // throws CheckError if the encoder alone does not check
  const tensors = encoderWeights(weights, prefixes);
  const hash = specHash(method);
  await writeFileAtomic(
    out,
    encodeSafetensors(tensors, { format: 'tessera-encoder', representation, specHash: hash }),
  );
  const file: EncoderFile = {
    format: 'tessera-encoder',
    version: 1,
    representation,
    weights: basename(out),
    source: { method: method.name, specHash: hash, ...(step !== undefined ? { step } : {}) },
    spec,
  };
  await writeFileAtomic(encoderSpecPath(out), `${JSON.stringify(file, null, 2)}\n`);
  return Object.keys(tensors);
};

const readEncoderFile = async (path: string): Promise<EncoderFile> => {
  let value: Partial<EncoderFile>;
  try {
    value = JSON.parse(await readFile(path, 'utf8')) as Partial<EncoderFile>;
  } catch (e) {
    throw new Error(
      `cannot read the encoder spec ${path}: ${(e as Error).message}\nhint: export writes it next to the .safetensors file (tessera export)`,
    );
  }
  if (
    value.format !== 'tessera-encoder' ||
    typeof value.representation !== 'string' ||
    typeof value.weights !== 'string' ||
    value.spec === undefined
  ) {
    throw new Error(
      `${path} is not a tessera encoder spec (needs format "tessera-encoder", representation, weights, spec)`,
    );
  }
  return value as EncoderFile;
};

/**
 * Loads an exported encoder from its `.safetensors` file (or its `.json`), on `backend` (default
 * `wasm`). Throws when a file is missing or the weights do not match the spec.
 */
export const loadEncoder = async (
  file: string,
  options: { readonly backend?: BackendName } = {},
): Promise<Encoder> => {
  const specFile = file.endsWith('.json') ? file : encoderSpecPath(file);
  const meta = await readEncoderFile(specFile);
  const weightsFile = join(dirname(specFile), meta.weights);
  const { tensors } = decodeSafetensors(await readFile(weightsFile));
  const compiled = await compile(meta.spec, { backend: options.backend ?? 'wasm' });
  compiled.init(0);
  try {
    loadWeights(compiled, tensors, weightsFile);
  } catch (e) {
    compiled.dispose();
    throw e;
  }
  return {
    representation: meta.representation,
    input: meta.spec.input,
    spec: meta,
    embed: (images) => compiled.embed(meta.representation, images),
    dispose: () => compiled.dispose(),
  };
};
