/**
 * `tessera graph SPEC [--format mermaid|dot]`: the method as a diagram: views, branches (module
 * applications, with output shapes), loss terms with their weights, representations;
 * stop-gradient and EMA edges dashed. Invalid specs print their issues and exit 1.
 */
import * as E from 'fp-ts/lib/Either.js';
import { parseArgs } from 'node:util';
import { checkMethod } from '../../compiler/check.js';
import { renderIssues } from '../../compiler/ir/render.js';
import type { Command, Io } from '../command.js';
import { diagramOf, toDot, toMermaid } from '../diagram.js';
import { specFromArgs } from '../specSource.js';

const usage = `usage: tessera graph SPEC [--format mermaid|dot]
       tessera graph --method NAME [--preset paper|tiny] [--format mermaid|dot]
  prints the method graph (default format: mermaid); paste it into a Markdown file or pipe dot
  output to Graphviz: tessera graph spec.json --format dot | dot -Tsvg > graph.svg`;

const fail = (io: Io, what: string, code: number): number => {
  io.err(`tessera graph: ${what}\n`);
  return code;
};

const run = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  let parsed: {
    values: {
      method?: string | undefined;
      preset?: string | undefined;
      format?: string | undefined;
    };
    positionals: string[];
  };
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        method: { type: 'string' },
        preset: { type: 'string' },
        format: { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    return fail(io, `${(e as Error).message}\n${usage}`, 2);
  }
  const format = parsed.values.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'dot')
    return fail(io, `unknown format "${format}"\nhint: --format mermaid or --format dot`, 2);
  const loaded = await specFromArgs(parsed.positionals, parsed.values.method, parsed.values.preset);
  if (!loaded.ok)
    return 'error' in loaded
      ? fail(io, loaded.error, loaded.code)
      : fail(io, renderIssues(loaded.issues, loaded.name), 1);
  const result = checkMethod(loaded.spec);
  if (E.isLeft(result)) return fail(io, renderIssues(result.left, loaded.name), 1);
  const diagram = diagramOf(result.right);
  io.out(format === 'dot' ? toDot(diagram) : toMermaid(diagram));
  return 0;
};

/** The `graph` command. */
export const graphCommand: Command = {
  name: 'graph',
  summary: 'draw the method graph (Mermaid or Graphviz dot)',
  usage,
  run,
};
