/**
 * The images of an image folder a run could not use, as `tessera train` and `tessera eval` report
 * them: unreadable files (header or decode failed, files cut short included) and files outside
 * the label layout (stray images at the root of a class-folder tree). Training shows the count of
 * unreadable files on its progress line, prints the list at the end and writes it to
 * `RUN/unreadable.json`; evaluation prints it and writes it into `eval.json`. The built-in data
 * has no files, so nothing is reported for it.
 */
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import type { Unreadable } from '../data/folderScan.js';
import { writeFileAtomic } from '../runtime/checkpoint/atomicWrite.js';

/** The file of a run folder that lists the training data's skipped images. */
export const UNREADABLE_FILE = 'unreadable.json';

/** What an image-folder dataset lists (`ImageFolderDataset`). */
interface Listing {
  readonly root: string;
  readonly unreadable: ReadonlyArray<Unreadable>;
  readonly unlabeled: ReadonlyArray<Unreadable>;
  readonly warnings: ReadonlyArray<string>;
}

const listingOf = (d: Dataset | undefined): Listing | undefined =>
  d !== undefined && 'unreadable' in d && 'unlabeled' in d ? (d as Dataset & Listing) : undefined;

/** The skipped images of one or more datasets of a folder, each path once. */
export interface Skipped {
  /** The folder (absolute), or `undefined` for built-in data (then both lists are empty). */
  readonly root: string | undefined;
  /** Header or decode failed (paths relative to `root`). */
  readonly unreadable: ReadonlyArray<Unreadable>;
  /** Readable but outside the label layout (stray root images included). */
  readonly unlabeled: ReadonlyArray<Unreadable>;
}

const unique = (lists: ReadonlyArray<ReadonlyArray<Unreadable>>): Unreadable[] => {
  const seen = new Map<string, Unreadable>();
  for (const u of lists.flat()) if (!seen.has(u.path)) seen.set(u.path, u);
  return [...seen.values()];
};

/**
 * What `datasets` (the training set and the held-out set of the same folder, say) skipped so
 * far: decode failures grow the lists while batches are read, so call it again for a fresh count.
 */
export const skippedImages = (...datasets: ReadonlyArray<Dataset | undefined>): Skipped => {
  const listings = datasets.map(listingOf).filter((l): l is Listing => l !== undefined);
  const unlabeled = unique(listings.map((l) => l.unlabeled));
  const outside = new Set(unlabeled.map((u) => u.path));
  const unreadable = unique(listings.map((l) => l.unreadable)).filter((u) => !outside.has(u.path));
  return { root: listings[0]?.root, unreadable, unlabeled };
};

/** The layout warnings of `datasets` (stray root images), each once, one line and a hint each. */
export const datasetWarnings = (...datasets: ReadonlyArray<Dataset | undefined>): string[] => [
  ...new Set(datasets.flatMap((d) => listingOf(d)?.warnings ?? [])),
];

/** `  unreadable 3` for the progress line, or `''` while every image decodes. */
export const progressNote = (s: Skipped): string =>
  s.unreadable.length > 0 ? `  unreadable ${s.unreadable.length}` : '';

const SHOWN = 10;

/**
 * The end-of-run text: how many images were unreadable, the first few with their reasons, and
 * where the whole list is; `''` when none.
 */
export const skippedText = (s: Skipped, listedIn: string): string => {
  if (s.unreadable.length === 0) return '';
  const lines = s.unreadable.slice(0, SHOWN).map((u) => `  ${u.path}: ${u.reason}`);
  if (s.unreadable.length > SHOWN) lines.push(`  ... ${s.unreadable.length - SHOWN} more`);
  return `${s.unreadable.length} unreadable image(s) of ${s.root ?? 'the data'} skipped (each replaced by the next readable image; all listed in ${listedIn}):\n${lines.join('\n')}\nhint: tessera data stats ${s.root ?? 'DIR'} decodes every file; copy the files again or delete them\n`;
};

/** The lists as JSON fields: `{ dataRoot, unreadable, unlabeled }`. */
export const skippedFields = (s: Skipped) => ({
  dataRoot: s.root,
  unreadable: s.unreadable,
  unlabeled: s.unlabeled,
});

/** Writes `RUN/unreadable.json` (atomically) when the data is a folder; nothing for built-in data. */
export const writeSkipped = async (runDir: string, s: Skipped): Promise<void> => {
  if (s.root === undefined) return;
  await writeFileAtomic(
    join(runDir, UNREADABLE_FILE),
    `${JSON.stringify({ version: 1, ...skippedFields(s) }, null, 1)}\n`,
  );
};
