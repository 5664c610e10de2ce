/**
 * `--init MODULE=FILE.safetensors` and `--init-map MODULE=MAP.json` of `tessera train`: which
 * modules start from a weights file (`runtime/init.ts`), and how the file's tensor names map onto
 * the module's parameter paths (a JSON object of prefix rewrites, `{ "backbone/": "" }`).
 */
import { readFile } from 'node:fs/promises';
import type { ModuleInit } from '../runtime/init.js';

/** `NAME=VALUE` split at the first `=`, or a message saying what was expected. */
const pair = (flag: string, text: string): readonly [string, string] | string => {
  const at = text.indexOf('=');
  return at <= 0 || at === text.length - 1
    ? `--${flag} ${text}: expected MODULE=FILE`
    : [text.slice(0, at), text.slice(at + 1)];
};

/** Reads a key map file: a JSON object of string to string. */
const readKeyMap = async (file: string): Promise<Readonly<Record<string, string>>> => {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`--init-map ${file}: cannot read it as JSON (${(e as Error).message})`);
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== 'string')
  ) {
    throw new Error(
      `--init-map ${file}: expected a JSON object of file-name prefix -> parameter-path prefix, e.g. { "backbone/": "" }`,
    );
  }
  return value as Record<string, string>;
};

/**
 * The `ModuleInit`s of the options; a usage problem comes back as a string (exit 2), an unreadable
 * key map throws.
 */
export const parseInits = async (
  inits: ReadonlyArray<string>,
  maps: ReadonlyArray<string>,
): Promise<ReadonlyArray<ModuleInit> | string> => {
  const parsed = inits.map((t) => pair('init', t));
  const parsedMaps = maps.map((t) => pair('init-map', t));
  const bad = [...parsed, ...parsedMaps].find((x): x is string => typeof x === 'string');
  if (bad !== undefined) return bad;
  const byModule = new Map(
    (parsedMaps as ReadonlyArray<readonly [string, string]>).map(([m, f]) => [m, f]),
  );
  const modules = new Set((parsed as ReadonlyArray<readonly [string, string]>).map(([m]) => m));
  const orphan = [...byModule.keys()].find((m) => !modules.has(m));
  if (orphan !== undefined)
    return `--init-map ${orphan}=...: no --init ${orphan}=FILE to apply it to`;
  const out: ModuleInit[] = [];
  for (const [module, file] of parsed as ReadonlyArray<readonly [string, string]>) {
    const mapFile = byModule.get(module);
    out.push({
      module,
      file,
      ...(mapFile === undefined ? {} : { keyMap: await readKeyMap(mapFile) }),
    });
  }
  return out;
};
