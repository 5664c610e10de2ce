/**
 * Finding the images of a folder and their labels, without decoding pixels.
 *
 * Layouts, in order of precedence:
 * 1. a `labels.json` manifest at the root (written by `tessera data appearance`):
 *    `{ "format": "tessera-labels/1", "levels": ["content", "appearance"], "classes": {...} }`;
 *    label `levels[k]` of an image is the name of its `k`-th folder below the root, so
 *    `DIR/star/rain/000123.png` has content `star` and appearance `rain`;
 * 2. class subfolders: label `class` is the name of the top-level subfolder (deeper folders are
 *    searched and belong to their top-level class). Used when no image sits directly in the root,
 *    or when at least two top-level subfolders hold images and the images at the root are fewer
 *    than those in the subfolders: the root images are then stray (`FolderScan.stray`), left out
 *    and listed in `unlabeled`, so one stray file no longer makes a whole tree unlabeled;
 * 3. otherwise the folder is unlabeled data (every image, at any depth).
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
  /** Files outside the label layout (their folders name no known class), stray root files included. */
  readonly unlabeled: ReadonlyArray<Unreadable>;
  /** Images at the root of a class-folder tree, left out (also in `unlabeled`). */
  readonly stray: ReadonlyArray<string>;
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
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(text) as Partial<Manifest>;
  } catch (e) {
    throw new Error(
      `${file}: not JSON (${(e as Error).message})\nhint: remove it (class subfolders need no manifest), or write it again with tessera data appearance`,
    );
  }
  if (
    m === null ||
    typeof m !== 'object' ||
    m.format !== MANIFEST_FORMAT ||
    !Array.isArray(m.levels) ||
    typeof m.classes !== 'object' ||
    m.classes === null ||
    !m.levels.every(
      (l) =>
        typeof l === 'string' &&
        Array.isArray(m.classes![l]) &&
        m.classes![l]!.every((c) => typeof c === 'string'),
    )
  ) {
    throw new Error(
      `${file}: not a ${MANIFEST_FORMAT} manifest\nhint: remove it, or write it with "levels" (label names) and "classes" (per label, its class names)`,
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
  return { root, files: kept, classes, labels, unlabeled, stray: [] };
};

/**
 * The class-folder layout, or `undefined` when the folder is unlabeled data: images at the root
 * are stray when at least two top-level subfolders hold images and the root holds fewer images
 * than they do.
 */
const classFolders = (root: string, files: ReadonlyArray<string>): FolderScan | undefined => {
  const nested = files.filter((f) => f.includes('/'));
  const atRoot = files.filter((f) => !f.includes('/'));
  const names = [...new Set(nested.map((f) => f.split('/')[0]!))].sort();
  const layout = (): FolderScan => labelByLevels(root, nested, ['class'], { class: names });
  if (atRoot.length === 0) return layout();
  if (names.length < 2 || atRoot.length >= nested.length) return undefined;
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, ...` : names.join(', ');
  const reason = `at the folder's root, outside the class folders (${shown}): left out`;
  const scan = layout();
  return {
    ...scan,
    unlabeled: [...atRoot.map((path) => ({ path, reason })), ...scan.unlabeled],
    stray: atRoot,
  };
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
  return (
    classFolders(root, files) ?? { root, files, classes: {}, labels: {}, unlabeled: [], stray: [] }
  );
};
