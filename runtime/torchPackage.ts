/**
 * Where the torch target's Python lives: the package's `python/tessera_torch` (one folder up from
 * this file, in the sources and in `dist/` alike), and the interpreter that has PyTorch
 * (`TESSERA_PYTHON`, else Debian's `/usr/bin/python3`, where `python3-torch` installs, else `python3`).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Python package shipped with tessera. */
export const TORCH_PACKAGE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'python',
  'tessera_torch',
);

/** The Python with torch. */
export const PYTHON =
  process.env['TESSERA_PYTHON'] ??
  (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
