/**
 * tessera's typed DSL. Namespaces make IR values (`compiler/ir/node.ts`): `Net`, `Predictor`,
 * `Branch`, `Aug`, `View`, `Mask`, `Value`, `Loss`, `Schedule`, `Optim`, `Method`. Types carry
 * tensor kinds and literal feature dims (`Img<3>`, `Tok<384>`, `Vec<256>`) so that `tsc` rejects
 * mismatched compositions. Pure data: never imports TF.js.
 */
export { Net } from './net/index.js';
export type { VitOut, ResNetOut } from './net/vision.js';
export type { UNetFeatures, StyleFeatures } from './net/storm.js';
export { Predictor } from './predictor.js';
export { Branch, type Module, type Ports } from './branch.js';
export { Aug } from './augment.js';
export { View } from './view.js';
export { Mask, type MultiBlock } from './mask.js';
export { Value } from './value.js';
export { Loss, type Term } from './loss.js';
export { Schedule, type ScheduleLike } from './schedule.js';
export { Optim } from './optim.js';
export { Method, type MethodOptions, type ObjectiveOptions } from './method.js';
export type { TermLocator } from './ablate.js';
export type {
  Any,
  Check,
  Fits,
  Idx,
  Img,
  Mismatch,
  Msk,
  Pick,
  Pooled,
  Rec,
  Same,
  Then,
  Tok,
  Ty,
  Vec,
} from './types.js';
