/**
 * `tessera report --run DIR [--out FILE]`: the self-contained HTML report of a run (loss curves per
 * term, schedules, probe table, PCA scatters of each representation by each label), from
 * `metrics.jsonl`, `eval.json`, `embeddings.json` and `spec.json` (eval/report/README.md).
 */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Command, Io } from '../command.js';
import { missingFolder } from '../outFile.js';

const usage = `usage: tessera report --run DIR [--out FILE.html]
  --run DIR   a run folder (metrics.jsonl; eval.json and embeddings.json after tessera eval)
  --out FILE  default DIR/report.html
  exit 0: written (missing parts are noted on the page); 1: no such folder, or it holds none of
          metrics.jsonl, eval.json, embeddings.json, spec.json; 2: usage`;

const fail = (io: Io, message: string, code: number): number => {
  io.err(`tessera report: ${message}\n${code === 2 ? `${usage}\n` : ''}`);
  return code;
};

const run = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  let values: { run?: string | undefined; out?: string | undefined };
  try {
    values = parseArgs({
      args: [...args],
      options: { run: { type: 'string' }, out: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return fail(io, (e as Error).message, 2);
  }
  if (values.run === undefined) return fail(io, 'missing --run DIR', 2);
  const isDir = await stat(values.run).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir)
    return fail(
      io,
      `no such run folder: ${values.run}\nhint: give the --out folder of a tessera train run`,
      1,
    );
  if (values.out !== undefined) {
    const noFolder = await missingFolder(values.out);
    if (noFolder !== undefined) return fail(io, noFolder, 1);
  }
  try {
    const { writeReport } = await import('../../eval/index.js');
    const r = await writeReport(values.run, values.out !== undefined ? { out: values.out } : {});
    for (const note of r.notes) io.err(`note: ${note}\n`);
    io.out(`wrote ${r.path}\n`);
    return 0;
  } catch (e) {
    return fail(io, (e as Error).message, 1);
  }
};

/** The `report` command. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'write the HTML report of a run (losses, schedules, probes, PCA)',
  usage,
  run,
};
