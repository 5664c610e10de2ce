/**
 * `tessera bench data`: throughput of input preparation.
 *
 * Measures, at `size x size` and batch `batch` (default 64 and 64): images per second of the
 * appearance generator, of the image-folder loader on PNGs the generator writes, of each
 * augmentation alone, and the time of a MoCo v3 step's input preparation (one batch + its two
 * asymmetric views, methods.md 1.5). The training-step time it is compared with comes from the
 * `stepTimeMs` hook (the MoCo v3 `tiny` step, filled in by the training side); without it the
 * report says the comparison is pending. Medians of `repeats` runs after one warm-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AugNode } from '../compiler/ir/augment.js';
import { applyPipeline } from '../compiler/lower/augment/pipeline.js';
import { appearanceDataset, renderAppearance } from '../data/appearance/generator.js';
import { writeAppearance } from '../data/appearance/write.js';
import type { Dataset } from '../data/dataset.js';
import { openImageFolder } from '../data/imageFolder.js';
import { tf } from '../runtime/backend.js';
import { Rng } from '../compiler/ir/rng.js';

/** Settings of the data benchmark. */
export interface DataBenchOptions {
  readonly batch?: number;
  readonly size?: number;
  readonly repeats?: number;
  /**
   * Hook: the median milliseconds of one MoCo v3 `tiny` training step at the same batch, and the
   * image size it trains at. Input preparation is then measured again at that size for the verdict.
   */
  readonly stepTime?: () => Promise<{ readonly ms: number; readonly size: number }>;
}

/** One measured row. */
export interface BenchRow {
  readonly name: string;
  readonly ms: number;
  readonly imagesPerSecond: number;
}

/** The report of `benchData`. */
export interface DataBenchReport {
  readonly backend: string;
  readonly batch: number;
  readonly size: number;
  readonly rows: ReadonlyArray<BenchRow>;
  /** Input preparation of one MoCo v3 step: a batch from memory + both views, ms. */
  readonly inputPrepMs: number;
  /** The MoCo v3 tiny step (ms) and its image size; `undefined` without the `stepTime` hook. */
  readonly step:
    { readonly ms: number; readonly size: number; readonly inputPrepMs: number } | undefined;
}

