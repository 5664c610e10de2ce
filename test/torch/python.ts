/**
 * Running the torch target's Python from tests: the interpreter that has PyTorch (`TESSERA_PYTHON`,
 * else Debian's `/usr/bin/python3` where `.ci/run` installs `python3-torch`, else `python3`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PYTHON } from '../../runtime/torchPackage.js';

export { PYTHON };

/** Runs `python args` and returns stdout; on failure the error carries stderr and a set-up hint. */
export const runPython = (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  program = PYTHON,
): string => {
  try {
    return execFileSync(program, [...args], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(
      `${program} ${args.join(' ')} failed:\n${err.stderr ?? err.message}\nhint: the torch tests need PyTorch: apt-get install python3-torch libopenblas0-pthread (see .ci/run), or set TESSERA_PYTHON`,
    );
  }
};

/**
 * Runs a compiled torch target's `train.py` on `data` into `out` (one thread, a checkpoint every
 * 2 steps, then `extra` arguments); returns the process result (status, stdout, stderr).
 */
export const trainPy = (target: string, data: string, out: string, ...extra: string[]) =>
  spawnSync(
    PYTHON,
    [join(target, 'train.py'), '--data', data, '--out', out, '--checkpoint-every', '2', ...extra],
    { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } },
  );
