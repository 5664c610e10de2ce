/**
 * The compiler pipeline: the passes in order, as data, so tests can run any prefix. Each pass
 * is `Graph -> Either<Issue[], Graph>`; the first one reads only `graph.method` (start from
 * `emptyGraph(method)`). Read the `why` of each pass for what it is for.
 */
import { cse } from './cse.js';
import { gradients } from './gradients.js';
import { memoryPlanning } from './memory.js';
import type { Pass } from './pass.js';
import { resolve } from './resolve.js';
import { inferShapes } from './shapes/index.js';

/** The checking passes (1-3): after them a spec is known to be trainable. */
export const checkingPasses: ReadonlyArray<Pass> = [
  resolve, // 1. names -> nodes: refs, modules, ports, phases, cycles
  inferShapes, // 2. shapes, parameters, FLOPs
  gradients, // 3. gradient flow and EMA
];

/** The optimisation passes (4-8): they never change what a step computes, only how. */
export const optimisationPasses: ReadonlyArray<Pass> = [
  cse, // 4. the same parameters on the same input are computed once
  memoryPlanning, // 8. predicted peak bytes of a step
];

/** Every pass, in order. */
export const pipeline: ReadonlyArray<Pass> = [...checkingPasses, ...optimisationPasses];
