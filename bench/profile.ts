/**
 * `tessera bench step --profile`: where one compiled training step spends its kernel time, by
 * kernel category and by IR node, from `tf.profile` (each kernel timed on its own; the sum is below
 * the step's wall time, which also holds JS dispatch, tape bookkeeping and the profiler itself).
 *
 * Only kernels registered on the backend count (`tf.profile` also lists composite ops such as
 * custom-gradient functions around the kernels they run). Kernels are attributed to the IR node being evaluated when they ran (the step's `trace` hook);
 * the backward pass, the optimizer update and the EMA run after the forward and get one row each
 * per objective (`backward:<objective>`, ...). Categories:
 * - `augmentation`: every kernel of a `View` or `Masks` node (whatever its kind);
 * - `attention products`: batched matmuls (`BatchMatMul`, `TesseraBatchMatMul`, `_FusedMatMul` whose operands carry a
 *   batch of more than one matrix: the per-head products and their gradients);
 * - `other matmuls`: plain 2-D products (linears, their gradients, logits);
 * - `convolutions`: `Conv2D` and its gradients, depthwise and transposed variants;
 * - `data movement`: reshapes, transposes, copies, concat / slice / split, gathers, pads, casts;
 * - `element-wise`: everything else (arithmetic, activations, reductions, softmax...), including
 *   BatchNorm's group sums run as `ones [g, 1, n] . x` products.
 */
import type { CompiledMethod } from '../runtime/compiled.js';
import { tf } from '../runtime/backend.js';

/** The kernel categories of the profile, in print order. */
export const CATEGORIES = [
  'attention products',
  'other matmuls',
  'convolutions',
  'element-wise',
  'data movement',
  'augmentation',
] as const;
/** One kernel category. */
export type Category = (typeof CATEGORIES)[number];

/** Time and count of a group of kernels. */
export interface KernelShare {
  readonly ms: number;
  readonly kernels: number;
}

/** One row of the by-node view. */
export interface NodeShare extends KernelShare {
  /** IR node id, or a phase (`backward:<objective>`...). */
  readonly node: string;
  /** The node's op and a short description (`Apply backbone`), or the phase. */
  readonly what: string;
}

/** The profile of one compiled step. */
export interface StepProfile {
  readonly kernel_ms: number;
  readonly kernels: number;
  readonly wall_ms: number;
  readonly by_category: Readonly<Record<Category, KernelShare>>;
  /** Kernel names by time, the 12 largest. */
  readonly by_kernel: ReadonlyArray<KernelShare & { readonly kernel: string }>;
  /** IR nodes and phases by time, largest first. */
  readonly by_node: ReadonlyArray<NodeShare>;
}

const MATMULS = new Set(['BatchMatMul', '_FusedMatMul', 'MatMul', 'TesseraBatchMatMul']);
const CONVS = new Set([
  'Conv2D',
  'TesseraConv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2D',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'Conv2DTranspose',
]);
const MOVES = new Set([
  'Reshape',
  'Transpose',
  'Identity',
  'Concat',
  'Slice',
  'StridedSlice',
  'SplitV',
  'Gather',
  'GatherV2',
  'GatherNd',
  'Tile',
  'Pad',
  'PadV2',
  'MirrorPad',
  'Pack',
  'Unpack',
  'Cast',
  'Reverse',
  'ScatterNd',
  'Fill',
  'ZerosLike',
  'OnesLike',
  'Range',
  'OneHot',
  'ExpandDims',
  'Squeeze',
  'BroadcastTo',
  'Clone',
  'TensorScatterUpdate',
]);
const AUG_OPS = new Set(['View', 'Masks']);

/** Number of matrices in a matmul operand shape `[...batch, m, n]`. */
const batchOf = (shape: ReadonlyArray<number> | undefined): number =>
  (shape ?? []).slice(0, -2).reduce((a, b) => a * b, 1);

/** The category of a kernel run inside a node of op `op` (undefined for phases). */
export const categoryOf = (
  kernel: string,
  inputShapes: ReadonlyArray<ReadonlyArray<number>>,
  op: string | undefined,
): Category => {
  if (op !== undefined && AUG_OPS.has(op)) return 'augmentation';
  if (MATMULS.has(kernel)) {
    // `ones [g, 1, n] . x [g, n, c]`: sums over rows (BatchNorm's group statistics), a reduction
    const a = inputShapes[0] ?? [];
    if (a.length === 3 && a[1] === 1) return 'element-wise';
    return Math.max(batchOf(inputShapes[0]), batchOf(inputShapes[1])) > 1
      ? 'attention products'
      : 'other matmuls';
  }
  if (CONVS.has(kernel)) return 'convolutions';
  if (MOVES.has(kernel)) return 'data movement';
  return 'element-wise';
};

