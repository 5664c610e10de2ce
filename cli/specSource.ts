/**
 * Where a CLI command gets a method spec from: a `.json` file, a TypeScript/JavaScript module
 * exporting a method (default export or a named `method`; loaded with `import()`; a `.ts` file
 * Node cannot run itself goes through `tsx`, found from the spec's folder: the user's project
 * installs it, tessera does not depend on it), or a library method (`--method moco-v3 --preset tiny`, or `moco-v3:tiny` where a
 * file is expected). The result is undecoded: `checkMethod`/`decodeMethod` report what is wrong.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Issue, issue } from '../compiler/ir/issue.js';
import { isMethodName, methodNames, methods, type Preset } from '../library/index.js';

/** A loaded spec (still to be decoded), or why it could not be loaded. */
export type Loaded =
  | { readonly ok: true; readonly spec: unknown; readonly name: string }
  | { readonly ok: false; readonly issues: ReadonlyArray<Issue>; readonly name: string }
  | { readonly ok: false; readonly error: string; readonly code: 1 | 2 };

const PRESETS: ReadonlyArray<Preset> = ['paper', 'tiny'];

/** A library method by name and preset (`paper` by default). */
export const fromLibrary = (name: string, preset: string | undefined): Loaded => {
  if (!isMethodName(name)) {
    return {
      ok: false,
      code: 2,
      error: `unknown method "${name}"\nhint: one of ${methodNames.join(', ')}`,
    };
  }
  const p = preset ?? 'paper';
  if (!(PRESETS as ReadonlyArray<string>).includes(p)) {
    return {
      ok: false,
      code: 2,
      error: `unknown preset "${p}" for ${name}\nhint: one of ${PRESETS.join(', ')}`,
    };
  }
  return { ok: true, spec: methods[name](p as Preset), name: `${name} (${p})` };
};

const fromJson = async (file: string): Promise<Loaded> => {
  const text = await fs.readFile(file, 'utf8');
  try {
    return { ok: true, spec: JSON.parse(text) as unknown, name: file };
  } catch (e) {
    return {
      ok: false,
      name: file,
      issues: [
        issue('E_JSON', [], `${file} is not valid JSON: ${(e as Error).message}`, {
          hint: 'check for trailing commas, comments or unquoted keys',
        }),
      ],
    };
  }
};

type TsImport = (url: string, parent: string) => Promise<unknown>;

/** tsx's ESM `tsImport`, resolved from `file`'s folder (the user's project), else from tessera's; undefined when neither has tsx. */
const tsxImport = async (file: string): Promise<TsImport | undefined> => {
  for (const from of [path.resolve(file), import.meta.url]) {
    let manifest: string;
    try {
      manifest = createRequire(from).resolve('tsx/package.json');
    } catch {
      continue;
    }
    const pkg = JSON.parse(await fs.readFile(manifest, 'utf8')) as {
      exports?: Record<string, { import?: { default?: string } }>;
    };
    const api = pkg.exports?.['./esm/api']?.import?.default;
    if (api === undefined) continue;
    return (
      (await import(pathToFileURL(path.join(path.dirname(manifest), api)).href)) as {
        tsImport: TsImport;
      }
    ).tsImport;
  }
  return undefined;
};

/** Imports a spec module; a TypeScript file Node cannot load itself is loaded through tsx. */
const importModule = async (file: string): Promise<Record<string, unknown>> => {
  const url = pathToFileURL(path.resolve(file)).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
    const tsImport = await tsxImport(file);
    if (tsImport === undefined)
      throw new Error(
        `Node cannot run TypeScript by itself and tsx is not installed\nhint: npm install --save-dev tsx, or give a .mjs/.json spec (tessera spec --method NAME > spec.json)`,
      );
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
};

const fromModule = async (file: string): Promise<Loaded> => {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (e) {
    const message = (e as Error).message;
    return {
      ok: false,
      code: 1,
      error: `cannot load ${file}: ${message}${message.includes('hint:') ? '' : '\nhint: the module must load (TypeScript through tsx) and export a method'}`,
    };
  }
  const spec = mod['default'] ?? mod['method'];
  if (spec === undefined) {
    return {
      ok: false,
      code: 1,
      error: `${file} exports no method\nhint: export default Method.make({...}) or export const method = ...`,
    };
  }
  return { ok: true, spec, name: file };
};

/**
 * Loads the spec named by a positional argument: an existing file (`.json`, or a module with
 * `.ts`/`.mts`/`.js`/`.mjs`), else a library method `name` or `name:preset`.
 */
export const loadSpec = async (source: string): Promise<Loaded> => {
  const kind = await fs.stat(source).then(
    (s) => (s.isFile() ? 'file' : s.isDirectory() ? 'folder' : 'other'),
    () => 'none',
  );
  if (kind !== 'file') {
    const [name, preset] = source.split(':');
    if (name !== undefined && isMethodName(name)) return fromLibrary(name, preset);
    return {
      ok: false,
      code: 1,
      error: `${kind === 'folder' ? `${source} is a folder, not a spec file` : `no such file: ${source}`}\nhint: give a .json spec, a .ts module exporting a method, or a library method (${methodNames.join(', ')}, e.g. moco-v3:tiny)`,
    };
  }
  const ext = path.extname(source).toLowerCase();
  if (ext === '.json') return fromJson(source);
  if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) return fromModule(source);
  return {
    ok: false,
    code: 1,
    error: `cannot read a spec from "${ext || source}" files\nhint: use a .json file or a .ts module`,
  };
};

/** The spec of a command taking `SPEC` or `--method NAME [--preset P]`. */
export const specFromArgs = async (
  positionals: ReadonlyArray<string>,
  method: string | undefined,
  preset: string | undefined,
): Promise<Loaded> => {
  if (method !== undefined && positionals.length > 0) {
    return { ok: false, code: 2, error: 'give either a SPEC file or --method, not both' };
  }
  if (method !== undefined) return fromLibrary(method, preset);
  if (positionals.length !== 1) {
    return {
      ok: false,
      code: 2,
      error: `expected one SPEC (a .json file or a .ts module), got ${positionals.length}\nhint: or --method ${methodNames[0]} --preset tiny`,
    };
  }
  if (preset !== undefined) return { ok: false, code: 2, error: '--preset goes with --method' };
  return loadSpec(positionals[0]!);
};
