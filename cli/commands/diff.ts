/**
 * `tessera diff A B [--json]`: the structural difference of two specs (files, modules, or
 * library methods such as `moco-v3:tiny`): modules, values, objectives, loss terms, phases and
 * representations added (+), removed (-) or changed (~, with the changed fields), and the
 * parameter and FLOP deltas when both specs check. Exit 0 when both load, 1 otherwise.
 */
import * as E from 'fp-ts/lib/Either.js';
import { parseArgs } from 'node:util';
import { checkMethod } from '../../compiler/check.js';
import { decodeMethod } from '../../compiler/ir/codec.js';
import { type Change, compareMethods, showField } from '../../compiler/ir/compare.js';
import type { Graph } from '../../compiler/ir/graph.js';
import type { Method } from '../../compiler/ir/node.js';
import { showCount, showFlops } from '../../compiler/ir/printer.js';
import { renderIssues } from '../../compiler/ir/render.js';
import { countParams, stepFlops } from '../../compiler/passes/shapes/index.js';
import type { Command, Io } from '../command.js';
import { loadSpec } from '../specSource.js';

const usage = `usage: tessera diff A B [--json]
  A, B: .json specs, .ts modules exporting a method, or library methods (moco-v3:tiny, i-jepa)
  prints what B changes relative to A: + added, - removed, ~ changed (with fields), then the
  parameter and FLOP deltas when both specs check`;

/** Trainable parameters (EMA copies excluded) and FLOPs of a checked spec. */
interface Cost {
  readonly params: number;
  readonly forward: number;
  readonly training: number;
}

const costOf = (g: Graph): Cost => {
  const ema = new Set(g.method.modules.filter((m) => m.ema !== undefined).map((m) => m.name));
  const params = g.modules
    .filter((m) => !ema.has(m.decl.name))
    .reduce((s, m) => s + (m.params === undefined ? 0 : countParams(m.params).trainable), 0);
  const f = stepFlops(g);
  return { params, forward: f.forward, training: f.training };
};

const SIGN: Readonly<Record<Change['status'], string>> = { added: '+', removed: '-', changed: '~' };

const showChange = (c: Change): ReadonlyArray<string> =>
  c.status === 'changed'
    ? [`  ~ ${c.name}`, ...c.fields.map((f) => `      ${showField(f)}`)]
    : [`  ${SIGN[c.status]} ${c.name}${c.summary === undefined ? '' : `: ${c.summary}`}`];

const delta = (a: number, b: number, show: (n: number) => string): string => {
  const pct = a === 0 ? '' : ` (${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%)`;
  return `${show(a)} -> ${show(b)}${pct}`;
};

const showDiff = (
  a: Method,
  b: Method,
  changes: ReadonlyArray<Change>,
  costs: readonly [Cost, Cost] | undefined,
): string => {
  const kinds = [...new Set(changes.map((c) => c.kind))];
  const lines = [
    `diff "${a.name}" -> "${b.name}": ${changes.length === 0 ? 'no structural change' : `${changes.length} change${changes.length === 1 ? '' : 's'}`}`,
  ];
  for (const kind of kinds)
    lines.push(`${kind}:`, ...changes.filter((c) => c.kind === kind).flatMap(showChange));
  if (costs !== undefined) {
    const [x, y] = costs;
    lines.push(
      'cost:',
      `  trainable parameters: ${delta(x.params, y.params, showCount)}`,
      `  forward FLOPs/step: ${delta(x.forward, y.forward, showFlops)}`,
      `  training FLOPs/step: ${delta(x.training, y.training, showFlops)}`,
    );
  } else lines.push('cost: not compared (a spec does not check; run tessera check on each)');
  return `${lines.join('\n')}\n`;
};

const fail = (io: Io, what: string, code: number): number => {
  io.err(`tessera diff: ${what}\n`);
  return code;
};

const load = async (
  source: string,
): Promise<{ readonly method: Method } | { readonly error: string; readonly code: number }> => {
  const loaded = await loadSpec(source);
  if (!loaded.ok)
    return 'error' in loaded
      ? loaded
      : { error: renderIssues(loaded.issues, loaded.name), code: 1 };
  const decoded = decodeMethod(loaded.spec);
  return E.isLeft(decoded)
    ? { error: renderIssues(decoded.left, loaded.name), code: 1 }
    : { method: decoded.right };
};

const run = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  let parsed: { values: { json?: boolean | undefined }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: { json: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    return fail(io, `${(e as Error).message}\n${usage}`, 2);
  }
  if (parsed.positionals.length !== 2)
    return fail(io, `expected two specs A and B, got ${parsed.positionals.length}\n${usage}`, 2);
  const [a, b] = await Promise.all(parsed.positionals.map(load));
  for (const x of [a, b]) if (x !== undefined && 'error' in x) return fail(io, x.error, x.code);
  const [ma, mb] = [(a as { method: Method }).method, (b as { method: Method }).method];
  const changes = compareMethods(ma, mb);
  const [ga, gb] = [checkMethod(ma), checkMethod(mb)];
  const costs =
    E.isRight(ga) && E.isRight(gb) ? ([costOf(ga.right), costOf(gb.right)] as const) : undefined;
  io.out(
    parsed.values.json === true
      ? `${JSON.stringify({ a: ma.name, b: mb.name, changes, cost: costs ?? null }, null, 2)}\n`
      : showDiff(ma, mb, changes, costs),
  );
  return 0;
};

/** The `diff` command. */
export const diffCommand: Command = {
  name: 'diff',
  summary: 'structural difference of two specs, with parameter and FLOP deltas',
  usage,
  run,
};
