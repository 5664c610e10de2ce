/**
 * Pass 2: shape inference, parameter and FLOP counting. Pure abstract interpretation (no TF.js).
 * Conventions (ports, what FLOPs count) are in this folder's README.md; parameter paths in
 * `compiler/ir/params/README.md`.
 */
export {
  inferNet,
  netParams,
  subNet,
  NET_RULES,
  type InferOptions,
  type NetInfo,
  type RuleTable,
} from './net.js';
export { countParams, type ParamCount } from './params.js';
export { evalDim, type DimEnv } from './dims.js';
export type { Rule, RuleContext, Ports, Inferred, PortSpec } from './rule.js';
export {
  inferShapes,
  annotateShapes,
  stepFlops,
  graphEnv,
  maskEstimates,
  type ShapeReport,
  type StepFlops,
} from './pass.js';
export { inferValue, VALUE_RULES, type GraphContext, type Typed } from './values.js';
export { inferLoss, LOSS_RULES } from './losses.js';