/** MoCo v3 view 1 and view 2 at `size` (methods.md 1.5: blur 1.0 / 0.1, solarize 0 / 0.2). */
export const mocoViews = (
  size: number,
): readonly [ReadonlyArray<AugNode>, ReadonlyArray<AugNode>] => {
  const common = (blurP: number): AugNode[] => [
    { _tag: 'RandomResizedCrop', size, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
    { _tag: 'ColorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1, p: 0.8 },
    { _tag: 'Grayscale', p: 0.2 },
    { _tag: 'GaussianBlur', sigma: [0.1, 2], kernel: 0, p: blurP },
  ];
  const tail: AugNode[] = [
    { _tag: 'HorizontalFlip', p: 0.5 },
    { _tag: 'Normalize', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  ];
  return [
    [...common(1), ...tail],
    [...common(0.1), { _tag: 'Solarize', threshold: 0.5, p: 0.2 }, ...tail],
  ];
};

/** The median of `repeats` timings of `f` (ms), after one warm-up run. */
const timeMedian = async (repeats: number, f: () => Promise<void> | void): Promise<number> => {
  await f();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
};

const row = (name: string, ms: number, images: number): BenchRow => ({
  name,
  ms,
  imagesPerSecond: (images / ms) * 1000,
});

/** One batch from a dataset, materialised. */
const oneBatch = async (ds: Dataset, batch: number, rng: Rng): Promise<void> => {
  const it = ds.batches(batch, rng, { prefetch: 0 });
  const b = await it.next();
  if (!b.done) b.value.images.dispose();
  await it.return(undefined);
};

/** Times each augmentation alone and the two MoCo views on a batch. */
const augmentationRows = async (
  images: tf.Tensor4D,
  size: number,
  repeats: number,
): Promise<BenchRow[]> => {
  const [view1, view2] = mocoViews(size);
  const single: AugNode[] = [
    view1[0]!,
    { _tag: 'HorizontalFlip', p: 0.5 },
    view1[1]!,
    view1[2]!,
    view1[3]!,
    { _tag: 'Solarize', threshold: 0.5, p: 1 },
    { _tag: 'SpectralNoise', sigma: 2, gamma: 3, p: 1 },
    { _tag: 'Resize', size: Math.round(size * 1.5) },
    view1[5]!,
  ];
  const rng = Rng.seeded(1);
  const rows: BenchRow[] = [];
  const b = images.shape[0];
  for (const node of single) {
    const ms = await timeMedian(repeats, () => {
      const out = applyPipeline(images, [node], rng);
      out.dataSync();
      out.dispose();
    });
    const pName = 'p' in node ? ` (p ${node.p})` : '';
    rows.push(row(`augment ${node._tag}${pName}`, ms, b));
  }
  for (const [name, view] of [
    ['MoCo v3 view 1', view1],
    ['MoCo v3 view 2', view2],
  ] as const) {
    const ms = await timeMedian(repeats, () => {
      const out = applyPipeline(images, view, rng);
      out.dataSync();
      out.dispose();
    });
    rows.push(row(name, ms, b));
  }
  return rows;
};

/** Runs the data benchmark on the active TF.js backend. */
export const benchData = async (options: DataBenchOptions = {}): Promise<DataBenchReport> => {
  const batch = options.batch ?? 64;
  const size = options.size ?? 64;
  const repeats = options.repeats ?? 5;
  const rows: BenchRow[] = [];
  rows.push(
    row(
      'appearance generator (render)',
      await timeMedian(
        repeats,
        () => void Array.from({ length: batch }, (_, i) => renderAppearance(i, size, 0)),
      ),
      batch,
    ),
  );
  const memory = appearanceDataset({ n: batch * 4, size, seed: 0 });
  const memoryMs = await timeMedian(repeats, () => oneBatch(memory, batch, Rng.seeded(2)));
  rows.push(row('appearance dataset batch (render + tensor)', memoryMs, batch));
  const cached = appearanceDataset({ n: batch, size, seed: 0, cache: true });
  rows.push(
    row(
      'appearance dataset batch, cached (tensor only)',
      await timeMedian(repeats, () => oneBatch(cached, batch, Rng.seeded(2))),
      batch,
    ),
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-bench-'));
  try {
    const n = batch * 4;
    const t0 = performance.now();
    await writeAppearance(dir, { n, size, seed: 0 });
    rows.push(row('write PNGs (render + encode)', performance.now() - t0, n));
    const folder = await openImageFolder(dir, { size });
    rows.push(
      row(
        'image folder batch (PNG decode + tensor)',
        await timeMedian(repeats, () => oneBatch(folder, batch, Rng.seeded(3))),
        batch,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const images = (await memory.all()).images;
  const firstBatch = tf.slice(images, [0, 0, 0, 0], [batch, size, size, 3]) as tf.Tensor4D;
  images.dispose();
  const augRows = await augmentationRows(firstBatch, size, repeats);
  firstBatch.dispose();
  rows.push(...augRows);
  const viewsMs = augRows.filter((r) => r.name.startsWith('MoCo')).reduce((s, r) => s + r.ms, 0);
  const inputPrepMs = memoryMs + viewsMs;
  const measured = options.stepTime === undefined ? undefined : await options.stepTime();
  const step =
    measured === undefined
      ? undefined
      : {
          ...measured,
          inputPrepMs:
            measured.size === size ? inputPrepMs : await inputPrepAt(measured.size, batch, repeats),
        };
  return { backend: tf.getBackend(), batch, size, rows, inputPrepMs, step };
};

/** A MoCo v3 step's input preparation at `size`: one batch from memory plus both views, ms. */
const inputPrepAt = async (size: number, batch: number, repeats: number): Promise<number> => {
  const ds = appearanceDataset({ n: batch * 4, size, seed: 0 });
  const loadMs = await timeMedian(repeats, () => oneBatch(ds, batch, Rng.seeded(2)));
  const images = (await ds.all()).images;
  const first = tf.slice(images, [0, 0, 0, 0], [batch, size, size, 3]) as tf.Tensor4D;
  images.dispose();
  const rng = Rng.seeded(1);
  const viewsMs = await timeMedian(repeats, () => {
    for (const view of mocoViews(size)) {
      const out = applyPipeline(first, view, rng);
      out.dataSync();
      out.dispose();
    }
  });
  first.dispose();
  return loadMs + viewsMs;
};

/** Renders the report as a table plus the input-preparation verdict (target: under 20% of a step). */
export const showDataBench = (r: DataBenchReport): string => {
  const lines = [
    `tessera bench data: backend ${r.backend}, batch ${r.batch}, ${r.size}x${r.size}, medians`,
    '',
    `${'what'.padEnd(46)} ${'ms/batch'.padStart(10)} ${'images/s'.padStart(10)}`,
    ...r.rows.map(
      (x) =>
        `${x.name.padEnd(46)} ${x.ms.toFixed(1).padStart(10)} ${x.imagesPerSecond.toFixed(0).padStart(10)}`,
    ),
    '',
    `input preparation per MoCo v3 step (batch from memory + 2 views): ${r.inputPrepMs.toFixed(1)} ms`,
  ];
  if (r.step === undefined) {
    lines.push(
      'MoCo v3 tiny training step: not measured (no stepTime hook); target: input preparation < 20% of a step',
    );
  } else {
    const share = (100 * r.step.inputPrepMs) / r.step.ms;
    lines.push(
      `MoCo v3 tiny training step (batch ${r.batch}, ${r.step.size}x${r.step.size}, views included): ${r.step.ms.toFixed(1)} ms; ` +
        `input preparation at ${r.step.size}x${r.step.size}: ${r.step.inputPrepMs.toFixed(1)} ms = ${share.toFixed(1)}% of a step (target < 20%: ${share < 20 ? 'met' : 'NOT met'})`,
    );
  }
  return lines.join('\n') + '\n';
};
