/**
 * Optimizers: AdamW, Adam, LARS, SGD (momentum, Nesterov), with schedules for learning rate and
 * weight decay and parameter groups by the `decay` flag. `makeOptimizer` is the entry point.
 */
import type { Optimizer } from '../../compiler/ir/optim.js';
import { adamRule, adamwRule } from './adam.js';
import { larsRule } from './lars.js';
import { runtimeOf, type OptimizerRuntime, type ParamSpec, type UpdateRule } from './optimizer.js';
import { sgdRule } from './sgd.js';

export type {
  OptimizerRuntime,
  ParamSpec,
  StepHyper,
  UpdateArgs,
  UpdateRule,
} from './optimizer.js';

/** The update rule of an optimizer spec. */
export const ruleOf = (spec: Optimizer): UpdateRule => {
  switch (spec._tag) {
    case 'AdamW':
      return adamwRule(spec);
    case 'Adam':
      return adamRule(spec);
    case 'Lars':
      return larsRule(spec);
    case 'Sgd':
      return sgdRule(spec);
  }
};

/**
 * A live optimizer for `params` (path, weight-decay flag, shape): zero moments, step 0.
 * Call `apply(params, grads, progress)` once per step; `state()` / `load()` for checkpoints.
 * No tensor is left behind by `apply` (the count after equals the count before).
 */
export const makeOptimizer = (
  spec: Optimizer,
  params: ReadonlyArray<ParamSpec>,
): OptimizerRuntime => runtimeOf(ruleOf(spec), params);
