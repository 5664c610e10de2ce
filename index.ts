/**
 * tessera: typed SSL architectures, checked before training, compiled to a fused TF.js step.
 *
 * - the DSL (`Net`, `Branch`, `View`, `Aug`, `Loss`, `Schedule`, `Optim`, `Method`, ...) builds
 *   methods as plain data;
 * - `checkMethod` / `checkOrThrow` check a method (or its JSON) and report every issue;
 * - `compile` lowers it to a trainable step on a TF.js backend; `train` runs a whole job (both
 *   take the spec or its checked graph, which they do not check again);
 * - the library ships `mocoV3`, `ijepa` and `stStorm`; `appearanceDataset` and
 *   `openImageFolder` provide data; `evaluateRepresentations` probes frozen features;
 *   `loadEncoder` reads an exported encoder back.
 */
export * from './dsl/index.js';
export type {
  Method as MethodSpec,
  ModuleDecl,
  Objective,
  Phase,
  Representation,
  ValueExpr,
  NetNode,
  LossNode,
  AugNode,
  Optimizer,
  Schedule as ScheduleSpec,
} from './compiler/ir/node.js';
export type { Graph, GraphNode, MemoryPlan } from './compiler/ir/graph.js';
export type { Issue, IssueCode } from './compiler/ir/issue.js';
export { decodeMethod, encodeMethod, parseMethodJson } from './compiler/ir/codec.js';
export { renderIssues } from './compiler/ir/render.js';
export { printGraph } from './compiler/ir/printer.js';
export {
  checkMethod,
  checkOrThrow,
  CheckError,
  isChecked,
  type CheckedGraph,
} from './compiler/check.js';
export { compile, compileGraph, type CompileOptions } from './runtime/compile.js';
export type { CompiledMethod, StepMetrics } from './runtime/compiled.js';
export {
  methods,
  methodNames,
  mocoV3,
  ijepa,
  stStorm,
  type MethodName,
  type Preset,
} from './library/index.js';
export { useBackend, BACKENDS, type BackendName } from './runtime/backend.js';
export { train, TrainError, type TrainConfig, type TrainResult } from './runtime/train.js';
export { loadEncoder, exportEncoder, type Encoder } from './runtime/encoder.js';
export { initModule, initModules, InitError, type ModuleInit } from './runtime/init.js';
export { Rng } from './compiler/ir/rng.js';
export type { Dataset, Batch } from './runtime/dataset.js';
export { appearanceDataset } from './data/appearance/generator.js';
export { openImageFolder } from './data/imageFolder.js';
export { applyPipeline } from './compiler/lower/augment/pipeline.js';
export { evaluateRepresentations, renderProbeTable } from './eval/index.js';
