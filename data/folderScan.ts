/**
 * Finding the images of a folder and their labels, without decoding pixels.
 *
 * Layouts, in order of precedence:
 * 1. a `labels.json` manifest at the root (written by `tessera data appearance`):
 *    `{ "format": "tessera-labels/1", "levels": ["content", "appearance"], "classes": {...} }`;
 *    label `levels[k]` of an image is the name of its `k`-th folder below the root, so
 *    `DIR/star/rain/000123.png` has content `star` and appearance `rain`;
 * 2. class subfolders: when no image sits directly in the root, label `class` is the name of the
 *    top-level subfolder (deeper folders are searched and belong to their top-level class);
 * 3. otherwise the folder is unlabeled data.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** File extensions read (case-insensitive). */
export const IMAGE_EXTENSIONS: ReadonlyArray<string> = ['.jpg', '.jpeg', '.png', '.webp'];

/** The manifest file name. */
export const MANIFEST = 'labels.json';

/** The manifest format tag. */
export const MANIFEST_FORMAT = 'tessera-labels/1';

/** The labels manifest: which folder level carries which label, and the class order. */
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly levels: ReadonlyArray<string>;
  readonly classes: Readonly<Record<string, ReadonlyArray<string>>>;
  /** Free-form provenance (e.g. the generator settings). */
  readonly source?: unknown;
}

/** A file that could not be used, and why. */
export interface Unreadable {
  readonly path: string;
  readonly reason: string;
}

/** The result of scanning a folder. */
export interface FolderScan {
  readonly root: string;
  /** Image paths relative to the root, sorted, `/`-separated. */
  readonly files: ReadonlyArray<string>;
  readonly classes: Readonly<Record<string, ReadonlyArray<string>>>;
  /** Per label, the class index of each file, `[files.length]`. */
  readonly labels: Readonly<Record<string, Int32Array>>;
  /** Files outside the label layout (their folders name no known class). */
  readonly unlabeled: ReadonlyArray<Unreadable>;
}

const isImage = (name: string): boolean =>
  IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());

/** All image files under `root`, relative, sorted. */
const listImages = async (root: string): Promise<string[]> => {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isImage(e.name))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
};

const readManifest = async (root: string): Promise<Manifest | undefined> => {
  const file = path.join(root, MANIFEST);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const m = JSON.parse(text) as Partial<Manifest>;
  if (
    m.format !== MANIFEST_FORMAT ||
    !Array.isArray(m.levels) ||
    typeof m.classes !== 'object' ||
    m.classes === null
  ) {
    throw new Error(
      `${file}: not a ${MANIFEST_FORMAT} manifest\nhint: remove it, or write it with "levels" and "classes"`,
    );
  }
  return m as Manifest;
};

/** Labels by folder level (manifest or class subfolders). */
const labelByLevels = (
  root: string,
  files: ReadonlyArray<string>,
  levels: ReadonlyArray<string>,
  classes: Readonly<Record<string, ReadonlyArray<string>>>,
): FolderScan => {
  const kept: string[] = [];
  const unlabeled: Unreadable[] = [];
  const idx: number[][] = levels.map(() => []);
  for (const f of files) {
    const parts = f.split('/');
    const found = levels.map((label, k) =>
      k < parts.length - 1 ? (classes[label] ?? []).indexOf(parts[k]!) : -1,
    );
    if (found.some((i) => i < 0)) {
      unlabeled.push({ path: f, reason: `folders do not name a class of ${levels.join('/')}` });
      continue;
    }
    kept.push(f);
    found.forEach((i, k) => idx[k]!.push(i));
  }
  const labels = Object.fromEntries(levels.map((l, k) => [l, Int32Array.from(idx[k]!)]));
  return { root, files: kept, classes, labels, unlabeled };
};

/**
 * Scans `root` recursively for jpg/png/webp images and works out their labels (see the module
 * doc). Throws, with a hint, when the folder is missing, not a folder, or holds no image.
 */
export const scanFolder = async (root: string): Promise<FolderScan> => {
  const stat = await fs.stat(root).catch(() => undefined);
  if (stat === undefined)
    throw new Error(
      `image folder "${root}" does not exist\nhint: check the path, or make one with: tessera data appearance --out ${root} --n 420`,
    );
  if (!stat.isDirectory())
    throw new Error(`"${root}" is not a folder\nhint: give the folder that contains the images`);
  const files = (await listImages(root)).filter((f) => f !== MANIFEST);
  if (files.length === 0) {
    throw new Error(
      `image folder "${root}" holds no image (${IMAGE_EXTENSIONS.join(', ')}), searched recursively\nhint: check the path and the file extensions`,
    );
  }
  const manifest = await readManifest(root);
  if (manifest !== undefined) return labelByLevels(root, files, manifest.levels, manifest.classes);
  if (files.every((f) => f.includes('/'))) {
    const names = [...new Set(files.map((f) => f.split('/')[0]!))].sort();
    return labelByLevels(root, files, ['class'], { class: names });
  }
  return { root, files, classes: {}, labels: {}, unlabeled: [] };
};
