/**
 * `tessera spec --method moco-v3|i-jepa [--preset paper|tiny]`: prints a library method as JSON,
 * the same JSON `tessera check` and every other command read. Edit it and check it back.
 */
import { parseArgs } from 'node:util';
import { encodeMethod, decodeMethod } from '../../compiler/ir/codec.js';
import { renderIssues } from '../../compiler/ir/render.js';
import { methodNames } from '../../library/index.js';
import type { Command, Io } from '../command.js';
import { fromLibrary } from '../specSource.js';

const usage = `usage: tessera spec --method NAME [--preset paper|tiny]
  prints the library method NAME (${methodNames.join(', ')}) as a JSON spec (preset default: paper)
  example: tessera spec --method moco-v3 --preset tiny > moco.json && tessera check moco.json`;

const fail = (io: Io, what: string, code: number): number => {
  io.err(`tessera spec: ${what}\n`);
  return code;
};

const run = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  let values: { method?: string | undefined; preset?: string | undefined };
  try {
    values = parseArgs({
      args: [...args],
      options: { method: { type: 'string' }, preset: { type: 'string' } },
      strict: true,
    }).values;
  } catch (e) {
    return fail(io, `${(e as Error).message}\n${usage}`, 2);
  }
  if (values.method === undefined) return fail(io, `--method is required\n${usage}`, 2);
  const loaded = fromLibrary(values.method, values.preset);
  if (!loaded.ok)
    return fail(
      io,
      'error' in loaded ? loaded.error : renderIssues(loaded.issues, loaded.name),
      'error' in loaded ? loaded.code : 1,
    );
  const decoded = decodeMethod(loaded.spec);
  if (decoded._tag === 'Left') return fail(io, renderIssues(decoded.left, loaded.name), 1);
  io.out(`${JSON.stringify(encodeMethod(decoded.right), null, 2)}\n`);
  return 0;
};

/** The `spec` command. */
export const specCommand: Command = {
  name: 'spec',
  summary: 'print a library method as a JSON spec',
  usage,
  run,
};
