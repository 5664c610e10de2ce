/** Default run folders (issue 12): a spec's method name cannot leave `runs/` or overflow a file name. */
import { describe, expect, it } from 'vitest';
import { join, normalize, sep } from 'node:path';
import { defaultRunFolder, MAX_NAME, safeSegment } from '../../cli/runName.js';

const at = new Date('2026-11-29T08:00:00.123Z');

describe('default run folder', () => {
  it('keeps a plain name and adds the time', () => {
    expect(defaultRunFolder('moco-v3', at)).toBe(join('runs', 'moco-v3-2026-11-29T08-00-00'));
  });

  it('stays one folder under runs/ for hostile names', () => {
    for (const name of [
      '../../../x',
      '/etc/passwd',
      '..',
      '.',
      '',
      'a/../../b',
      'C:\\\\Windows',
      '\u0000',
      '.hidden',
      'x'.repeat(300),
    ]) {
      const folder = normalize(defaultRunFolder(name, at));
      const parts = folder.split(sep);
      expect(parts, name).toHaveLength(2);
      expect(parts[0], name).toBe('runs');
      expect(parts[1]!.startsWith('.'), name).toBe(false);
      expect(parts[1]!.length, name).toBeLessThanOrEqual(MAX_NAME + 20);
    }
    expect(safeSegment('../../../x')).toBe('x');
    expect(safeSegment('')).toBe('run');
  });
});
