/**
 * A compiler pass: a named, documented function from graph to graph that either returns the
 * (possibly rewritten) graph or every issue it found. A rewrite returns the same object when
 * nothing changed. `pipeline.ts` lists the passes in order.
 */
import type { Either } from 'fp-ts/lib/Either.js';
import type { Graph } from '../ir/graph.js';
import type { Issue } from '../ir/issue.js';

/** One pass of the pipeline. */
export interface Pass {
  readonly name: string;
  /** One line: why the pass exists. */
  readonly why: string;
  readonly run: (graph: Graph) => Either<ReadonlyArray<Issue>, Graph>;
}
