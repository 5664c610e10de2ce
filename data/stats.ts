/**
 * Statistics of an image folder for `tessera data stats`: images per class for each label, the
 * distribution of image sizes, and the unreadable files (each file fully decoded once).
 */
import * as path from 'node:path';
import { scanFolder, type Unreadable } from './folderScan.js';
import { ImageDecodeError, probeImage } from './imageDecode.js';

/** What `folderStats` reports. */
export interface FolderStats {
  readonly root: string;
  readonly images: number;
  readonly readable: number;
  /** Per label, per class name, the number of readable images. */
  readonly counts: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** `"WxH"` -> number of readable images of that size, most frequent first. */
  readonly sizes: ReadonlyArray<readonly [string, number]>;
  readonly unreadable: ReadonlyArray<Unreadable>;
}

/** Decodes one file fully (refusing files cut short); returns its `"WxH"` size or the error. */
const probe = (file: string): Promise<string | Error> =>
  probeImage(file).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));

/** Scans and decodes every image under `root` (`concurrency` at a time). Throws like `scanFolder`. */
export const folderStats = async (root: string, concurrency = 8): Promise<FolderStats> => {
  const scan = await scanFolder(root);
  const results: (string | Error)[] = [];
  for (let i = 0; i < scan.files.length; i += concurrency) {
    results.push(
      ...(await Promise.all(
        scan.files.slice(i, i + concurrency).map((f) => probe(path.join(root, f))),
      )),
    );
  }
  const unreadable: Unreadable[] = [...scan.unlabeled];
  const sizes = new Map<string, number>();
  const counts = Object.fromEntries(
    Object.entries(scan.classes).map(([l, names]) => [
      l,
      Object.fromEntries(names.map((n) => [n, 0])),
    ]),
  );
  results.forEach((r, i) => {
    if (r instanceof Error) {
      const reason = r instanceof ImageDecodeError ? r.reason : r.message.split('\n')[0]!;
      unreadable.push({ path: scan.files[i]!, reason });
      return;
    }
    sizes.set(r, (sizes.get(r) ?? 0) + 1);
    for (const [label, idx] of Object.entries(scan.labels))
      counts[label]![scan.classes[label]![idx[i]!]!]! += 1;
  });
  return {
    root,
    images: scan.files.length + scan.unlabeled.length,
    readable: scan.files.length - (unreadable.length - scan.unlabeled.length),
    counts,
    sizes: [...sizes.entries()].sort((a, b) => b[1] - a[1]),
    unreadable,
  };
};

/** Renders stats as the text `tessera data stats` prints. */
export const showStats = (s: FolderStats): string => {
  const lines = [
    `${s.root}: ${s.images} images, ${s.readable} readable, ${s.unreadable.length} unreadable or unlabeled`,
  ];
  for (const [label, byClass] of Object.entries(s.counts)) {
    lines.push(`label "${label}" (${Object.keys(byClass).length} classes):`);
    for (const [name, n] of Object.entries(byClass)) lines.push(`  ${name.padEnd(20)} ${n}`);
  }
  if (Object.keys(s.counts).length === 0) lines.push('unlabeled (no class subfolders)');
  lines.push('sizes:');
  for (const [size, n] of s.sizes.slice(0, 10)) lines.push(`  ${size.padEnd(12)} ${n}`);
  if (s.sizes.length > 10) lines.push(`  ... ${s.sizes.length - 10} more sizes`);
  if (s.unreadable.length > 0) {
    lines.push('unreadable:');
    for (const u of s.unreadable) lines.push(`  ${u.path}: ${u.reason}`);
  }
  return lines.join('\n') + '\n';
};
