/** File-system errors in words (issue 12): the path, what happened, a hint; real errors where the OS can make them. */
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFsError, makeFolder } from '../../runtime/fsErrors.js';

const failure = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('describeFsError', () => {
  it('names the path of a real ENOTDIR and ENAMETOOLONG, with a hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-fs-'));
    writeFileSync(join(dir, 'file'), 'x');
    const notDir = describeFsError(
      await failure(mkdir(join(dir, 'file', 'run'), { recursive: true })),
    );
    expect(notDir).toMatch(
      /^cannot write or read .*file.*: a part of this path is a file, not a folder .*\[ENOTDIR\]\nhint: /,
    );
    const long = describeFsError(await failure(writeFile(join(dir, 'x'.repeat(300)), 'x')));
    expect(long).toMatch(
      /x{300}: the name is too long .*\[ENAMETOOLONG\]\nhint: choose a shorter --out/,
    );
  });

  it('uses the fallback path when Node gives none (ENOSPC on write), and ignores other errors', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
    });
    expect(describeFsError(enospc, 'runs/x')).toBe(
      'cannot write or read runs/x: the disk is full (write) [ENOSPC]\nhint: free some space (old runs: runs/*/checkpoints) or choose --out on another disk',
    );
    expect(describeFsError(new Error('other'))).toBeUndefined();
    expect(
      describeFsError(Object.assign(new Error('x'), { code: 'ERR_SOMETHING' })),
    ).toBeUndefined();
  });
});

describe('makeFolder', () => {
  it('creates the missing folders of a path, again and concurrently without failing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-fs-'));
    const deep = join(dir, 'a', 'b', 'c');
    await makeFolder(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    await makeFolder(deep);
    await Promise.all([1, 2, 3].map((i) => makeFolder(join(dir, 'a', 'x', String(i)))));
    expect([1, 2, 3].every((i) => existsSync(join(dir, 'a', 'x', String(i))))).toBe(true);
  });

  it('a file in the way is ENOTDIR, described with its path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-fs-'));
    writeFileSync(join(dir, 'file'), 'x');
    const e = await failure(makeFolder(join(dir, 'file', 'run', 'checkpoints')));
    expect(describeFsError(e)).toMatch(
      /^cannot write or read .*file\/run\/checkpoints: a part of this path is a file, not a folder \(\w+\) \[ENOTDIR\]\nhint: /,
    );
  });

  it.skipIf(!existsSync('/proc/self'))(
    'under /proc (where Node 20 recursive mkdir never settles) it fails with a message',
    async () => {
      const e = await failure(makeFolder('/proc/self/tessera-run/checkpoints'));
      expect((e as Error).message).toMatch(
        /^cannot create the folder \/proc\/self\/tessera-run: \/proc\/self exists but accepts no new folders .*\nhint: choose --out on a regular disk/,
      );
    },
  );
});
