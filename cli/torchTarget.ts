/**
 * `tessera compile SPEC --target torch --out DIR`: writes a folder that trains the checked spec
 * under PyTorch (`torchrun --nproc_per_node=N DIR/train.py --data IMAGES --out RUN`):
 *
 * ```
 * DIR/graph.json        the checked graph and its step plan (compiler/torchTarget.ts)
 * DIR/spec.json         the resolved spec (what `tessera train` would record)
 * DIR/train.py          the entry point (runs tessera_torch.train)
 * DIR/torchrun.py       torchrun with the fix Debian's torch 1.13 on Python 3.11 needs (tessera_torch/launch.py)
 * DIR/tessera_torch/    the Python runtime, copied from the package's python/tessera_torch
 * ```
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Graph } from '../compiler/ir/graph.js';
import { torchTarget } from '../compiler/torchTarget.js';
import { specHash } from '../runtime/specHash.js';
import { TORCH_PACKAGE } from '../runtime/torchPackage.js';
import { makeFolder } from '../runtime/fsErrors.js';

const LAUNCHER = `"""Trains the tessera graph in graph.json with PyTorch; see tessera_torch/train.py.

    torchrun --nproc_per_node=N train.py --data IMAGES --out RUN   # DDP (gloo on CPU, nccl on GPU)
    python3 train.py --data IMAGES --out RUN                        # one process
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from tessera_torch.train import main  # noqa: E402

if __name__ == "__main__":
    main(compiled_dir=HERE)
`;

const TORCHRUN = `"""torchrun for PyTorch 1.13 on Python 3.11 (Debian 12), same arguments; see tessera_torch/launch.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tessera_torch.launch import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
`;

const copyPackage = async (to: string): Promise<number> => {
  await makeFolder(to);
  const files = (await fs.readdir(TORCH_PACKAGE)).filter((f) => f.endsWith('.py'));
  for (const f of files) await fs.copyFile(path.join(TORCH_PACKAGE, f), path.join(to, f));
  return files.length;
};

/** Writes the torch target folder of `graph`; returns the lines to print. */
export const writeTorchTarget = async (
  dir: string,
  graph: Graph,
  name: string,
): Promise<string> => {
  await makeFolder(dir);
  const hash = specHash(graph.method);
  await fs.writeFile(
    path.join(dir, 'graph.json'),
    `${JSON.stringify(torchTarget(graph, name, hash))}\n`,
  );
  await fs.writeFile(path.join(dir, 'spec.json'), `${JSON.stringify(graph.method, null, 2)}\n`);
  await fs.writeFile(path.join(dir, 'train.py'), LAUNCHER);
  await fs.writeFile(path.join(dir, 'torchrun.py'), TORCHRUN);
  const n = await copyPackage(path.join(dir, 'tessera_torch'));
  const { batch, steps } = graph.method.training;
  return [
    `wrote ${dir}: "${graph.method.name}" for PyTorch (graph.json, spec.json, train.py, torchrun.py, tessera_torch/ ${n} files)`,
    `  spec hash ${hash.slice(0, 12)}, global batch ${batch}, ${steps} steps`,
    `  run:  torchrun --nproc_per_node=N ${path.join(dir, 'train.py')} --data IMAGES --out RUN   (N divides ${batch})`,
    `        (PyTorch 1.13 on Python 3.11, e.g. Debian 12: python3 ${path.join(dir, 'torchrun.py')} with the same arguments)`,
    `  data: tessera data appearance --out IMAGES --n 2520 --size ${graph.method.input.size}`,
    `  then: tessera eval --run RUN`,
    '',
  ].join('\n');
};
