/**
 * File-system errors in words: Node's `ENOSPC: no space left on device, write` names neither the
 * file nor what to do. `describeFsError` turns the codes a run meets (no space, not a folder,
 * read-only, name too long, no permission, exists, missing, too many files) into a message with the
 * path and a hint.
 */

import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** A Node file-system error (`code`, and `path` when Node knows it). */
type ErrnoLike = Error & {
  readonly code?: unknown;
  readonly path?: unknown;
  readonly syscall?: unknown;
};

const HINTS: Readonly<Record<string, readonly [string, string]>> = {
  ENOSPC: [
    'the disk is full',
    'free some space (old runs: runs/*/checkpoints) or choose --out on another disk',
  ],
  EDQUOT: ['the disk quota is exceeded', 'free some space or choose --out on another disk'],
  ENOTDIR: [
    'a part of this path is a file, not a folder',
    'choose --out a folder path (or remove the file in the way)',
  ],
  EISDIR: ['this is a folder, a file was expected', 'give a file path'],
  EROFS: ['the file system is read-only', 'choose --out on a writable disk'],
  EACCES: ['permission denied', 'choose a folder you can write to, or fix its permissions'],
  EPERM: ['operation not permitted', 'choose a folder you can write to, or fix its permissions'],
  ENAMETOOLONG: [
    'the name is too long for the file system',
    'choose a shorter --out (or a shorter method name)',
  ],
  EEXIST: ['a file already exists there', 'choose another path or remove it'],
  ENOENT: ['no such file or folder', 'check the path'],
  EMFILE: ['too many open files', 'raise the open-file limit (ulimit -n) or use fewer images'],
  EIO: [
    'an input/output error (failing disk or pseudo-filesystem)',
    'choose --out on a regular disk',
  ],
};

/** The error's code when it is a Node file-system error. */
export const fsErrorCode = (e: unknown): string | undefined => {
  const code = (e as ErrnoLike | null)?.code;
  return typeof code === 'string' && code in HINTS ? code : undefined;
};

/**
 * A message for a file-system error: what happened, on which path (the error's own, else
 * `fallbackPath`), and a hint; `undefined` for any other error.
 */
export const describeFsError = (e: unknown, fallbackPath?: string): string | undefined => {
  const code = fsErrorCode(e);
  if (code === undefined) return undefined;
  const err = e as ErrnoLike;
  const path = typeof err.path === 'string' ? err.path : fallbackPath;
  const [what, hint] = HINTS[code]!;
  const op = typeof err.syscall === 'string' ? ` (${err.syscall})` : '';
  return `cannot write or read ${path ?? 'a file'}: ${what}${op} [${code}]\nhint: ${hint}`;
};

const codeOf = (e: unknown): unknown => (e as ErrnoLike | null)?.code;

/**
 * `mkdir -p DIR` without Node's `recursive` mode, which loops forever under a pseudo-filesystem
 * (Node 20: `mkdir('/proc/self/x', { recursive: true })` never settles; issue 12). Walks up to the
 * first existing folder, then creates each missing one. A part that is a file is `ENOTDIR`; a folder
 * that exists but refuses new folders (`ENOENT` although the parent is there: /proc, /sys) is a
 * plain error saying so.
 */
export const makeFolder = async (dir: string): Promise<void> => {
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    const st = await stat(p).catch((e: unknown) => {
      if (codeOf(e) === 'ENOENT') return undefined;
      throw e;
    });
    if (st !== undefined) {
      if (!st.isDirectory())
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), {
          code: 'ENOTDIR',
          path: p,
          syscall: 'mkdir',
        });
      break;
    }
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const m of missing.reverse()) {
    await mkdir(m).catch((e: unknown) => {
      if (codeOf(e) === 'EEXIST') return;
      if (codeOf(e) === 'ENOENT')
        throw new Error(
          `cannot create the folder ${m}: ${dirname(m)} exists but accepts no new folders (a pseudo-filesystem such as /proc or /sys?) [ENOENT]\nhint: choose --out on a regular disk`,
        );
      throw e;
    });
  }
};
