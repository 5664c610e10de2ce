/**
 * I-JEPA multi-block masks (methods.md 2.1; `src/masks/multiblock.py` of facebookresearch/ijepa
 * @ 52c1ae9), on a grid of patches indexed row-major `r * W + c`:
 * - one target size and one context size per batch, each from a single uniform draw `u` giving
 *   both the scale `s = lo + u (hi - lo)` and the aspect `a` the same way (perfectly correlated,
 *   as in the reference): `n = floor(H W s)`, `h = round(sqrt(n a))`, `w = round(sqrt(n / a))`,
 *   shrunk until `h < H` and `w < W`;
 * - per image, `targets` blocks at `top ~ randint(0, H - h)`, `left ~ randint(0, W - w)`;
 * - then the context block(s), minus every target block unless `allowOverlap`, redrawn until it
 *   keeps more than `minKeep` patches; after 20 failures one target constraint is dropped (and so on);
 * - index lists sorted, truncated to the batch minimum (the highest indices dropped).
 */
import type { MultiBlockMask } from '../../ir/augment.js';
import type { Rng } from '../../ir/rng.js';

/** Integer indices and their shape (row-major). */
export interface IndexBlock {
  readonly data: Int32Array;
  readonly shape: ReadonlyArray<number>;
}

/** The masks of one batch: `context [B, Kc]` and `targets [T, B, Kt]` patch indices. */
export interface BlockMasks {
  readonly context: IndexBlock;
  readonly targets: IndexBlock;
  /** The block sizes drawn for this batch, `[rows, cols]`. */
  readonly targetSize: readonly [number, number];
  readonly contextSize: readonly [number, number];
}

type Size = readonly [number, number];

/** The block size of one batch (reference `_sample_block_size`). */
export const sampleBlockSize = (
  grid: Size,
  scale: Size,
  aspect: Size,
  rng: Rng,
): [number, number] => {
  const [gh, gw] = grid;
  const u = rng.next();
  const s = scale[0] + u * (scale[1] - scale[0]);
  const a = aspect[0] + u * (aspect[1] - aspect[0]);
  const n = Math.floor(gh * gw * s);
  let h = Math.round(Math.sqrt(n * a));
  let w = Math.round(Math.sqrt(n / a));
  while (h >= gh) h--;
  while (w >= gw) w--;
  return [h, w];
};

/** Indices of an `h x w` block at a random place, minus the `excluded` patches; and the block itself. */
const placeBlock = (
  grid: Size,
  size: Size,
  rng: Rng,
  excluded: ReadonlyArray<Set<number>>,
): { kept: number[]; block: Set<number> } => {
  const [gh, gw] = grid;
  const top = rng.int(0, gh - size[0]);
  const left = rng.int(0, gw - size[1]);
  const block = new Set<number>();
  for (let r = top; r < top + size[0]; r++)
    for (let c = left; c < left + size[1]; c++) block.add(r * gw + c);
  const kept = [...block].filter((i) => excluded.every((e) => !e.has(i))).sort((x, y) => x - y);
  return { kept, block };
};

/** Redraws until more than `minKeep` patches survive; every 20 failures, drops the last constraint. */
const sampleValid = (
  grid: Size,
  size: Size,
  minKeep: number,
  rng: Rng,
  constraints: ReadonlyArray<Set<number>>,
): { kept: number[]; block: Set<number> } => {
  if (size[0] * size[1] <= minKeep) {
    throw new Error(
      `multi-block mask: a ${size[0]}x${size[1]} block can never keep more than minKeep=${minKeep} patches\nhint: raise the block scale or lower minKeep`,
    );
  }
  for (let tries = 0; ; tries++) {
    const active = constraints.slice(0, Math.max(0, constraints.length - Math.floor(tries / 20)));
    const drawn = placeBlock(grid, size, rng, active);
    if (drawn.kept.length > minKeep) return drawn;
  }
};

const truncate = (lists: ReadonlyArray<number[]>, shape: ReadonlyArray<number>): IndexBlock => {
  const k = Math.min(...lists.map((l) => l.length));
  const data = new Int32Array(lists.length * k);
  lists.forEach((l, i) => data.set(l.slice(0, k), i * k));
  return { data, shape: [...shape, k] };
};

/**
 * Samples the masks of a batch of `batch` images. Plain arrays (no TF.js): `context` is
 * `[B, Kc]` and `targets` is `[T, B, Kt]`, int32 row-major; turn them into tensors with
 * `tf.tensor(data, shape, 'int32')`. Only one context block is supported (I-JEPA's `nenc = 1`).
 */
export const sampleMultiBlockMasks = (
  spec: MultiBlockMask,
  batch: number,
  rng: Rng,
): BlockMasks => {
  if (spec.contexts !== 1)
    throw new Error(
      `multi-block mask: contexts must be 1 (I-JEPA), got ${spec.contexts}\nhint: use one context block`,
    );
  const targetSize = sampleBlockSize(spec.grid, spec.targetScale, spec.targetAspect, rng);
  const contextSize = sampleBlockSize(spec.grid, spec.contextScale, spec.contextAspect, rng);
  const targets: number[][][] = Array.from({ length: spec.targets }, () => []);
  const context: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const blocks = Array.from({ length: spec.targets }, () =>
      sampleValid(spec.grid, targetSize, spec.minKeep, rng, []),
    );
    blocks.forEach((blk, t) => targets[t]!.push(blk.kept));
    const constraints = spec.allowOverlap ? [] : blocks.map((blk) => blk.block);
    context.push(sampleValid(spec.grid, contextSize, spec.minKeep, rng, constraints).kept);
  }
  return {
    context: truncate(context, [batch]),
    targets: truncate(targets.flat(), [spec.targets, batch]),
    targetSize,
    contextSize,
  };
};
