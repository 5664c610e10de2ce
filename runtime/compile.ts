/**
 * `compile(spec, { backend })`: check a method (a `Method` value or its JSON), run the
 * optimisation passes, and lower it to a trainable `CompiledMethod` on a TF.js backend.
 *
 * ```ts
 * const moco = await compile(mocoV3({ preset: 'tiny' }), { backend: 'wasm' });
 * moco.init(0);
 * const metrics = moco.step(images, { step: 0, totalSteps: 200 });
 * ```
 * Throws a `CheckError` (the rendered issue tree) when the spec does not check.
 */
import { useBackend, type BackendName } from './backend.js';
import { checkOrThrow } from '../compiler/check.js';
import type { Graph } from '../compiler/ir/graph.js';
import { lower, type CompiledMethod } from './compiled.js';
import { pipelineFor } from '../compiler/passes/pipeline.js';

/** Options of `compile`. */
export interface CompileOptions {
  /** TF.js backend (default `wasm`). */
  readonly backend?: BackendName;
  /** Print the IR after every pass. */
  readonly dump?: boolean;
  /** Where dumps go (default `console.log`). */
  readonly log?: (text: string) => void;
}

/** Checks and optimises a spec: the graph the lowering receives. Throws `CheckError`. */
export const compileGraph = (spec: unknown, options: CompileOptions = {}): Graph =>
  checkOrThrow(spec, {
    passes: pipelineFor(options.backend ?? 'wasm'),
    dump: options.dump === true,
    ...(options.log ? { log: options.log } : {}),
  });

/** Checks, optimises and lowers a spec on `options.backend`. */
export const compile = async (
  spec: unknown,
  options: CompileOptions = {},
): Promise<CompiledMethod> => {
  await useBackend(options.backend ?? 'wasm');
  return lower(compileGraph(spec, options));
};
