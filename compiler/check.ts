/**
 * `checkMethod`: decode a spec (a `Method` value or parsed JSON), then run the checking passes
 * in order. It stops after the first pass that reports issues, returning all of that pass's
 * issues (all codec issues together). Nothing throws except `checkOrThrow`.
 *
 * ```ts
 * const checked = checkMethod(spec);              // Either<Issue[], CheckedGraph>
 * const graph = checkOrThrow(spec);               // throws CheckError with the rendered tree
 * checkMethod(spec, { dump: true });              // prints the IR after every pass
 * await compile(graph);                           // a checked graph is not checked again
 * ```
 */
import * as E from 'fp-ts/lib/Either.js';
import { decodeMethod } from './ir/codec.js';
import { nestingIssue } from './ir/depth.js';
import type { Graph } from './ir/graph.js';
import type { Issue } from './ir/issue.js';
import { printGraph } from './ir/printer.js';
import { renderIssues } from './ir/render.js';
import { verifyGraph } from './ir/verifier.js';
import type { Pass } from './passes/pass.js';
import { checkingPasses, optimisationPasses } from './passes/pipeline.js';
import { emptyGraph } from './passes/resolve.js';

/** Options of `checkMethod`. */
export interface CheckOptions {
  /** Print the graph after every pass (default false). */
  readonly dump?: boolean;
  /** Where dumps go (default `console.log`). */
  readonly log?: (text: string) => void;
  /** The passes to run (default: the checking passes 1-3 of `pipeline.ts`). */
  readonly passes?: ReadonlyArray<Pass>;
  /** Check graph invariants after every pass (default true); a violation is a compiler bug. */
  readonly verify?: boolean;
}

const runPass = (
  pass: Pass,
  graph: Graph,
  options: CheckOptions,
): E.Either<ReadonlyArray<Issue>, Graph> => {
  const result = pass.run(graph);
  if (E.isLeft(result)) return result;
  if (options.verify !== false) {
    const broken = verifyGraph(result.right);
    if (broken.length > 0) {
      return E.left(
        broken.map((i) => ({
          ...i,
          message: `internal error after pass "${pass.name}": ${i.message}`,
        })),
      );
    }
  }
  if (options.dump === true)
    (options.log ?? console.log)(`== after ${pass.name} ==\n${printGraph(result.right)}\n`);
  return result;
};

/** Runs `passes` in order from `graph`: the last graph, or every issue of the first failing pass. */
export const runPasses = (
  graph: Graph,
  passes: ReadonlyArray<Pass>,
  options: Omit<CheckOptions, 'passes'> = {},
): E.Either<ReadonlyArray<Issue>, Graph> => {
  let current = graph;
  for (const pass of passes) {
    const result = runPass(pass, current, options);
    if (E.isLeft(result)) return result;
    current = result.right;
  }
  return E.right(current);
};

/** Options that run the checking passes (no `passes`). */
type CheckingOnly = Omit<CheckOptions, 'passes'> & { readonly passes?: undefined };

declare const checkedBrand: unique symbol;

/**
 * The graph of a spec that passed exactly the checking passes (`checkMethod` without `passes`):
 * `compile` and `train` take it in place of the spec and do not check it again.
 */
export type CheckedGraph = Graph & { readonly [checkedBrand]: true };

// The graphs `checkMethod` produced with the checking passes (a copy or a rewrite is not one).
const checkedGraphs = new WeakSet<Graph>();

const brand = (graph: Graph): CheckedGraph => {
  checkedGraphs.add(graph);
  return graph as CheckedGraph;
};

/** Whether `value` is a graph `checkMethod` produced with the checking passes (and nothing since). */
export const isChecked = (value: unknown): value is CheckedGraph =>
  typeof value === 'object' && value !== null && checkedGraphs.has(value as Graph);

/**
 * A checked graph with `training.steps` set to `steps`: still checked, because no checking pass
 * reads the run length (it only sets where schedules are at each step). The CLI's `--steps`: the
 * resolved spec (and its hash, which resume compares) records the run length.
 */
export const withTrainingSteps = (checked: CheckedGraph, steps: number): CheckedGraph =>
  brand({
    ...checked,
    method: { ...checked.method, training: { ...checked.method.training, steps } },
  });

/**
 * Runs the optimisation passes for `backend` on a checked graph: the graph the lowering receives
 * (`checkMethod(spec, { passes: pipelineFor(backend) })` without checking `spec` again).
 */
export const optimise = (
  checked: CheckedGraph,
  backend: string,
  options: Omit<CheckOptions, 'passes'> = {},
): E.Either<ReadonlyArray<Issue>, Graph> =>
  runPasses(checked, optimisationPasses(backend), options);

/**
 * Decodes `spec` and runs the passes; the graph, or every issue of the first failing stage. With
 * the checking passes (no `passes`), the graph is a `CheckedGraph`.
 */
export function checkMethod(
  spec: unknown,
  options?: CheckingOnly,
): E.Either<ReadonlyArray<Issue>, CheckedGraph>;
export function checkMethod(
  spec: unknown,
  options?: CheckOptions,
): E.Either<ReadonlyArray<Issue>, Graph>;
export function checkMethod(
  spec: unknown,
  options: CheckOptions = {},
): E.Either<ReadonlyArray<Issue>, Graph> {
  const tooDeep = nestingIssue(spec);
  if (tooDeep !== undefined) return E.left([tooDeep]);
  const decoded = decodeMethod(spec);
  if (E.isLeft(decoded)) return decoded;
  const passes = options.passes ?? checkingPasses;
  const result = runPasses(emptyGraph(decoded.right), passes, options);
  return E.isRight(result) && passes === checkingPasses ? E.right(brand(result.right)) : result;
}

/** Thrown by `checkOrThrow`: the issues, and the rendered tree as the message. */
export class CheckError extends Error {
  constructor(
    readonly issues: ReadonlyArray<Issue>,
    specName: string,
  ) {
    super(renderIssues(issues, specName));
    this.name = 'CheckError';
  }
}

const nameOf = (spec: unknown): string =>
  typeof spec === 'object' && spec !== null && typeof (spec as { name?: unknown }).name === 'string'
    ? (spec as { name: string }).name
    : 'spec';

/** Like `checkMethod`, but returns the graph or throws a `CheckError`. */
export function checkOrThrow(spec: unknown, options?: CheckingOnly): CheckedGraph;
export function checkOrThrow(spec: unknown, options?: CheckOptions): Graph;
export function checkOrThrow(spec: unknown, options: CheckOptions = {}): Graph {
  const result = checkMethod(spec, options);
  if (E.isLeft(result)) throw new CheckError(result.left, nameOf(spec));
  return result.right;
}
