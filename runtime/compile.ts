/**
 * `compile(spec, { backend })`: check a method (a `Method` value or its JSON), run the
 * optimisation passes, and lower it to a trainable `CompiledMethod` on a TF.js backend. A graph
 * `checkMethod` already checked (a `CheckedGraph`) is taken as it is: only the optimisation passes
 * run.
 *
 * ```ts
 * const moco = await compile(mocoV3({ preset: 'tiny' }), { backend: 'wasm' });
 * moco.init(0);
 * const metrics = moco.step(images, { step: 0, totalSteps: 200 });
 * const again = await compile(checkOrThrow(mocoV3({ preset: 'tiny' }))); // checked once
 * ```
 * Throws a `CheckError` (the rendered issue tree) when the spec does not check.
 */
import * as E from 'fp-ts/lib/Either.js';
import { useBackend, type BackendName } from './backend.js';
import {
  CheckError,
  checkOrThrow,
  isChecked,
  optimise,
  type CheckedGraph,
} from '../compiler/check.js';
import type { Graph } from '../compiler/ir/graph.js';
import { lower, type CompiledMethod } from './compiled.js';

/** Options of `compile`. */
export interface CompileOptions {
  /** TF.js backend (default `wasm`). */
  readonly backend?: BackendName;
  /** Print the IR after every pass. */
  readonly dump?: boolean;
  /** Where dumps go (default `console.log`). */
  readonly log?: (text: string) => void;
}

/**
 * Checks (unless `spec` is a `CheckedGraph`) and optimises a spec: the graph the lowering
 * receives. Throws `CheckError`.
 */
export const compileGraph = (spec: CheckedGraph | unknown, options: CompileOptions = {}): Graph => {
  const dump = { dump: options.dump === true, ...(options.log ? { log: options.log } : {}) };
  const checked = isChecked(spec) ? spec : checkOrThrow(spec, dump);
  const optimised = optimise(checked, options.backend ?? 'wasm', dump);
  if (E.isLeft(optimised)) throw new CheckError(optimised.left, checked.method.name);
  return optimised.right;
};

/** Checks (unless `spec` is a `CheckedGraph`), optimises and lowers a spec on `options.backend`. */
export const compile = async (
  spec: CheckedGraph | unknown,
  options: CompileOptions = {},
): Promise<CompiledMethod> => {
  await useBackend(options.backend ?? 'wasm');
  return lower(compileGraph(spec, options));
};
