/**
 * `tessera compile SPEC (--emit FILE.ts | --dump) [--backend wasm|cpu|tensorflow]`: runs every
 * compiler pass on a spec. `--dump` prints the IR after each pass; `--emit` writes the lowered
 * training step as one standalone TypeScript module that imports only TF.js
 * (`codegen`), and prints its size and what it contains. `--target torch --out DIR` writes the
 * checked graph and a PyTorch trainer instead (`cli/torchTarget.ts`). Invalid specs print their
 * issues and exit 1; a source pattern codegen cannot embed is an error, not a broken file.
 * Codegen (ts-morph) loads only for `--emit`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { checkMethod, optimise, withTrainingSteps } from '../../compiler/check.js';
import type { EmittedStep } from '../../codegen/emit.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { renderIssues } from '../../compiler/ir/render.js';
import { pipelineFor } from '../../compiler/passes/pipeline.js';
import type { BackendName } from '../../runtime/backendName.js';
import type { Command, Io } from '../command.js';
import { missingFolder } from '../outFile.js';
import { specFromArgs } from '../specSource.js';
import { resolveSpec } from '../trainSpec.js';
import { writeTorchTarget } from '../torchTarget.js';

const usage = `usage: tessera compile SPEC [--emit FILE.ts [--keep-unused]] [--dump] [--backend wasm|cpu|tensorflow]
       tessera compile --method NAME [--preset paper|tiny] [--emit FILE.ts] [--dump] [--backend B]
  --emit FILE.ts  write the lowered training step as a standalone TypeScript module importing only
                  TF.js: import { createStep, selectBackend } from './FILE.js'
  --keep-unused   keep the net rules, loss kernels and code the graph cannot reach (pruned by default)
  --dump          print the IR after every compiler pass
  --backend       the backend the passes legalize for and the emitted module selects (default wasm)
       tessera compile SPEC|--method NAME [--preset P] --target torch --out DIR [--batch B] [--steps S]
  --target torch  write DIR/graph.json (checked graph + step plan), spec.json, train.py and the
                  Python runtime; train with torchrun --nproc_per_node=N DIR/train.py --data IMAGES --out RUN
  --batch, --steps  the global batch and run length recorded in the spec (as tessera train's options)
  exit 0: done; 1: invalid spec or codegen failure; 2: usage`;

const BACKEND_NAMES: ReadonlyArray<BackendName> = ['wasm', 'cpu', 'tensorflow'];

const fail = (io: Io, what: string, code: number): number => {
  io.err(`tessera compile: ${what}\n`);
  return code;
};

interface Options {
  readonly method?: string | undefined;
  readonly preset?: string | undefined;
  readonly emit?: string | undefined;
  readonly dump?: boolean | undefined;
  readonly 'keep-unused'?: boolean | undefined;
  readonly backend?: string | undefined;
  readonly target?: string | undefined;
  readonly out?: string | undefined;
  readonly batch?: string | undefined;
  readonly steps?: string | undefined;
}

const parse = (args: ReadonlyArray<string>): { values: Options; positionals: string[] } =>
  parseArgs({
    args: [...args],
    options: {
      method: { type: 'string' },
      preset: { type: 'string' },
      emit: { type: 'string' },
      dump: { type: 'boolean' },
      'keep-unused': { type: 'boolean' },
      backend: { type: 'string' },
      target: { type: 'string' },
      out: { type: 'string' },
      batch: { type: 'string' },
      steps: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;

/** Counts of embedded files per top folder pair: `compiler/lower 30, runtime 6, ...`. */
const byFolder = (files: ReadonlyArray<string>): string => {
  const counts = new Map<string, number>();
  for (const f of files) {
    const parts = f.split('/');
    const key = parts.slice(0, parts[0] === 'compiler' ? 2 : 1).join('/');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
};

/** What `--emit` prints about the module it wrote. */
export const describeEmitted = (file: string, graph: Graph, e: EmittedStep): string =>
  [
    `wrote ${file} (${kb(Buffer.byteLength(e.source))}): the lowered training step of "${graph.method.name}", default backend ${e.backend}`,
    `  contains: ${e.files.length} tessera source files as namespaces (${byFolder(e.files)});`,
    `            the checked graph (${plural(graph.nodes.length, 'node')}, ${plural(graph.modules.length, 'module')}, ${plural(graph.terms.length, 'loss term')}, ${plural(graph.method.objectives.length, 'objective')})`,
    `  imports:  ${e.imports.join(', ')}`,
    ...(e.pruned === undefined
      ? []
      : [
          `  pruned:   ${plural(e.pruned.entries.length, 'rule-table entry', 'rule-table entries')} the graph never uses, ${plural(e.pruned.statements, 'unreachable statement')}`,
        ]),
    `  use:      import { createStep, selectBackend } from './${path.basename(file).replace(/\.ts$/, '.js')}';`,
    '            await selectBackend(); const step = createStep(); step.init(seed); step.step(images, { step: i, totalSteps });',
    '',
  ].join('\n');

const emit = async (
  io: Io,
  file: string,
  graph: Graph,
  backend: BackendName,
  name: string,
  keep: boolean,
): Promise<number> => {
  const noFolder = await missingFolder(file);
  if (noFolder !== undefined) return fail(io, noFolder, 1);
  const [{ CodegenError }, { emitStepModule }] = await Promise.all([
    import('../../codegen/closure.js'),
    import('../../codegen/emit.js'),
  ]);
  let emitted: EmittedStep;
  try {
    emitted = emitStepModule(graph, { backend, name, prune: !keep });
  } catch (e) {
    if (e instanceof CodegenError) return fail(io, `${e.message}`, 1);
    throw e;
  }
  try {
    await fs.writeFile(file, emitted.source);
  } catch (e) {
    return fail(
      io,
      `cannot write ${file}: ${(e as Error).message}\nhint: does the folder exist?`,
      1,
    );
  }
  io.out(describeEmitted(file, graph, emitted));
  return 0;
};

const run = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  let parsed: { values: Options; positionals: string[] };
  try {
    parsed = parse(args);
  } catch (e) {
    return fail(io, `${(e as Error).message}\n${usage}`, 2);
  }
  const { emit: out, dump, backend = 'wasm', target = 'tfjs' } = parsed.values;
  if (target === 'torch') return compileTorch(io, parsed);
  if (target !== 'tfjs')
    return fail(
      io,
      `unknown target "${target}"\nhint: --target tfjs (default) or --target torch`,
      2,
    );
  if (out === undefined && dump !== true)
    return fail(io, `nothing to do: give --emit FILE.ts and/or --dump\n${usage}`, 2);
  if (out !== undefined && !out.endsWith('.ts'))
    return fail(io, `--emit expects a .ts file, got "${out}"\nhint: --emit step.ts`, 2);
  if (!(BACKEND_NAMES as ReadonlyArray<string>).includes(backend))
    return fail(io, `unknown backend "${backend}"\nhint: one of ${BACKEND_NAMES.join(', ')}`, 2);
  const loaded = await specFromArgs(parsed.positionals, parsed.values.method, parsed.values.preset);
  if (!loaded.ok)
    return 'error' in loaded
      ? fail(io, loaded.error, loaded.code)
      : fail(io, renderIssues(loaded.issues, loaded.name), 1);
  const checked = checkMethod(loaded.spec, {
    passes: pipelineFor(backend),
    dump: dump === true,
    log: (t) => io.out(`${t}\n`),
  });
  if (E.isLeft(checked)) return fail(io, renderIssues(checked.left, loaded.name), 1);
  return out === undefined
    ? 0
    : emit(
        io,
        out,
        checked.right,
        backend as BackendName,
        loaded.name,
        parsed.values['keep-unused'] === true,
      );
};

