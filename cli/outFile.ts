/**
 * An output file's folder must exist before anything is written: an atomic write into a missing
 * folder failed with a raw `ENOENT ... open '/x/.f.123.0.tmp'` naming a temporary file (issue 12).
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** `undefined` when `file`'s folder exists; else the message (with a hint) to print. */
export const missingFolder = async (file: string): Promise<string | undefined> => {
  const folder = dirname(resolve(file));
  const isDir = await stat(folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return isDir
    ? undefined
    : `cannot write ${file}: no folder ${folder}\nhint: create it first (mkdir -p ${folder}) or choose another --out`;
};
