/**
 * Loss lowering: one TF.js kernel per `LossNode` kind, in an exhaustive table (adding a loss kind
 * to the IR without a kernel does not type-check). Kernels use only ops with wasm kernels and
 * gradients: no gather-with-gradient (one-hot matmuls or slices), no FFT (matmul DFT), no
 * `transposeB`. References per kernel in their files.
 */
import type { LossNode, LossTag } from '../../ir/loss.js';
import {
  lsganDiscriminatorKernel,
  lsganGeneratorKernel,
  r1Kernel,
  spadeGateKernel,
} from './adversarial.js';
import type { LossKernel } from './context.js';
import { infoNceKernel, infoNceQueueKernel, patchNceKernel } from './contrastive.js';
import {
  l1Kernel,
  l2Kernel,
  maskedTokenL2Kernel,
  smoothL1Kernel,
  tokenL1Kernel,
} from './regression.js';
import { fftAmplitudeL1Kernel, slicedWassersteinKernel } from './texture.js';
import { vicregCovarianceKernel, vicregVarianceKernel } from './vicreg.js';

export * from './context.js';
export { SPADE_GATES_PARAM, spadeGateParams } from './adversarial.js';
export { patchNceAt } from './contrastive.js';
export {
  laplacianPyramid,
  patchGrid,
  randomProjections,
  slicedWassersteinAt,
  slicedWassersteinPyramidAt,
  type BandDraws,
  type PatchAt,
} from './texture.js';

/** The kernel of every loss kind, by tag. */
export type LossKernelTable = {
  readonly [K in LossTag]: LossKernel<Extract<LossNode, { _tag: K }>>;
};

/** Every loss kernel, by tag. */
export const lossKernels: LossKernelTable = {
  InfoNCE: infoNceKernel,
  InfoNCEQueue: infoNceQueueKernel,
  SmoothL1: smoothL1Kernel,
  L2: l2Kernel,
  L1: l1Kernel,
  LsganGenerator: lsganGeneratorKernel,
  LsganDiscriminator: lsganDiscriminatorKernel,
  R1: r1Kernel,
  PatchNce: patchNceKernel,
  TokenL1: tokenL1Kernel,
  FftAmplitudeL1: fftAmplitudeL1Kernel,
  SlicedWasserstein: slicedWassersteinKernel,
  VicregVariance: vicregVarianceKernel,
  VicregCovariance: vicregCovarianceKernel,
  SpadeGate: spadeGateKernel,
  MaskedTokenL2: maskedTokenL2Kernel,
};

/** Runs the kernel of `loss`'s kind (a typed dispatch over the table). */
export const lowerLoss: LossKernel<LossNode> = (loss, inputs, ctx) =>
  (lossKernels[loss._tag] as LossKernel<LossNode>)(loss, inputs, ctx);
