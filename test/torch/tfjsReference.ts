/**
 * The TF.js side of the torch equivalence tests: one objective's forward and gradients on the
 * `cpu` (or `wasm`) backend, exactly as `compiler/lower/compiled.ts` runs it (constant nodes, then
 * the taped ones under `tf.variableGrads`), keeping the initial weights and the step's random
 * values (views, masks, permutations) and the draws of its losses (PatchNCE positions, SWD patches
 * and projections) so that torch can be fed the same. Written to one safetensors file:
 * `weights/<module>/<path>`, `images`, `fixed/<node>[/<field>]` (a loss node's draws as
 * `fixed/<node>/perm<i>` and `fixed/<node>/normals`), `lossState/<term>` (the key queues read),
 * `expect/terms/<term>`,
 * `expect/grads/<module>/<path>`.
 */
import { writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../../compiler/ir/graph.js';
import { evaluateSchedule } from '../../compiler/ir/schedule.js';
import { evaluateNodes, type EvalContext } from '../../compiler/lower/evaluate.js';
import { legalizeFor, withFusion } from '../../compiler/lower/legalize/index.js';
import { createLossState } from '../../runtime/lossState.js';
import { createMemoryState } from '../../compiler/lower/memory.js';
import type { Lowered } from '../../compiler/lower/nets/index.js';
import { createStore, disposeStore, flattenStore, trainableOf } from '../../runtime/store.js';
import { planStep } from '../../compiler/passes/plan.js';
import { encodeSafetensors, type NamedTensor } from '../../runtime/checkpoint/safetensors.js';
import { Rng } from '../../compiler/ir/rng.js';

/** The ops whose values are random draws (fed to torch as given values). */
export const RANDOM_OPS: ReadonlySet<string> = new Set(['View', 'Masks', 'TokenMask', 'Permute']);

/**
 * Augmentations that draw nothing: a `View` made only of these is computed by torch itself, not
 * fed (ST-STORM's style-gain views `styleGainA` / `styleGainB`), so the comparison checks its rule.
 */
export const DETERMINISTIC_AUGS: ReadonlySet<string> = new Set(['Normalize']);

/** Whether node `n`'s value is a random draw (a `View` only when one of its steps draws). */
const isRandom = (n: Graph['nodes'][number]): boolean =>
  RANDOM_OPS.has(n.op) &&
  !(n.op === 'View' && n.expr.pipeline.every((a) => DETERMINISTIC_AUGS.has(a._tag)));

/** The draws one loss node made: its permutations in order and its normals. */
interface LossDraws {
  readonly permutations: number[][];
  readonly normals: number[];
}

/**
 * `rng` whose forks for losses (`loss:<node>`) record their permutations and normals into
 * `draws` by node id (`Rng` itself is unchanged: the recording wraps its methods).
 */
const recordingRng = (rng: Rng, draws: Map<string, LossDraws>): Rng =>
  new Proxy(rng, {
    get: (target, prop) => {
      if (prop !== 'fork')
        return (Reflect.get(target, prop) as (...a: unknown[]) => unknown).bind(target);
      return (key: string): Rng => {
        const forked = target.fork(key);
        if (!key.startsWith('loss:')) return forked;
        const log: LossDraws = { permutations: [], normals: [] };
        draws.set(key.slice('loss:'.length), log);
        return new Proxy(forked, {
          get: (t, p) => {
            const f = (Reflect.get(t, p) as (...a: unknown[]) => unknown).bind(t);
            if (p === 'permutation')
              return (n: number) => {
                const out = f(n) as number[];
                log.permutations.push(out);
                return out;
              };
            if (p === 'normal')
              return () => {
                const out = f() as number;
                log.normals.push(out);
                return out;
              };
            return f;
          },
        });
      };
    },
  });

/** The recorded loss draws as safetensors entries. */
const drawEntries = (draws: ReadonlyMap<string, LossDraws>): Record<string, NamedTensor> => {
  const out: Record<string, NamedTensor> = {};
  for (const [id, d] of draws) {
    d.permutations.forEach((p, i) => {
      out[`fixed/${id}/perm${i}`] = { dtype: 'I32', shape: [p.length], data: Int32Array.from(p) };
    });
    if (d.normals.length > 0)
      out[`fixed/${id}/normals`] = {
        dtype: 'F32',
        shape: [d.normals.length],
        data: Float32Array.from(d.normals),
      };
  }
  return out;
};

/** A tensor as a safetensors entry (int32 stays I32, the rest F32). */
export const named = (t: tf.Tensor): NamedTensor =>
  t.dtype === 'int32'
    ? { dtype: 'I32', shape: t.shape, data: t.dataSync() as Int32Array }
    : { dtype: 'F32', shape: t.shape, data: Float32Array.from(t.dataSync()) };

/** The random values of the step, by node id (struct fields as `fixed/<id>/<field>`). */
export const randomValues = (
  graph: Graph,
  values: ReadonlyMap<string, Lowered>,
): Record<string, NamedTensor> => {
  const out: Record<string, NamedTensor> = {};
  for (const n of graph.nodes) {
    const v = values.get(n.id);
    if (!isRandom(n) || v === undefined) continue;
    if (v instanceof tf.Tensor) out[`fixed/${n.id}`] = named(v);
    else for (const [k, f] of Object.entries(v)) out[`fixed/${n.id}/${k}`] = named(f as tf.Tensor);
  }
  return out;
};

/**
 * Runs objective `at.objective` (default: the first) of `graph` at `step` of `totalSteps` on
 * `images` (NHWC in [0, 1]) from `seed`'s initial weights with the kernels of `at.backend`
 * (default `cpu`; the backend itself is the caller's `useBackend`) and writes the reference file;
 * returns the terms. `at.paired`: the other fold's batch, for a graph reading `pairedImages`
 * (written as `paired`).
 */
export const writeReference = async (
  file: string,
  graph: Graph,
  images: tf.Tensor4D,
  at: {
    readonly seed: number;
    readonly step: number;
    readonly totalSteps: number;
    readonly objective?: string;
    readonly backend?: string;
    readonly paired?: tf.Tensor4D;
  },
): Promise<Record<string, number>> => {
  const plans = planStep(graph);
  const plan =
    at.objective === undefined ? plans[0]! : plans.find((p) => p.objective.name === at.objective);
  if (plan === undefined) throw new Error(`writeReference: no objective "${at.objective}"`);
  const store = createStore(graph.modules, at.seed);
  const out: Record<string, NamedTensor> = {
    images: named(images),
    ...(at.paired === undefined ? {} : { paired: named(at.paired) }),
  };
  for (const [k, v] of Object.entries(flattenStore(store))) out[`weights/${k}`] = named(v);
  const plain = legalizeFor(at.backend ?? 'cpu');
  const draws = new Map<string, LossDraws>();
  const progress = at.step / at.totalSteps;
  const ctx: EvalContext = {
    graph,
    store,
    images,
    ...(at.paired === undefined ? {} : { paired: at.paired }),
    training: true,
    step: at.step,
    progress,
    lossState: createLossState(),
    memory: createMemoryState(),
    kernels: { plain, fused: withFusion(plain) },
    rng: recordingRng(Rng.seeded(at.seed).fork(`step:${at.step}`), draws),
    buffers: new Map(),
  };
  const values = new Map<string, Lowered>();
  const terms: Record<string, number> = {};
  evaluateNodes(plan.constant, values, ctx);
  const vars = trainableOf(store, plan.modules);
  const { grads } = tf.variableGrads(() => {
    evaluateNodes(plan.taped, values, ctx);
    const weighted = plan.terms.map((t) => {
      const loss = values.get(t.node) as tf.Scalar;
      terms[t.name] = loss.dataSync()[0]!;
      return tf.mul(loss, evaluateSchedule(t.weight, progress));
    });
    return tf.addN(weighted) as tf.Scalar;
  }, Object.values(vars));
  for (const [path, v] of Object.entries(vars))
    if (grads[v.name] !== undefined) out[`expect/grads/${path}`] = named(grads[v.name]!);
  for (const [k, v] of Object.entries(terms))
    out[`expect/terms/${k}`] = { dtype: 'F32', shape: [], data: Float32Array.of(v) };
  Object.assign(out, randomValues(graph, values), drawEntries(draws));
  // InfoNCEQueue queues as the step read them (created from the loss's own stream on first use)
  for (const [term, q] of ctx.lossState.queues) out[`lossState/${term}`] = named(q);
  await writeFile(file, encodeSafetensors(out));
  disposeStore(store);
  return terms;
};