const add = (m: Map<string, { ms: number; kernels: number }>, key: string, ms: number) => {
  const e = m.get(key) ?? { ms: 0, kernels: 0 };
  m.set(key, { ms: e.ms + ms, kernels: e.kernels + 1 });
};

const nodeWhat = (
  compiled: CompiledMethod,
  marker: string,
): { op: string | undefined; what: string } => {
  const n = compiled.graph.nodes.find((x) => x.id === marker);
  if (n === undefined) return { op: undefined, what: marker.split(':')[0]! };
  const e = n.expr;
  const label =
    'module' in e && typeof e.module === 'string'
      ? e.module
      : 'name' in e && typeof e.name === 'string'
        ? e.name
        : '';
  return {
    op: n.op === 'Loss' ? 'Loss' : e._tag,
    what: [n.op, e._tag !== n.op ? e._tag : '', label].filter((s) => s !== '').join(' '),
  };
};

/** Profiles one compiled step at `at` on `images` (see the file comment). */
export const profileStep = async (
  compiled: CompiledMethod,
  images: tf.Tensor4D,
  at: { readonly step: number; readonly totalSteps: number },
): Promise<StepProfile> => {
  const marks: Array<{ readonly marker: string; readonly from: number }> = [
    { marker: 'setup', from: 0 },
  ];
  const trace = (marker: string) =>
    marks.push({ marker, from: tf.engine().state.activeProfile.kernels.length });
  const t0 = performance.now();
  const info = await tf.profile(() => void compiled.step(images, at, { trace }));
  const wall = performance.now() - t0;
  const cats = new Map<string, { ms: number; kernels: number }>(
    CATEGORIES.map((c) => [c, { ms: 0, kernels: 0 }]),
  );
  const names = new Map<string, { ms: number; kernels: number }>();
  const nodes = new Map<string, { ms: number; kernels: number }>();
  const backend = tf.getBackend();
  info.kernels.forEach((k, i) => {
    // composite ops (custom gradients, named scopes) are listed too, around their kernels: count leaves only
    if (tf.getKernel(k.name, backend) === undefined) return;
    const mark = marks.filter((m) => m.from <= i).at(-1)!.marker;
    const ms = Number(k.kernelTimeMs) || 0;
    add(cats, categoryOf(k.name, k.inputShapes as number[][], nodeWhat(compiled, mark).op), ms);
    add(names, k.name, ms);
    add(nodes, mark, ms);
  });
  const sorted = <T extends KernelShare>(xs: T[]): T[] => xs.sort((a, b) => b.ms - a.ms);
  return {
    kernel_ms: [...cats.values()].reduce((s, c) => s + c.ms, 0),
    kernels: [...cats.values()].reduce((s, c) => s + c.kernels, 0),
    wall_ms: wall,
    by_category: Object.fromEntries(cats) as Record<Category, KernelShare>,
    by_kernel: sorted([...names].map(([kernel, s]) => ({ kernel, ...s }))).slice(0, 12),
    by_node: sorted(
      [...nodes].map(([node, s]) => ({ node, what: nodeWhat(compiled, node).what, ...s })),
    ),
  };
};

const pct = (x: number, total: number): string =>
  `${((100 * x) / Math.max(total, 1e-9)).toFixed(1).padStart(5)}%`;

/** The human-readable profile (`top` rows of the by-node and by-kernel views). */
export const showProfile = (p: StepProfile, top = 15): string => {
  const row = (label: string, s: KernelShare) =>
    `    ${label.padEnd(40)} ${s.ms.toFixed(1).padStart(9)} ms ${pct(s.ms, p.kernel_ms)}  ${String(s.kernels).padStart(6)} kernels`;
  return [
    `  profile of one compiled step: ${p.kernel_ms.toFixed(1)} ms in ${p.kernels} kernels (wall ${p.wall_ms.toFixed(1)} ms under the profiler)`,
    '  by category:',
    ...CATEGORIES.map((c) => row(c, p.by_category[c])),
    '  by IR node (forward per node; backward, optimizer and EMA per objective):',
    ...p.by_node.slice(0, top).map((n) => row(`${n.node} ${n.what}`.slice(0, 40), n)),
    ...(p.by_node.length > top ? [`    ... ${p.by_node.length - top} more`] : []),
    '  by kernel:',
    ...p.by_kernel.map((k) => row(k.kernel, k)),
  ].join('\n');
};
