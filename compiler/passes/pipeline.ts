/**
 * The compiler pipeline: the passes in order, as data, so tests can run any prefix. Each pass
 * is `Graph -> Either<Issue[], Graph>`; the first one reads only `graph.method` (start from
 * `emptyGraph(method)`). Read the `why` of each pass for what it is for.
 */
import { batchViews } from './batchViews.js';
import { cse } from './cse.js';
import { fuse } from './fuse.js';
import { gradients } from './gradients.js';
import { legalize } from './legalize.js';
import { limits } from './limits.js';
import { memoryPlanning } from './memory.js';
import type { Pass } from './pass.js';
import { resolve } from './resolve.js';
import { inferShapes } from './shapes/index.js';

/** The checking passes (1-3): after them a spec is known to be trainable. */
export const checkingPasses: ReadonlyArray<Pass> = [
  resolve, // 1. names -> nodes: refs, modules, ports, phases, cycles
  inferShapes, // 2. shapes, parameters, FLOPs
  limits, // 2b. sizes TF.js can hold (parameters, largest tensor)
  gradients, // 3. gradient flow and EMA
];

/** The optimisation passes (4-8) for a backend: they never change what a step computes, only how. */
export const optimisationPasses = (backend: string): ReadonlyArray<Pass> => [
  cse, // 4. the same parameters on the same input are computed once
  batchViews, // 5. one call on concatenated same-shaped views
  fuse, // 6. gradient-free forward passes use fused matMul+bias kernels
  legalize(backend), // 7. fast, differentiable kernels for the backend's gaps
  memoryPlanning, // 8. predicted peak bytes of a step
];

/** Every pass, in order, for `backend` (default wasm). */
export const pipelineFor = (backend: string): ReadonlyArray<Pass> => [
  ...checkingPasses,
  ...optimisationPasses(backend),
];

/** Every pass, in order, for the default backend (wasm). */
export const pipeline: ReadonlyArray<Pass> = pipelineFor('wasm');
