/**
 * Start-up time of the `tessera` command: wall time of `tessera --help` and `tessera check
 * --method moco-v3 --preset tiny`, for one or more installed `tessera` executables, runs
 * interleaved (A, B, A, B, ...) so machine load hits each alike; prints medians (and min, max).
 *
 *   npx tsx bench/startup.ts [--runs 7] BIN [BIN ...]
 *   e.g. npx tsx bench/startup.ts /tmp/before/node_modules/.bin/tessera /tmp/after/node_modules/.bin/tessera
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const COMMANDS: ReadonlyArray<ReadonlyArray<string>> = [
  ['--help'],
  ['check', '--method', 'moco-v3', '--preset', 'tiny'],
];

/** Wall milliseconds of one run; throws when the command fails. */
const time = (bin: string, args: ReadonlyArray<string>): number => {
  const t0 = performance.now();
  const r = spawnSync(bin, [...args], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`${bin} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return ms;
};

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const { values, positionals: bins } = parseArgs({
  options: { runs: { type: 'string', default: '7' } },
  allowPositionals: true,
});
const runs = Number(values.runs);
if (bins.length === 0 || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: npx tsx bench/startup.ts [--runs 7] BIN [BIN ...]');
  process.exit(2);
}
const times = bins.map(() => COMMANDS.map((): number[] => []));
for (let i = 0; i < runs; i++) {
  COMMANDS.forEach((args, c) => bins.forEach((bin, b) => times[b]![c]!.push(time(bin, args))));
}
console.log(`tessera start-up, ${runs} interleaved runs each, wall ms: median (min-max)`);
COMMANDS.forEach((args, c) => {
  console.log(`\ntessera ${args.join(' ')}`);
  bins.forEach((bin, b) => {
    const t = times[b]![c]!;
    console.log(
      `  ${median(t).toFixed(0).padStart(6)} (${Math.min(...t).toFixed(0)}-${Math.max(...t).toFixed(0)})  ${bin}`,
    );
  });
  if (bins.length === 2)
    console.log(
      `  ratio first/second: ${(median(times[0]![c]!) / median(times[1]![c]!)).toFixed(1)}x`,
    );
});
