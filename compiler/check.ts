/**
 * `checkMethod`: decode a spec (a `Method` value or parsed JSON), then run the checking passes
 * in order. It stops after the first pass that reports issues, returning all of that pass's
 * issues (all codec issues together). Nothing throws except `checkOrThrow`.
 *
 * ```ts
 * const checked = checkMethod(spec);              // Either<Issue[], Graph>
 * const graph = checkOrThrow(spec);               // throws CheckError with the rendered tree
 * checkMethod(spec, { dump: true });              // prints the IR after every pass
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
import { checkingPasses } from './passes/pipeline.js';
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

/** Decodes `spec` and runs the passes; the graph, or every issue of the first failing stage. */
export const checkMethod = (
  spec: unknown,
  options: CheckOptions = {},
): E.Either<ReadonlyArray<Issue>, Graph> => {
  const tooDeep = nestingIssue(spec);
  if (tooDeep !== undefined) return E.left([tooDeep]);
  const decoded = decodeMethod(spec);
  if (E.isLeft(decoded)) return decoded;
  let graph = emptyGraph(decoded.right);
  for (const pass of options.passes ?? checkingPasses) {
    const result = runPass(pass, graph, options);
    if (E.isLeft(result)) return result;
    graph = result.right;
  }
  return E.right(graph);
};

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
export const checkOrThrow = (spec: unknown, options: CheckOptions = {}): Graph => {
  const result = checkMethod(spec, options);
  if (E.isLeft(result)) throw new CheckError(result.left, nameOf(spec));
  return result.right;
};
