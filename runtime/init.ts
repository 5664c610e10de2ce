/**
 * Initialising a module from weights (`tessera train --init MODULE=FILE.safetensors`): the authors'
 * recipe starts ST-STORM's semantic ResNet from a MoCo v3 checkpoint (`--sem_pretrained_path`).
 * The file is any safetensors file, e.g. one written by `tessera export`, whose tensor names are
 * `module/path`. Names are matched to the module's parameter paths after an optional key map
 * (prefix rewrites, longest prefix first); without one, a file that holds one module's tensors
 * (`backbone/...`) has that prefix dropped. Every missing, extra or mis-shaped tensor is named in
 * one error. EMA modules that follow the initialised module (its key encoder) get the same weights.
 *
 * ```ts
 * const compiled = await compile(stStorm({ preset: 'tiny' }));
 * compiled.init(0);
 * await initModules(compiled, [{ module: 'semBackbone', file: 'moco-backbone.safetensors' }]);
 * ```
 */
import { readFile } from 'node:fs/promises';
import type { CompiledMethod } from './compiled.js';
import { decodeSafetensors, type NamedTensor } from './checkpoint/safetensors.js';
import { toTensor } from './checkpoint/checkpoint.js';

/** One `--init`: the module, the file, and an optional key map `{ fileNamePrefix: modulePathPrefix }`. */
export interface ModuleInit {
  readonly module: string;
  readonly file: string;
  readonly keyMap?: Readonly<Record<string, string>>;
}

/** A file that does not fit the module; the message lists every problem and a hint. */
export class InitError extends Error {
  override readonly name = 'InitError';
}

const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);
const shown = (s: ReadonlyArray<number>): string => `[${s.join(', ')}]`;

/** The file's names as module paths: through the key map, or with the single `prefix/` dropped. */
export const renameTensors = (
  names: ReadonlyArray<string>,
  keyMap: Readonly<Record<string, string>> | undefined,
): ReadonlyMap<string, string> => {
  if (keyMap !== undefined) {
    const rules = Object.entries(keyMap).sort((a, b) => b[0].length - a[0].length);
    return new Map(
      names.map((n) => {
        const rule = rules.find(([from]) => n.startsWith(from));
        return [rule === undefined ? n : rule[1] + n.slice(rule[0].length), n];
      }),
    );
  }
  const prefixes = new Set(
    names.map((n) => (n.includes('/') ? n.slice(0, n.indexOf('/') + 1) : '')),
  );
  const [only] = prefixes;
  const drop = prefixes.size === 1 && only !== undefined ? only.length : 0;
  return new Map(names.map((n) => [n.slice(drop), n]));
};

/** The problems of matching `tensors` (by module path) to `params` (path -> shape), one line each. */
export const initProblems = (
  params: ReadonlyMap<string, ReadonlyArray<number>>,
  tensors: ReadonlyMap<string, NamedTensor>,
  sourceName: (path: string) => string,
): ReadonlyArray<string> => [
  ...[...params].flatMap(([path, shape]) => {
    const t = tensors.get(path);
    if (t === undefined) return [`missing: "${path}" ${shown(shape)}`];
    return sameShape(t.shape, shape)
      ? []
      : [`mis-shaped: "${sourceName(path)}" is ${shown(t.shape)}, "${path}" needs ${shown(shape)}`];
  }),
  ...[...tensors.keys()]
    .filter((p) => !params.has(p))
    .map((p) => `extra: "${sourceName(p)}" ${shown(tensors.get(p)!.shape)} matches no parameter`),
];

/** Loads one module's parameters (and buffers) from `init.file`; throws `InitError` listing every problem. */
export const initModule = async (compiled: CompiledMethod, init: ModuleInit): Promise<void> => {
  const vars = compiled.variables();
  const prefix = `${init.module}/`;
  const own = Object.entries(vars).filter(([k]) => k.startsWith(prefix));
  if (own.length === 0) {
    const modules = [...new Set(Object.keys(vars).map((k) => k.slice(0, k.indexOf('/'))))];
    throw new InitError(
      `--init ${init.module}=${init.file}: the method has no module "${init.module}" with parameters\nhint: modules: ${modules.join(', ')}`,
    );
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(init.file);
  } catch (e) {
    throw new InitError(
      `--init ${init.module}=${init.file}: cannot read the file (${(e as Error).message})\nhint: tessera export --run DIR --representation NAME --out FILE.safetensors writes one`,
    );
  }
  const { tensors } = decodeSafetensors(bytes);
  const renamed = renameTensors(Object.keys(tensors), init.keyMap);
  const byPath = new Map([...renamed].map(([path, name]) => [path, tensors[name]!]));
  const params = new Map(own.map(([k, v]) => [k.slice(prefix.length), v.shape]));
  const problems = initProblems(params, byPath, (p) => renamed.get(p) ?? p);
  if (problems.length > 0) {
    throw new InitError(
      `--init ${init.module}=${init.file}: the file does not fit module "${init.module}" (${problems.length} problems)\n${problems.map((p) => `  ${p}`).join('\n')}\nhint: train the same net (e.g. mocoV3 { backbone: 'resnet' } for a tiny ResNet), or map names with a key map (--init-map ${init.module}=MAP.json, { "filePrefix/": "modulePathPrefix" })`,
    );
  }
  const followers = compiled.graph.method.modules
    .filter((d) => d.ema?.source === init.module)
    .map((d) => d.name);
  for (const [path] of params) {
    const t = toTensor(byPath.get(path)!);
    for (const m of [init.module, ...followers]) vars[`${m}/${path}`]?.assign(t);
    t.dispose();
  }
};

/** Applies every `--init` in order (after `compiled.init(seed)`, before any step). */
export const initModules = async (
  compiled: CompiledMethod,
  inits: ReadonlyArray<ModuleInit>,
): Promise<void> => {
  for (const i of inits) await initModule(compiled, i);
};
