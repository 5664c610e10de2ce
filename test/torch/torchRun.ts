/**
 * Test support for torch-target runs: an image folder of the built-in data and a compiled target
 * (`tessera compile ... --target torch`), checked as they are made.
 */
import { expect } from 'vitest';
import { tessera } from '../cli/capture.js';

/**
 * Writes 24 built-in appearance images of `size` to `images` and compiles `spec` (a spec file, or
 * `--method NAME ...` arguments) to the torch target in `target`; fails the test on an error.
 */
export const prepareTorchRun = async (
  images: string,
  size: number,
  target: string,
  ...spec: string[]
): Promise<void> => {
  const data = await tessera(
    'data',
    'appearance',
    '--out',
    images,
    '--n',
    '24',
    '--size',
    `${size}`,
  );
  expect(data.code).toBe(0);
  const c = await tessera('compile', ...spec, '--target', 'torch', '--out', target);
  expect(c.err).toBe('');
};
