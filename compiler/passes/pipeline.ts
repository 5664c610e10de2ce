/**
 * The compiler pipeline: the passes in order, as data, so tests can run any prefix. Each pass
 * is `Graph -> Either<Issue[], Graph>`; the first one reads only `graph.method` (start from
 * `emptyGraph(method)`). Read the `why` of each pass for what it is for.
 */
import { gradients } from './gradients.js';
import type { Pass } from './pass.js';
import { resolve } from './resolve.js';
import { inferShapes } from './shapes/index.js';

/** The checking passes (1-3): after them a spec is known to be trainable. */
export const checkingPasses: ReadonlyArray<Pass> = [
  resolve, // 1. names -> nodes: refs, modules, ports, phases, cycles
  inferShapes, // 2. shapes, parameters, FLOPs
  gradients, // 3. gradient flow and EMA
];

/**
 * Every pass, in order. Passes 4-8 (optimisation) are appended below by the lead:
 * cse (4, shared forward passes), batchViews (5), fuse (6), legalize (7), planMemory (8).
 */
export const pipeline: ReadonlyArray<Pass> = [
  ...checkingPasses,
  // ---- optimisation passes 4-8 go here (lead) ----
];
