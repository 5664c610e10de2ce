/**
 * `tessera check SPEC | --method NAME [--preset P] [--json]`: runs the checking passes. On
 * success prints a table of modules (net, parameters, role) and branches (module applications
 * with input and output shapes and FLOPs per step) and exits 0; otherwise prints every issue as
 * a tree and exits 1. Broken JSON is a list of issues, never a stack trace.
 */
import * as E from 'fp-ts/lib/Either.js';
import { parseArgs } from 'node:util';
import { checkMethod } from '../../compiler/check.js';
import { cse } from '../../compiler/passes/cse.js';
import { memoryPlanning } from '../../compiler/passes/memory.js';
import { checkingPasses } from '../../compiler/passes/pipeline.js';
import type { Graph, GraphNode, NodeId } from '../../compiler/ir/graph.js';
import type { Issue } from '../../compiler/ir/issue.js';
import { showCount, showFlops, showNet, showSchedule } from '../../compiler/ir/printer.js';
import { renderIssues } from '../../compiler/ir/render.js';
import { showType } from '../../compiler/ir/types.js';
import { countParams, stepFlops } from '../../compiler/passes/shapes/index.js';
import type { Command, Io } from '../command.js';
import { perProcess, showPerProcess } from '../processes.js';
import { specFromArgs } from '../specSource.js';

const usage = `usage: tessera check SPEC [--json] [--processes N]
       tessera check --method NAME [--preset paper|tiny] [--json] [--processes N]
  SPEC: a .json spec, or a .ts module exporting a method (default export or \`method\`)
  --processes N  also print the memory and FLOPs of one process of an N-process data-parallel run
                 (torch target: batch / N images per process, all parameters and optimizer state each)
  exit 0: valid (prints modules, branches, parameters, FLOPs); 1: invalid (prints every issue); 2: usage`;

/** One module row of the report. */
export interface ModuleRow {
  readonly name: string;
  readonly net: string;
  readonly params: number | null;
  readonly buffers: number | null;
  readonly role: string;
}

/** One branch row: a module application. */
export interface BranchRow {
  readonly node: NodeId;
  readonly branch: string;
  readonly output: string | null;
  readonly flops: number | null;
  /** `step`: computed by the training step (a loss depends on it); `eval`: only representations read it. */
  readonly use: 'step' | 'eval';
}

/** What `check` reports on a valid spec (also the `--json` output, with `ok: true`). */
export interface CheckReport {
  readonly name: string;
  readonly modules: ReadonlyArray<ModuleRow>;
  readonly branches: ReadonlyArray<BranchRow>;
  readonly terms: ReadonlyArray<string>;
  readonly flops: { readonly forward: number; readonly training: number };
  /** Predicted peak bytes of one training step (pass 8), and its parts. */
  readonly memory: {
    readonly peakBytes: number;
    readonly parameters: number;
    readonly optimizerState: number;
    readonly largestWorkingSet: number;
  } | null;
}

/** A short name for the value a node computes: `view1`, `images`, `backbone(view1)`. */
export const describeNode = (
  byId: ReadonlyMap<NodeId, GraphNode>,
  id: NodeId | undefined,
  depth = 0,
): string => {
  const n = id === undefined ? undefined : byId.get(id);
  if (n === undefined) return '?';
  const e = n.expr;
  if (depth > 4) return n.id;
  switch (e._tag) {
    case 'Input':
      return e.name;
    case 'View':
    case 'Masks':
    case 'TokenMask':
      return e.name;
    case 'Apply':
      return `${[e.module, ...e.path].join('.')}(${Object.values(n.inputs)
        .map((i) => describeNode(byId, i, depth + 1))
        .join(', ')})`;
    case 'StopGradient':
      return `sg(${describeNode(byId, n.inputs['source'], depth)})`;
    case 'FieldOf':
      return `${describeNode(byId, n.inputs['source'], depth)}.${e.name}`;
    default:
      return `${e._tag}(${n.id})`;
  }
};

const roleOf = (g: Graph, name: string): string => {
  const d = g.method.modules.find((m) => m.name === name);
  if (d?.ema !== undefined) return `EMA of ${d.ema.source} (${showSchedule(d.ema.momentum)})`;
  const by = g.method.objectives.filter((o) => o.params.includes(name)).map((o) => o.name);
  return by.length > 0 ? `optimized by ${by.join(', ')}` : 'not optimized';
};

/** The nodes the loss terms depend on (the training step computes exactly these). */
const stepNodes = (g: Graph, byId: ReadonlyMap<NodeId, GraphNode>): ReadonlySet<NodeId> => {
  const seen = new Set<NodeId>();
  const visit = (id: NodeId): void => {
    if (seen.has(id)) return;
    seen.add(id);
    Object.values(byId.get(id)?.inputs ?? {}).forEach(visit);
  };
  g.terms.forEach((t) => visit(t.node));
  return seen;
};