const positiveInt = (name: string, raw: string | undefined): number | undefined | string => {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  return Number.isInteger(v) && v >= 1 ? v : `--${name} must be a positive integer, got "${raw}"`;
};

/** `--target torch --out DIR`: resolve (with --batch/--steps), check, write the torch folder. */
const compileTorch = async (
  io: Io,
  parsed: { values: Options; positionals: string[] },
): Promise<number> => {
  const { out, method, preset } = parsed.values;
  if (out === undefined)
    return fail(
      io,
      `--target torch needs --out DIR\nhint: tessera compile --method moco-v3 --preset tiny --target torch --out moco-torch`,
      2,
    );
  if (parsed.positionals.length > 1)
    return fail(io, `expected one SPEC, got ${parsed.positionals.length}`, 2);
  const batch = positiveInt('batch', parsed.values.batch);
  const steps = positiveInt('steps', parsed.values.steps);
  for (const v of [batch, steps]) if (typeof v === 'string') return fail(io, v, 2);
  const resolved = await resolveSpec({
    method,
    spec: parsed.positionals[0],
    preset,
    batch: batch as number | undefined,
    overrides: [],
  });
  if (!resolved.ok) return fail(io, resolved.message, resolved.code);
  const checked =
    steps === undefined ? resolved.checked : withTrainingSteps(resolved.checked, steps as number);
  const optimised = optimise(checked, 'cpu');
  if (E.isLeft(optimised)) return fail(io, renderIssues(optimised.left, resolved.name), 1);
  io.out(await writeTorchTarget(out, optimised.right, resolved.name));
  return 0;
};

/** The `compile` command. */
export const compileCommand: Command = {
  name: 'compile',
  summary: 'run every pass; emit the training step as a standalone TF.js module',
  usage,
  run,
};
