/**
 * Optimizer IR. Hyperparameters that change over a run are schedules. `decayAll: false` means
 * no weight decay on biases and 1-D parameters (norm scales), the usual convention.
 */
import type { Schedule } from './schedule.js';

/** AdamW with decoupled weight decay. */
export interface AdamW {
  readonly _tag: 'AdamW';
  readonly lr: Schedule;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: Schedule;
  /** MoCo v3 ViT decays every parameter; I-JEPA excludes biases and 1-D params. */
  readonly decayAll: boolean;
}

/** Adam (no weight decay). ST-STORM generators: lr 2e-4, betas (0.5, 0.999). */
export interface Adam {
  readonly _tag: 'Adam';
  readonly lr: Schedule;
  readonly betas: readonly [number, number];
  readonly eps: number;
}

/**
 * LARS as in MoCo v3: `u = g + wd p`, scaled by `trust * |p| / |u|`, then momentum.
 * Parameters with ndim <= 1 skip weight decay and the trust ratio.
 */
export interface Lars {
  readonly _tag: 'Lars';
  readonly lr: Schedule;
  readonly momentum: number;
  readonly weightDecay: Schedule;
  readonly trust: number;
}

/** SGD with (optionally Nesterov) momentum and L2 weight decay. */
export interface Sgd {
  readonly _tag: 'Sgd';
  readonly lr: Schedule;
  readonly momentum: number;
  readonly weightDecay: Schedule;
  readonly nesterov: boolean;
}

/** Every optimizer kind. */
export type Optimizer = AdamW | Adam | Lars | Sgd;