/** The report of a checked graph. */
export const checkReport = (g: Graph): CheckReport => {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const inStep = stepNodes(g, byId);
  const flops = stepFlops(g);
  return {
    name: g.method.name,
    modules: g.modules.map((m) => {
      const count = m.params === undefined ? undefined : countParams(m.params);
      return {
        name: m.decl.name,
        net: showNet(m.decl.net),
        params: count?.trainable ?? null,
        buffers: count?.buffers ?? null,
        role: roleOf(g, m.decl.name),
      };
    }),
    branches: g.nodes
      .filter((n) => n.op === 'Apply')
      .map((n) => ({
        node: n.id,
        branch: describeNode(byId, n.id),
        output: n.type === undefined ? null : showType(n.type),
        flops: n.flops ?? null,
        use: inStep.has(n.id) ? ('step' as const) : ('eval' as const),
      })),
    terms: g.terms.map((t) => {
      const loss = byId.get(t.node)?.expr._tag ?? '?';
      return `${t.objective}/${t.term}: ${loss} x ${showSchedule(t.weight)}`;
    }),
    flops: { forward: flops.forward, training: flops.training },
    memory:
      g.memory === undefined
        ? null
        : {
            peakBytes: g.memory.peakBytes,
            parameters: g.memory.parameters,
            optimizerState: g.memory.optimizerState,
            largestWorkingSet: Math.max(0, ...g.memory.objectives.map((o) => o.workingSet)),
          },
  };
};

const showBytes = (b: number): string =>
  b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${(b / 1e6).toFixed(1)} MB`;

const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: ReadonlyArray<string>): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

const orDash = (x: number | null, show: (n: number) => string): string =>
  x === null ? '-' : show(x);

/** The report as text tables. */
export const showReport = (r: CheckReport): string => {
  const trainable = r.modules
    .filter((m) => !m.role.startsWith('EMA'))
    .reduce((s, m) => s + (m.params ?? 0), 0);
  return [
    `ok: "${r.name}" is valid (${r.modules.length} modules, ${r.branches.length} branches, ${r.terms.length} loss terms)`,
    '',
    table(
      ['module', 'net', 'params', 'role'],
      r.modules.map((m) => [m.name, m.net, orDash(m.params, showCount), m.role]),
    ),
    '',
    table(
      ['branch', 'output', 'FLOPs/step', 'use'],
      r.branches.map((b) => [
        b.branch,
        b.output ?? '-',
        orDash(b.flops, showFlops),
        b.use === 'step' ? 'training' : 'evaluation only',
      ]),
    ),
    '',
    'loss terms:',
    ...r.terms.map((t) => `  ${t}`),
    '',
    `trainable parameters: ${showCount(trainable)} (EMA copies not counted)`,
    `FLOPs per training step: forward ${showFlops(r.flops.forward)}, with backward ~${showFlops(r.flops.training)} (backward ~2x forward where gradient flows)`,
    ...(r.memory === null
      ? []
      : [
          `predicted peak memory of a step: ${showBytes(r.memory.peakBytes)} (parameters ${showBytes(r.memory.parameters)}, optimizer state ${showBytes(r.memory.optimizerState)}, largest objective working set ${showBytes(r.memory.largestWorkingSet)})`,
        ]),
    '',
  ].join('\n');
};

const fail = (io: Io, what: string, code: number): number => {
  io.err(`tessera check: ${what}\n`);
  return code;
};

const invalid = (io: Io, json: boolean, name: string, issues: ReadonlyArray<Issue>): number => {
  if (json) io.out(`${JSON.stringify({ ok: false, name, issues }, null, 2)}\n`);
  else io.out(`${renderIssues(issues, name)}\n`);
  return 1;
};

const run = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  let parsed: {
    values: {
      method?: string | undefined;
      preset?: string | undefined;
      json?: boolean | undefined;
      processes?: string | undefined;
    };
    positionals: string[];
  };
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        method: { type: 'string' },
        preset: { type: 'string' },
        json: { type: 'boolean' },
        processes: { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    return fail(io, `${(e as Error).message}\n${usage}`, 2);
  }
  const { values, positionals } = parsed;
  const json = values.json === true;
  const loaded = await specFromArgs(positionals, values.method, values.preset);
  if (!loaded.ok)
    return 'error' in loaded
      ? fail(io, loaded.error, loaded.code)
      : invalid(io, json, loaded.name, loaded.issues);
  const specName =
    typeof (loaded.spec as { name?: unknown })?.name === 'string'
      ? (loaded.spec as { name: string }).name
      : loaded.name;
  // the checked graph with shared forward passes merged and its memory planned; view batching
  // and fusion are left out so the table shows one row per branch and view
  const result = checkMethod(loaded.spec, { passes: [...checkingPasses, cse, memoryPlanning] });
  if (E.isLeft(result)) return invalid(io, json, specName, result.left);
  const report = checkReport(result.right);
  const perProc =
    values.processes === undefined
      ? undefined
      : perProcess(result.right.method, Number(values.processes));
  if (typeof perProc === 'string') return fail(io, perProc, 2);
  io.out(
    json
      ? `${JSON.stringify({ ok: true, ...report, ...(perProc ? { perProcess: perProc } : {}) }, null, 2)}\n`
      : showReport(report),
  );
  if (!json && perProc !== undefined) io.out(showPerProcess(perProc));
  return 0;
};

/** The `check` command. */
export const checkCommand: Command = {
  name: 'check',
  summary: 'check a spec: shapes, parameters, FLOPs, gradient flow',
  usage,
  run,
};
