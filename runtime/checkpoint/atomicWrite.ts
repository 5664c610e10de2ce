/**
 * Atomic file replacement: the new content goes to a temporary file in the same folder, is
 * flushed to disk (fsync), then renamed over the target, and the folder entry is flushed. A crash
 * at any point leaves either the old file or the new one, never a mix. Temporary names end in
 * `.tmp` and carry the process id, so readers can ignore leftovers of a crashed writer.
 */
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Fault-injection points, for tests that simulate a crash between writing and renaming. */
export interface AtomicWriteHooks {
  /** Called after the temporary file is written and synced, before the rename. */
  readonly beforeRename?: (tempPath: string) => void | Promise<void>;
}

/** True for the temporary files `writeFileAtomic` creates (to skip when listing a folder). */
export const isTempFile = (name: string): boolean => name.endsWith('.tmp');

let counter = 0;

const syncDir = async (dir: string): Promise<void> => {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // some platforms (Windows) cannot open or fsync a folder; the rename is still atomic there
  }
};

/**
 * Writes `data` to `path` atomically (temp file + fsync + rename + folder fsync). On failure the
 * temporary file is removed and the error rethrown; `path` keeps its previous content.
 */
export const writeFileAtomic = async (
  path: string,
  data: Uint8Array | string,
  hooks: AtomicWriteHooks = {},
): Promise<void> => {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await hooks.beforeRename?.(temp);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  await syncDir(dirname(path));
};
