/**
 * A contact sheet of what a training step sees (`tessera data views`): for a batch of images,
 * one row per image and one column per input / view / mask, drawn with the same random streams
 * the compiled step uses at step `s` (`Rng.seeded(seed).fork('step:s')`, then `view:<name>` and
 * `masks:<name>`, as `compiler/lower/random.ts`), so a user judges the augmentations a run
 * really trains on. Views of generated images (e.g. ST-STORM's key view of `far`) need the
 * networks and are listed as skipped; normalised views are shown de-normalised.
 */
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { isDeterministic, type AugNode } from '../compiler/ir/augment.js';
import type { MultiBlockMask } from '../compiler/ir/node.js';
import { Rng } from '../compiler/ir/rng.js';
import { applyPipeline } from '../compiler/lower/augment/pipeline.js';
import { sampleMultiBlockMasks } from '../compiler/lower/masks/multiBlock.js';

interface ViewNode {
  readonly _tag: 'View';
  readonly name: string;
  readonly source: { readonly _tag: string; readonly name?: string };
  readonly pipeline: ReadonlyArray<AugNode>;
}
interface MasksNode {
  readonly _tag: 'Masks';
  readonly name: string;
  readonly spec: MultiBlockMask;
}

/** What the sheet shows: column names in order, and the views it could not draw (with why). */
export interface ViewSheet {
  readonly png: Buffer;
  readonly columns: ReadonlyArray<string>;
  readonly skipped: ReadonlyArray<string>;
}

/**
 * Every random View and Masks node of a spec (any JSON value), first occurrence of each name, in
 * spec order. Fixed views (only `Resize` / `Normalize`, what representations read) are left out.
 */
export const randomNodes = (spec: unknown): { views: ViewNode[]; masks: MasksNode[] } => {
  const views = new Map<string, ViewNode>();
  const masks = new Map<string, MasksNode>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (o['_tag'] === 'View' && typeof o['name'] === 'string' && !views.has(o['name'])) {
      const view = o as unknown as ViewNode;
      if (!isDeterministic(view.pipeline)) views.set(view.name, view);
    }
    if (o['_tag'] === 'Masks' && typeof o['name'] === 'string' && !masks.has(o['name']))
      masks.set(o['name'], o as unknown as MasksNode);
    Object.values(o).forEach(walk);
  };
  walk(spec);
  return { views: [...views.values()], masks: [...masks.values()] };
};

/** Undoes a trailing Normalize so a view can be shown; clips to [0, 1]. */
const displayable = (x: tf.Tensor4D, pipeline: ReadonlyArray<AugNode>): tf.Tensor4D =>
  tf.tidy(() => {
    const norm = pipeline.find((a) => a._tag === 'Normalize') as
      { mean: ReadonlyArray<number>; std: ReadonlyArray<number> } | undefined;
    const y =
      norm === undefined ? x : x.mul(tf.tensor1d([...norm.std])).add(tf.tensor1d([...norm.mean]));
    return y.clipByValue(0, 1) as tf.Tensor4D;
  });

/** Renders every view whose source chain ends at the input images; the rest are reported. */
const renderViews = (
  views: ReadonlyArray<ViewNode>,
  images: tf.Tensor4D,
  rng: Rng,
): { drawn: Map<string, tf.Tensor4D>; skipped: string[] } => {
  const raw = new Map<string, tf.Tensor4D>();
  const skipped: string[] = [];
  const byName = new Map(views.map((v) => [v.name, v]));
  const get = (v: ViewNode): tf.Tensor4D | undefined => {
    if (raw.has(v.name)) return raw.get(v.name);
    const src =
      v.source._tag === 'Input' && v.source.name === 'images'
        ? images
        : v.source._tag === 'View' && byName.has(v.source.name!)
          ? get(byName.get(v.source.name!)!)
          : undefined;
    if (src === undefined) return undefined;
    const out = applyPipeline(src, v.pipeline, rng.fork(`view:${v.name}`));
    raw.set(v.name, out);
    return out;
  };
  const drawn = new Map<string, tf.Tensor4D>();
  for (const v of views) {
    const t = get(v);
    if (t === undefined)
      skipped.push(
        v.source._tag === 'Input'
          ? `${v.name} (its source is the other pseudo-domain fold's batch, ${v.source.name})`
          : `${v.name} (its source is computed by a network: ${v.source._tag})`,
      );
    else drawn.set(v.name, displayable(t, v.pipeline));
  }
  raw.forEach((t) => t.dispose());
  return { drawn, skipped };
};

