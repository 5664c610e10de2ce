/**
 * The PyTorch target: what `tessera compile SPEC --target torch` hands to the Python runtime
 * (`python/tessera_torch`). Pure data: the checked graph and its step plan (`passes/plan.ts`:
 * per objective, the nodes computed without gradient, the taped nodes, the EMA modules updated
 * after its optimizer step, the terms with their weights and adaptive controllers), so both targets
 * run the same nodes in the same order.
 */
import type { Graph, ObjectivePlan } from './ir/graph.js';
import { stepPlan } from './passes/plan.js';

/** The format of `graph.json` in a torch target folder. */
export const TORCH_TARGET_FORMAT = 'tessera-torch-target';

/** One objective's plan with names only (JSON). */
export interface TorchObjectivePlan {
  readonly objective: string;
  /** The IR plan's terms as they are (an adaptive weight is run state, `runtime/adaptiveWeights.ts`). */
  readonly terms: ObjectivePlan['terms'];
  readonly constant: ObjectivePlan['constant'];
  readonly taped: ObjectivePlan['taped'];
  readonly modules: ObjectivePlan['modules'];
  readonly emaAfter: ReadonlyArray<string>;
}

/** The content of `graph.json`. */
export interface TorchTarget {
  readonly format: typeof TORCH_TARGET_FORMAT;
  readonly version: 1;
  /** Where the spec came from (a library method and preset, or a file). */
  readonly name: string;
  /** `specHash(graph.method)`: the hash `tessera train` records for the same resolved spec. */
  readonly specHash: string;
  readonly graph: Graph;
  readonly plan: ReadonlyArray<TorchObjectivePlan>;
}

/** The torch target of a checked graph. */
export const torchTarget = (graph: Graph, name: string, specHash: string): TorchTarget => ({
  format: TORCH_TARGET_FORMAT,
  version: 1,
  name,
  specHash,
  graph,
  plan: stepPlan(graph).map((p) => ({
    objective: p.objective.name,
    terms: p.terms,
    constant: p.constant,
    taped: p.taped,
    modules: p.modules,
    emaAfter: p.emaAfter.map((m) => m.name),
  })),
});
