/**
 * The image-folder dataset: jpg/png/webp files found recursively (layouts in `folderScan.ts`),
 * decoded with `sharp` on its thread pool (so decoding overlaps training), resized so the shorter
 * side is `size` and centre-cropped to `size x size`, RGB (alpha dropped, grey expanded).
 *
 * Unreadable files are never fatal: a file whose header cannot be read is skipped when the folder
 * is opened; a file that fails later, while decoding (cut short: see `imageDecode.ts`, or corrupt),
 * is replaced in its batch by the next readable image. Both are counted and listed in
 * `unreadable`, which callers (`tessera train`, `tessera eval`) show and write to the run folder.
 * Images at the root of a class-folder tree are left out with a warning (`warnings`).
 */
import * as path from 'node:path';
import sharp from 'sharp';
import { makeDataset, type Dataset } from './dataset.js';
import { scanFolder, type FolderScan, type Unreadable } from './folderScan.js';
import { decodeImage, ImageDecodeError } from './imageDecode.js';

export { decodeImage, ImageDecodeError } from './imageDecode.js';

/** Options of `openImageFolder`. */
export interface ImageFolderOptions {
  /** Output side in pixels. Default 64. */
  readonly size?: number;
  /** Keep only this label (e.g. `'content'`); default: every label the layout defines. */
  readonly label?: string;
}

/** An image-folder dataset: a `Dataset` plus what was skipped. */
export interface ImageFolderDataset extends Dataset {
  readonly root: string;
  /** Relative paths of the images used, in index order. */
  readonly files: ReadonlyArray<string>;
  /** Files skipped or replaced (header unreadable, decode failure, outside the label layout); grows as decode failures are met. */
  readonly unreadable: ReadonlyArray<Unreadable>;
  /** The part of `unreadable` that is readable but outside the label layout (stray root files included). */
  readonly unlabeled: ReadonlyArray<Unreadable>;
  /** What the user should know about the layout (stray root files), one line each with a hint. */
  readonly warnings: ReadonlyArray<string>;
}

const message = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Drops files whose header `sharp` cannot read; returns the kept ones. */
const checkHeaders = async (scan: FolderScan, bad: Unreadable[]): Promise<number[]> => {
  const ok = await Promise.all(
    scan.files.map((f) =>
      sharp(path.join(scan.root, f))
        .metadata()
        .then((m) =>
          (m.width ?? 0) > 0 && (m.height ?? 0) > 0
            ? true
            : (bad.push({ path: f, reason: 'no image size in header' }), false),
        )
        .catch((e: unknown) => (bad.push({ path: f, reason: message(e) }), false)),
    ),
  );
  return scan.files.flatMap((_, i) => (ok[i] ? [i] : []));
};

const selectLabels = (scan: FolderScan, keep: ReadonlyArray<number>, label: string | undefined) => {
  const names = Object.keys(scan.classes);
  if (label !== undefined && !names.includes(label)) {
    throw new Error(
      `image folder "${scan.root}" has no label "${label}"\nhint: its labels are: ${names.length > 0 ? names.join(', ') : '(none: unlabeled data)'}`,
    );
  }
  const chosen = label === undefined ? names : [label];
  return {
    classes: Object.fromEntries(chosen.map((n) => [n, scan.classes[n]!])),
    labels: Object.fromEntries(
      chosen.map((n) => [n, Int32Array.from(keep, (i) => scan.labels[n]![i]!)]),
    ),
  };
};

/** The warning about images at the root of a class-folder tree, if any. */
const strayWarning = (scan: FolderScan): string[] => {
  if (scan.stray.length === 0) return [];
  const shown = scan.stray.slice(0, 3).join(', ') + (scan.stray.length > 3 ? ', ...' : '');
  return [
    `warning: ${scan.stray.length} image(s) at the root of ${scan.root} are outside its class folders and are left out (${shown})\nhint: move them into a class folder, or delete them; a folder of images with no class folders is read as unlabeled data`,
  ];
};

/**
 * Opens an image folder as a `Dataset`. Throws (what, where, hint) when the folder is missing or
 * empty, when no file is readable, or when `label` is not one of the folder's labels.
 */
export const openImageFolder = async (
  root: string,
  options: ImageFolderOptions = {},
): Promise<ImageFolderDataset> => {
  const size = options.size ?? 64;
  const scan = await scanFolder(root);
  const unreadable: Unreadable[] = [...scan.unlabeled];
  const keep = await checkHeaders(scan, unreadable);
  if (keep.length === 0)
    throw new Error(
      `image folder "${root}": none of its ${scan.files.length} images is readable\nhint: run tessera data stats ${root}`,
    );
  const files = keep.map((i) => scan.files[i]!);
  const { classes, labels } = selectLabels(scan, keep, options.label);
  const failed = new Set<number>();
  const decodeOrNext = async (index: number): Promise<Uint8Array> => {
    for (let k = 0; k < files.length; k++) {
      const i = (index + k) % files.length;
      if (failed.has(i)) continue;
      try {
        return await decodeImage(path.join(root, files[i]!), size);
      } catch (e) {
        failed.add(i);
        unreadable.push({
          path: files[i]!,
          reason: e instanceof ImageDecodeError ? e.reason : message(e),
        });
      }
    }
    throw new Error(
      `image folder "${root}": no image could be decoded\nhint: run tessera data stats ${root}`,
    );
  };
  const dataset = makeDataset({
    name: root,
    size: files.length,
    imageSize: size,
    classes,
    labels,
    load: async (indices) => {
      const decoded = await Promise.all(Array.from(indices, (i) => decodeOrNext(i)));
      const rgb = new Uint8Array(indices.length * size * size * 3);
      decoded.forEach((d, k) => rgb.set(d, k * size * size * 3));
      return { rgb, count: indices.length };
    },
  });
  return {
    ...dataset,
    root,
    files,
    unreadable,
    unlabeled: scan.unlabeled,
    warnings: strayWarning(scan),
  };
};
