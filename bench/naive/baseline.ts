/**
 * What the hand-written baselines share: their interface, a private copy of a compiled method's
 * weights (same init, so the losses compare), and the inputs both implementations must agree on.
 *
 * Same views and masks: the compiled step draws each view from
 * `Rng.seeded(seed).fork('step:<step>').fork('view:<name>')` (and masks from `...fork('masks:<name>')`,
 * see `compiler/lower/random.ts`). A baseline calls the same data functions (`compiler/lower/augment`,
 * `compiler/lower/masks`) with the same forks, so for a given (seed, step, images) both steps train on
 * identical view and mask tensors, with no hook in `CompiledMethod`. Augmentation time is thus
 * inside both measured steps.
 */
import * as tf from '@tensorflow/tfjs';
import type { AugNode, MultiBlockMask } from '../../compiler/ir/augment.js';
import type { Graph } from '../../compiler/ir/graph.js';
import type { NetNode } from '../../compiler/ir/net.js';
import type { ModuleDecl, Objective } from '../../compiler/ir/node.js';
import { Rng } from '../../compiler/ir/rng.js';

/** A hand-written eager training step of the same model as a compiled method. */
export interface NaiveMethod {
  /** The TF.js backend its weights live on. */
  readonly backend: string;
  /** One training step (one `tf.tidy`); returns the total loss, computed before the update. */
  step(images: tf.Tensor4D, at: { readonly step: number; readonly totalSteps: number }): number;
  /** Its own copy of the weights, `module/path`. */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  dispose(): void;
}

/**
 * A private copy of every variable of `compiled` on the current backend (`trainable(name)` says
 * which ones the baseline optimizes). Values are read on the backend they live on.
 */
export const copyWeights = (
  source: Readonly<Record<string, tf.Variable>>,
  trainable: (name: string) => boolean,
): Record<string, tf.Variable> =>
  Object.fromEntries(
    Object.entries(source).map(([name, v]) => [
      name,
      tf.variable(tf.tensor(v.dataSync().slice(), v.shape, v.dtype), trainable(name)),
    ]),
  );

/** The declaration of module `name` in `graph`. */
export const moduleDecl = (graph: Graph, name: string): ModuleDecl => {
  const m = graph.method.modules.find((d) => d.name === name);
  if (m === undefined) throw new Error(`naive: the graph has no module "${name}"`);
  return m;
};

/** The net of module `name`, checked to be of kind `tag`. */
export const netOf = <T extends NetNode['_tag']>(
  graph: Graph,
  name: string,
  tag: T,
): Extract<NetNode, { _tag: T }> => {
  const net = moduleDecl(graph, name).net;
  if (net._tag !== tag)
    throw new Error(`naive: module "${name}" is a ${net._tag}, expected ${tag}`);
  return net as Extract<NetNode, { _tag: T }>;
};

/** The method's only objective (both baselines have one). */
export const onlyObjective = (graph: Graph): Objective => {
  const [o, ...rest] = graph.method.objectives;
  if (o === undefined || rest.length > 0) throw new Error('naive: expected exactly one objective');
  return o;
};

/** The augmentation pipeline of the view named `name`. */
export const viewPipeline = (graph: Graph, name: string): ReadonlyArray<AugNode> => {
  for (const n of graph.nodes)
    if (n.expr._tag === 'View' && n.expr.name === name) return n.expr.pipeline;
  throw new Error(`naive: the graph has no view "${name}"`);
};

/** The multi-block mask spec and node name of the graph's `Masks` node. */
export const maskSpec = (
  graph: Graph,
): { readonly name: string; readonly spec: MultiBlockMask } => {
  for (const n of graph.nodes)
    if (n.expr._tag === 'Masks') return { name: n.expr.name, spec: n.expr.spec };
  throw new Error('naive: the graph has no Masks node');
};

type NodeExpr = Graph['nodes'][number]['expr'];

const hasTag = <T extends string>(e: NodeExpr, tag: T): e is Extract<NodeExpr, { _tag: T }> =>
  e._tag === tag;

/** The first loss node's expression of kind `tag` (its hyperparameters). */
export const lossOf = <T extends string>(graph: Graph, tag: T): Extract<NodeExpr, { _tag: T }> => {
  for (const n of graph.nodes) if (n.op === 'Loss' && hasTag(n.expr, tag)) return n.expr;
  throw new Error(`naive: the graph has no ${tag} loss`);
};

/** Whether AdamW decays `module/path`: every weight when `decayAll`, else the shape pass's `decay` flag. */
export const decayRule =
  (graph: Graph, decayAll: boolean) =>
  (name: string): boolean => {
    if (decayAll) return true;
    const slash = name.indexOf('/');
    const info = graph.modules
      .find((m) => m.decl.name === name.slice(0, slash))
      ?.params?.find((p) => p.path === name.slice(slash + 1));
    return info?.decay ?? false;
  };

/** The random stream of `step` for a method initialised with `seed` (as the compiled step forks it). */
export const stepRng = (seed: number, step: number): Rng => Rng.seeded(seed).fork(`step:${step}`);

/**
 * A `NaiveMethod` over its weights `vars` (freed with `opt` by `dispose`): each step runs
 * `body(images, progress, rng)` in one `tf.tidy`, with `progress = step / totalSteps` (0 when
 * `totalSteps` is 0) and `rng = stepRng(seed, step)`, and returns the loss `body` returns (read, then freed).
 */
export const naiveMethod = (
  vars: Readonly<Record<string, tf.Variable>>,
  opt: { dispose(): void },
  seed: number,
  body: (images: tf.Tensor4D, progress: number, rng: Rng) => tf.Scalar,
): NaiveMethod => ({
  backend: tf.getBackend(),
  variables: vars,
  step: (images, s) => {
    const progress = s.totalSteps > 0 ? s.step / s.totalSteps : 0;
    const value = tf.tidy(() => body(images, progress, stepRng(seed, s.step)));
    const out = value.dataSync()[0]!;
    value.dispose();
    return out;
  },
  dispose: () => {
    Object.values(vars).forEach((v) => v.dispose());
    opt.dispose();
  },
});
