/**
 * Parameter counts. The parameters themselves (paths, shapes, decay, initialisers) come from the
 * one parameter table, `compiler/ir/params`, which the lowering reads too.
 */
import type { ParamInfo } from '../../ir/graph.js';

/** A list of parameter descriptors. */
export type Params = ReadonlyArray<ParamInfo>;

/** Parameter counts in elements: trainable parameters, buffers, and their sum. */
export interface ParamCount {
  readonly trainable: number;
  readonly buffers: number;
  readonly total: number;
}

/** Counts elements of a parameter list, trainable vs buffers. */
export const countParams = (params: Params): ParamCount => {
  const size = (p: ParamInfo): number => p.shape.reduce((a, b) => a * b, 1);
  const trainable = params.filter((p) => !p.buffer).reduce((a, p) => a + size(p), 0);
  const buffers = params.filter((p) => p.buffer).reduce((a, p) => a + size(p), 0);
  return { trainable, buffers, total: trainable + buffers };
};
