/**
 * `tessera export --run DIR --representation NAME --out FILE.safetensors`: the weights of the
 * modules one representation reads (no predictor, projector, teacher or optimizer state unless the
 * representation applies them), from the run's last checkpoint, as safetensors with the parameter
 * paths as tensor names, and `FILE.json` with the encoder's spec. `loadEncoder(FILE)`
 * (runtime/encoder.ts) reads it back. TF.js loads when it runs.
 */
import { parseArgs } from 'node:util';
import { CheckError } from '../../compiler/check.js';
import type { Method } from '../../compiler/ir/node.js';
import { readRunSpec } from '../../runtime/runInfo.js';
import type { Command, Io } from '../command.js';
import { missingFolder } from '../outFile.js';

const usage = `usage: tessera export --run DIR --representation NAME --out FILE.safetensors
  --run DIR              a tessera train run folder
  --representation NAME  one of the method's representations (e.g. backbone for MoCo v3, target for I-JEPA)
  --out FILE             the weights (.safetensors, tensor names = parameter paths); FILE.json gets the encoder's spec
  exit 0: written; 1: not a run folder, no checkpoint, unknown representation; 2: usage`;

const fail = (io: Io, message: string, code: number): number => {
  io.err(`tessera export: ${message}\n${code === 2 ? `${usage}\n` : ''}`);
  return code;
};

const run = async (args: ReadonlyArray<string>, io: Io): Promise<number> => {
  let values: {
    run?: string | undefined;
    representation?: string | undefined;
    out?: string | undefined;
  };
  try {
    values = parseArgs({
      args: [...args],
      options: {
        run: { type: 'string' },
        representation: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return fail(io, (e as Error).message, 2);
  }
  const missing = (['run', 'representation', 'out'] as const).filter(
    (k) => values[k] === undefined,
  );
  if (missing.length > 0) return fail(io, `missing ${missing.map((k) => `--${k}`).join(', ')}`, 2);
  const { run: dir, representation, out } = values as Required<typeof values>;
  if (!out.endsWith('.safetensors'))
    return fail(io, `--out ${out}: the file name must end in .safetensors`, 2);
  try {
    const [{ loadLatestCheckpoint }, { encoderSpecPath, exportEncoder }] = await Promise.all([
      import('../../runtime/checkpoint/index.js'),
      import('../../runtime/encoder.js'),
    ]);
    const spec = (await readRunSpec(dir)) as Method;
    const ckpt = await loadLatestCheckpoint(dir);
    if (ckpt === undefined)
      return fail(
        io,
        `run folder ${dir} has no checkpoint yet\nhint: train it first (tessera train --out ${dir})`,
        1,
      );
    const noFolder = await missingFolder(out);
    if (noFolder !== undefined) return fail(io, noFolder, 1);
    const names = await exportEncoder(spec, ckpt.weights, representation, out, ckpt.step);
    const modules = [...new Set(names.map((n) => n.split('/')[0]))];
    io.out(
      `wrote ${out} (${names.length} tensors of ${modules.join(', ')}, step ${ckpt.step}) and ${encoderSpecPath(out)}\n`,
    );
    return 0;
  } catch (e) {
    return fail(
      io,
      e instanceof CheckError
        ? `the encoder does not check on its own:\n${e.message}`
        : (e as Error).message,
      1,
    );
  }
};

/** The `export` command. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'export the encoder of one representation (safetensors + spec)',
  usage,
  run,
};
