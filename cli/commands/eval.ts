/**
 * `tessera eval --run DIR [--data SRC] [--label-fraction 0.1] [--probe linear|knn|both] [--samples N]`: frozen
 * features of every representation of a trained run on held-out images, probed for every label
 * (linear probe and kNN; accuracy, weighted and macro F1); prints the table and writes
 * `DIR/eval.json` and `DIR/embeddings.json` (for `tessera report`). TF.js loads when it runs.
 */
import { join } from 'node:path';
import { parseFractionOption, parseIntOption } from '../numbers.js';
import { parseArgs } from 'node:util';
import { CheckError } from '../../compiler/check.js';
import type { ProbeKind } from '../../eval/index.js';
import { BACKENDS, type BackendName } from '../../runtime/backendName.js';
import type { Command, Io } from '../command.js';
import { skippedText } from '../skippedImages.js';

const usage = `usage: tessera eval --run DIR [--data SRC] [--label-fraction F] [--probe linear|knn|both] [--samples N] [--backend B]
  --run DIR            a tessera train run folder (spec.json, run.json, checkpoints/)
  --data SRC           probe on another labelled image folder (class subfolders) or builtin:appearance[:N]
                       (default: the run's held-out data); images are resized to the run's size
  --label-fraction F   fraction of each class's training split the probes see (default 0.1)
  --probe P            linear (softmax regression), knn, or both (default)
  --samples N          held-out images to embed (default 1260; built-in data renders images the run never saw)
  --backend B          wasm, cpu or tensorflow (default: the run's)
  writes DIR/eval.json and DIR/embeddings.json; unreadable images of a folder are skipped, printed
  and listed in eval.json
  exit 0: evaluated; 1: not a run folder, no checkpoint, or data without labels; 2: usage`;

const fail = (io: Io, message: string, code: number): number => {
  io.err(`tessera eval: ${message}\n${code === 2 ? `${usage}\n` : ''}`);
  return code;
};

const run = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  let values: {
    run?: string | undefined;
    data?: string | undefined;
    'label-fraction'?: string | undefined;
    probe?: string | undefined;
    samples?: string | undefined;
    backend?: string | undefined;
  };
  try {
    values = parseArgs({
      args: [...args],
      options: {
        run: { type: 'string' },
        data: { type: 'string' },
        'label-fraction': { type: 'string' },
        probe: { type: 'string' },
        samples: { type: 'string' },
        backend: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return fail(io, (e as Error).message, 2);
  }
  if (values.run === undefined) return fail(io, 'missing --run DIR', 2);
  const fraction = parseFractionOption('label-fraction', values['label-fraction'] ?? '0.1', 0, 1);
  if (typeof fraction === 'string') return fail(io, fraction, 2);
  const probe = values.probe ?? 'both';
  if (!['linear', 'knn', 'both'].includes(probe))
    return fail(io, `--probe ${probe}: expected linear, knn or both`, 2);
  const samples = parseIntOption('samples', values.samples ?? '1260', { min: 10, max: 1_000_000 });
  if (typeof samples === 'string') return fail(io, samples, 2);
  if (values.backend !== undefined && !(BACKENDS as ReadonlyArray<string>).includes(values.backend))
    return fail(io, `--backend ${values.backend}: expected one of ${BACKENDS.join(', ')}`, 2);
  try {
    const [{ evaluateRun }, { renderProbeTable }] = await Promise.all([
      import('../evalRun.js'),
      import('../../eval/index.js'),
    ]);
    const r = await evaluateRun(values.run, {
      labelFraction: fraction,
      probe: probe as ProbeKind,
      samples,
      ...(values.data !== undefined ? { data: values.data } : {}),
      ...(values.backend !== undefined ? { backend: values.backend as BackendName } : {}),
    });
    io.out(
      `${values.run}: checkpoint at step ${r.checkpointStep}${values.data !== undefined ? `, data ${values.data}` : ''}, ${r.samples} held-out images, representations ${r.representations.join(', ')}, ${Math.round(fraction * 100)}% labels\n`,
    );
    for (const w of r.warnings) io.err(`${w}\n`);
    io.err(skippedText(r.skipped, `${join(values.run, 'eval.json')} (unreadable)`));
    io.out(
      `${renderProbeTable(r.rows)}\nwrote ${join(values.run, 'eval.json')} and ${join(values.run, 'embeddings.json')}\n`,
    );
    return 0;
  } catch (e) {
    return fail(
      io,
      e instanceof CheckError
        ? `the run's spec.json does not check:\n${e.message}`
        : (e as Error).message,
      1,
    );
  }
};

/** The `eval` command. */
export const evalCommand: Command = {
  name: 'eval',
  summary: 'probe the frozen features of a trained run (linear, kNN)',
  usage,
  run,
};