const TINTS: ReadonlyArray<readonly [number, number, number]> = [
  [1, 0.2, 0.2],
  [0.2, 0.8, 0.2],
  [0.2, 0.4, 1],
  [1, 0.8, 0.1],
  [0.9, 0.2, 0.9],
  [0.1, 0.9, 0.9],
];

/** Two overlays per image: patches outside the context block dimmed, and each target block tinted in its colour. */
const maskOverlays = (
  m: MasksNode,
  base: Float32Array,
  batch: number,
  size: number,
  rng: Rng,
): [Float32Array, Float32Array] => {
  const drawn = sampleMultiBlockMasks(m.spec, batch, rng.fork(`masks:${m.name}`));
  const [gh, gw] = m.spec.grid;
  const ph = size / gh;
  const pw = size / gw;
  const context = base.slice();
  const targets = base.slice();
  const cell = (b: number, patch: number, f: (o: number) => void): void => {
    const r0 = Math.floor(patch / gw) * ph;
    const c0 = (patch % gw) * pw;
    for (let y = r0; y < r0 + ph; y++)
      for (let x = c0; x < c0 + pw; x++) f(((b * size + y) * size + x) * 3);
  };
  const [, kc] = drawn.context.shape as [number, number];
  const [nt, , kt] = drawn.targets.shape as [number, number, number];
  for (let b = 0; b < batch; b++) {
    const kept = new Set(Array.from({ length: kc }, (_, j) => drawn.context.data[b * kc + j]!));
    for (let patch = 0; patch < gh * gw; patch++)
      if (!kept.has(patch))
        cell(b, patch, (o) => [0, 1, 2].forEach((c) => (context[o + c] = context[o + c]! * 0.25)));
    for (let t = 0; t < nt; t++) {
      const tint = TINTS[t % TINTS.length]!;
      for (let j = 0; j < kt; j++)
        cell(b, drawn.targets.data[(t * batch + b) * kt + j]!, (o) =>
          [0, 1, 2].forEach((c) => (targets[o + c] = 0.5 * targets[o + c]! + 0.5 * tint[c]!)),
        );
    }
  }
  return [context, targets];
};

/**
 * The sheet of `images` (`[n, size, size, 3]` in [0, 1]) for `spec` at step `step` of a run with
 * `seed`: columns `input`, each drawable view, and per Masks node `<name>:context` and
 * `<name>:targets` (drawn over the first view, or the input). PNG, scaled by `zoom`.
 */
export const viewSheet = async (
  spec: unknown,
  images: tf.Tensor4D,
  o: {
    readonly seed: number;
    readonly step: number;
    readonly zoom?: number;
    readonly gap?: number;
  },
): Promise<ViewSheet> => {
  const { views, masks } = randomNodes(spec);
  const rng = Rng.seeded(o.seed).fork(`step:${o.step}`);
  const [n, size] = images.shape;
  const { drawn, skipped } = renderViews(views, images, rng);
  const cols: Array<[string, Float32Array]> = [['input', (await images.data()) as Float32Array]];
  for (const [name, t] of drawn) cols.push([name, (await t.data()) as Float32Array]);
  drawn.forEach((t) => t.dispose());
  for (const m of masks) {
    const [context, targets] = maskOverlays(m, cols[1]?.[1] ?? cols[0]![1], n, size, rng);
    cols.push([`${m.name}:context`, context], [`${m.name}:targets`, targets]);
  }
  const gap = o.gap ?? 2;
  const width = cols.length * (size + gap) + gap;
  const height = n * (size + gap) + gap;
  const out = new Uint8Array(width * height * 3).fill(255);
  cols.forEach(([, data], c) => {
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size * 3; x++) {
          out[((gap + b * (size + gap) + y) * width + gap + c * (size + gap)) * 3 + x] = Math.round(
            Math.min(1, Math.max(0, data[(b * size + y) * size * 3 + x]!)) * 255,
          );
        }
      }
    }
  });
  const zoom = o.zoom ?? 4;
  const png = await sharp(Buffer.from(out), { raw: { width, height, channels: 3 } })
    .resize(width * zoom, height * zoom, { kernel: 'nearest' })
    .png()
    .toBuffer();
  return { png, columns: cols.map(([name]) => name), skipped };
};
