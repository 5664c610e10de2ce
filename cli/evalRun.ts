/**
 * Evaluating a run folder: rebuild the method from `DIR/spec.json`, load the last checkpoint's
 * weights, embed held-out images (see `runData.ts`) with every named representation, probe each
 * representation for each label (linear and/or kNN), and write `DIR/eval.json` and
 * `DIR/embeddings.json` (formats: eval/report/README.md). For an image folder, `eval.json` also
 * lists the images skipped (`unreadable`, `unlabeled`: see `skippedImages.ts`). What `tessera eval`
 * and the end of the main job run.
 */
import { join } from 'node:path';
import { compile } from '../runtime/compile.js';
import { embedDataset, methodEmbedder } from '../eval/embed.js';
import {
  evaluateRepresentations,
  makeEmbeddings,
  type EvalFile,
  type ProbeKind,
  type ProbeRow,
} from '../eval/index.js';
import type { BackendName } from '../runtime/backend.js';
import { writeFileAtomic } from '../runtime/checkpoint/atomicWrite.js';
import { loadRunWeights } from '../runtime/restore.js';
import { readRunInfo, readRunSpec } from '../runtime/runInfo.js';
import { openEvalData, parseDataSource } from './runData.js';
import { datasetWarnings, skippedFields, skippedImages, type Skipped } from './skippedImages.js';

/** Options of `evaluateRun`. */
export interface EvalRunOptions {
  /** Fraction of each class's training split the probes see. Default 0.1. */
  readonly labelFraction?: number;
  /** Default `both`. */
  readonly probe?: ProbeKind;
  /** Held-out images to embed (built-in data: rendered fresh; folders: at most this many). Default 1260. */
  readonly samples?: number;
  /** Backend to embed on. Default: the run's. */
  readonly backend?: BackendName;
  /** Images per `embed` call. Default 128. */
  readonly chunk?: number;
  /** Another labelled source to probe on (`--data`: a folder or `builtin:appearance[:N]`). Default: the run's own. */
  readonly data?: string;
  /** Also probe the untrained encoder (the run's seed, no checkpoint) on the same images and splits. */
  readonly untrained?: boolean;
}

/** What `evaluateRun` produced. */
export interface EvalRunResult {
  readonly rows: ReadonlyArray<ProbeRow>;
  readonly samples: number;
  readonly representations: ReadonlyArray<string>;
  readonly checkpointStep: number;
  /** The same probes of the untrained encoder, with `untrained`. */
  readonly untrainedRows?: ReadonlyArray<ProbeRow>;
  /** Images of a folder that were skipped (also in `eval.json`): unreadable, outside the labels. */
  readonly skipped: Skipped;
  /** Layout warnings of the folder (stray root images). */
  readonly warnings: ReadonlyArray<string>;
}

/**
 * Evaluates the run in `runDir` and writes `eval.json` and `embeddings.json` there. Throws (what,
 * where, hint) when the folder is not a run, has no checkpoint, or its data has no labels.
 */
export const evaluateRun = async (
  runDir: string,
  options: EvalRunOptions = {},
): Promise<EvalRunResult> => {
  const info = await readRunInfo(runDir);
  const spec = await readRunSpec(runDir);
  const labelFraction = options.labelFraction ?? 0.1;
  const probe = options.probe ?? 'both';
  const compiled = await compile(spec, { backend: options.backend ?? info.backend });
  try {
    compiled.init(info.seed);
    const data = await openEvalData(
      await parseDataSource(options.data ?? info.data),
      info.imageSize,
      options.samples ?? 1260,
    );
    const embedAndProbe = async () => {
      const embedded = await embedDataset(methodEmbedder(compiled), data, {
        samples: options.samples ?? 1260,
        chunk: options.chunk ?? 128,
      });
      const probed = evaluateRepresentations({
        ...embedded,
        probe,
        labelFraction,
        seed: info.seed,
      });
      return { ...embedded, rows: probed };
    };
    const untrainedRows = options.untrained === true ? (await embedAndProbe()).rows : undefined;
    const ckpt = await loadRunWeights(compiled, runDir);
    const { features, labels, rows } = await embedAndProbe();
    const skipped = skippedImages(data);
    const evalFile: EvalFile & {
      readonly probe: ProbeKind;
      readonly checkpointStep: number;
      readonly data: string;
    } = {
      version: 1,
      labelFraction,
      seed: info.seed,
      probe,
      checkpointStep: ckpt.step,
      data: data.name,
      rows,
      ...(skipped.root !== undefined ? skippedFields(skipped) : {}),
    };
    await writeFileAtomic(join(runDir, 'eval.json'), `${JSON.stringify(evalFile)}\n`);
    await writeFileAtomic(
      join(runDir, 'embeddings.json'),
      `${JSON.stringify(makeEmbeddings(features, labels, { seed: info.seed }))}\n`,
    );
    const n = Object.values(labels)[0]?.values.length ?? 0;
    return {
      rows,
      samples: n,
      representations: Object.keys(features),
      checkpointStep: ckpt.step,
      ...(untrainedRows === undefined ? {} : { untrainedRows }),
      skipped,
      warnings: datasetWarnings(data),
    };
  } finally {
    compiled.dispose();
  }
};
