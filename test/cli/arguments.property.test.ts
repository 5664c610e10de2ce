/**
 * Property (issue 12, item 5): random argument lists never crash the CLI. Each list mixes the
 * command's own options with hostile values (`0x2`, `1e20`, `-1`, empty, 300 characters, missing
 * paths...) and ends with one invalid pair, so no case starts real work; every case must return
 * exit 2 (usage) or 1 (a clear error), print a message, and never a stack trace. Strict number
 * parsing is pinned by examples.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFractionOption, parseIntOption, RANGES } from '../../cli/numbers.js';
import { tessera } from './capture.js';

const VALUES = [
  '0x2',
  '1e20',
  '1e3',
  '-1',
  '',
  ' 7',
  '7 ',
  '1.5',
  'NaN',
  'Infinity',
  '0',
  '3',
  'abc',
  '--',
  '-',
  '=',
  '{"a":',
  '/nonexistent/x',
  'builtin:appearance:0',
  'builtin:appearance:99999999',
  'x'.repeat(300),
  '\u{1F642}',
  'moco-v3',
  'tiny',
];
const FLAGS: Readonly<Record<string, ReadonlyArray<string>>> = {
  train: [
    '--method',
    '--spec',
    '--preset',
    '--data',
    '--steps',
    '--epochs',
    '--batch',
    '--backend',
    '--seed',
    '--out',
    '--resume',
    '--set',
    '--checkpoint-every',
    '--max-non-finite',
    '--eval-every',
    '--eval-samples',
  ],
  eval: ['--run', '--label-fraction', '--probe', '--samples', '--backend'],
  export: ['--run', '--representation', '--out'],
  report: ['--run', '--out'],
  check: ['--method', '--preset', '--json'],
  graph: ['--method', '--preset', '--format'],
  diff: ['--json'],
  spec: ['--method', '--preset'],
  data: ['appearance', 'grid', 'stats', '--out', '--n', '--size', '--seed'],
  bench: ['data', 'step', '--batch', '--size', '--repeats', '--backend', '--method'],
};
/** The final pair of each command: invalid whatever comes before it. */
const POISON: Readonly<Record<string, ReadonlyArray<ReadonlyArray<string>>>> = {
  train: [
    ['--steps', '0x2'],
    ['--seed', '1e20'],
    ['--batch', '-1'],
    ['--data', '/nonexistent/x'],
    ['--checkpoint-every', '1.5'],
    ['--bogus'],
  ],
  eval: [
    ['--run', '/nonexistent/x'],
    ['--samples', '1e3'],
    ['--label-fraction', '0x1'],
  ],
  export: [['--run', '/nonexistent/x'], ['--bogus']],
  report: [['--run', '/nonexistent/x'], ['--bogus']],
  check: [['/nonexistent/spec.json'], ['--bogus']],
  graph: [['/nonexistent/spec.json'], ['--bogus']],
  diff: [['/nonexistent/a.json', '/nonexistent/b.json'], ['--bogus']],
  spec: [['--method', 'no-such-method'], ['--bogus']],
  data: [['--n', '0x2'], ['--seed', '1e20'], ['--bogus']],
  bench: [['--batch', '0x2'], ['--repeats', '-1'], ['--bogus']],
};
const STACK = /\n\s+at .+:\d+:\d+/;

const argumentLists = fc
  .constantFrom(...Object.keys(FLAGS))
  .chain((command) =>
    fc.tuple(
      fc.constant(command),
      fc.array(
        fc.oneof(
          fc.constantFrom(...FLAGS[command]!),
          fc.constantFrom(...VALUES),
          fc.string({ maxLength: 12 }),
        ),
        { maxLength: 8 },
      ),
      fc.constantFrom(...POISON[command]!),
    ),
  );

describe('CLI arguments', () => {
  it('numbers are parsed strictly: decimal integers in range only', () => {
    for (const bad of [
      '0x2',
      '1e3',
      '',
      ' 7',
      '7 ',
      '1.5',
      '-1',
      'NaN',
      'Infinity',
      '1e20',
      '99999999999999999999',
      '1000000001',
    ]) {
      expect(parseIntOption('steps', bad, RANGES.steps), bad).toMatch(
        /^--steps ".*": expected a whole number from 0 to 1000000000$/,
      );
    }
    expect(parseIntOption('seed', '4294967296', RANGES.seed)).toMatch(/from 0 to 4294967295/);
    expect(parseIntOption('seed', '4294967295', RANGES.seed)).toBe(4294967295);
    expect(parseIntOption('steps', '007', RANGES.steps)).toBe(7);
    expect(parseIntOption('batch', '65537', RANGES.batch)).toMatch(/from 1 to 65536/);
    expect(parseFractionOption('label-fraction', '0.1', 0, 1)).toBe(0.1);
    expect(parseFractionOption('label-fraction', '1e-1', 0, 1)).toBe(0.1);
    for (const bad of ['0x1', '0', '1.01', '', 'NaN', '-0.5'])
      expect(parseFractionOption('f', bad, 0, 1), bad).toMatch(/expected a number in \(0, 1\]/);
  });

  it('train refuses --steps 0x2 and --seed 1e20 (exit 2), and --resume without --out', async () => {
    for (const args of [['--steps', '0x2'], ['--seed', '1e20'], ['--resume']]) {
      const r = await tessera('train', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(
        /^tessera train: (--steps "0x2"|--seed "1e20"|--resume needs --out DIR)/,
      );
    }
  });

  it('random argument lists: exit 2 or 1 with a message, never a stack trace (200 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(argumentLists, async ([command, middle, poison]) => {
        const r = await tessera(command, ...middle, ...poison);
        const label = [command, ...middle, ...poison].join(' ');
        expect([1, 2], label).toContain(r.code);
        expect(r.err.length, label).toBeGreaterThan(0);
        expect(r.err, label).not.toMatch(STACK);
        expect(r.err, label).not.toMatch(/undefined|\[object Object\]/);
      }),
      { numRuns: 200, seed: 12 },
    );
  }, 240_000);
});
