/**
 * The TF.js side of the whole-update test (`update.test.ts`): a few training steps run exactly as
 * `tessera train` runs them (`runtime/compiled.ts`: `lower(graph)`, `init(seed)`, `step`: forward,
 * gradients, optimizer with its schedules, BatchNorm statistics, EMA), keeping the initial state
 * and each step's random values (views, masks) so that torch can replay the same steps. Written to
 * one safetensors file: `weights/<module>/<path>` (initial), per step `i` `images/<i>` and
 * `fixed/<i>/<node>[/<field>]`, and after the last step `expect/weights/<module>/<path>` and
 * `expect/optimizer/<objective>/<module>/<path>:<slot>`.
 */
import { writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../../compiler/ir/graph.js';
import { Rng } from '../../compiler/ir/rng.js';
import { evaluateNodes, type EvalContext } from '../../compiler/lower/evaluate.js';
import { legalizeFor, withFusion } from '../../compiler/lower/legalize/index.js';
import { createMemoryState } from '../../compiler/lower/memory.js';
import type { Lowered } from '../../compiler/lower/nets/index.js';
import { ancestors } from '../../compiler/passes/plan.js';
import { encodeSafetensors, type NamedTensor } from '../../runtime/checkpoint/safetensors.js';
import { lower, type StepMetrics } from '../../runtime/compiled.js';
import { createLossState } from '../../runtime/lossState.js';
import { named, RANDOM_OPS, randomValues } from './tfjsReference.js';

/** Where the steps sit in training: steps `first, first + 1, ...` of `totalSteps`, from `seed`. */
export interface StepsAt {
  readonly seed: number;
  readonly first: number;
  readonly totalSteps: number;
}

/**
 * The views and masks the runtime draws at `step`: the random nodes evaluated alone with the
 * step's stream (`Rng.seeded(seed).fork('step:<step>')`, forked per node by name, as
 * `runtime/compiled.ts` does), keyed `fixed/<prefix><node>[/<field>]`.
 */
const drawnAt = (
  graph: Graph,
  images: tf.Tensor4D,
  seed: number,
  step: number,
  prefix: string,
): Record<string, NamedTensor> => {
  let out: Record<string, NamedTensor> = {};
  tf.tidy(() => {
    const random = graph.nodes.filter((n) => RANDOM_OPS.has(n.op)).map((n) => n.id);
    const needed = ancestors(graph, random);
    const other = needed.filter((n) => n.op !== 'Input' && !RANDOM_OPS.has(n.op));
    if (other.length > 0)
      throw new Error(`random nodes read computed values: ${other.map((n) => n.id).join(', ')}`);
    const plain = legalizeFor('cpu');
    const ctx: EvalContext = {
      graph,
      store: new Map(),
      images,
      training: true,
      step,
      progress: 0,
      lossState: createLossState(),
      memory: createMemoryState(),
      kernels: { plain, fused: withFusion(plain) },
      rng: Rng.seeded(seed).fork(`step:${step}`),
      buffers: new Map(),
    };
    const values = new Map<string, Lowered>();
    evaluateNodes(
      needed.map((n) => n.id),
      values,
      ctx,
    );
    out = Object.fromEntries(
      Object.entries(randomValues(graph, values)).map(([k, v]) => [
        `fixed/${prefix}${k.slice('fixed/'.length)}`,
        v,
      ]),
    );
  });
  return out;
};

/**
 * Trains `graph` (compiled for `cpu`) from `at.seed`'s initial weights for one step per batch of
 * `batches` (NHWC in [0, 1]), at steps `at.first ..` of `at.totalSteps`, and writes the replay
 * file. Returns each step's metrics (terms, learning rate, EMA momentum).
 */
export const writeTrajectory = async (
  file: string,
  graph: Graph,
  batches: ReadonlyArray<tf.Tensor4D>,
  at: StepsAt,
): Promise<ReadonlyArray<StepMetrics>> => {
  const compiled = lower(graph);
  compiled.init(at.seed);
  const out: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(compiled.variables())) out[`weights/${k}`] = named(v);
  const metrics = batches.map((images, i) => {
    const step = at.first + i;
    out[`images/${i}`] = named(images);
    Object.assign(out, drawnAt(graph, images, at.seed, step, `${i}/`));
    return compiled.step(images, { step, totalSteps: at.totalSteps });
  });
  for (const [k, v] of Object.entries(compiled.variables())) out[`expect/weights/${k}`] = named(v);
  for (const [k, v] of Object.entries(compiled.optimizerState()))
    out[`expect/optimizer/${k}`] = named(v);
  compiled.dispose();
  await writeFile(file, encodeSafetensors(out));
  return metrics;
};
