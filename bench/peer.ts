/**
 * The PyTorch peer of `tessera bench step --peer torch`: finds a Python with torch, starts the
 * hand-written PyTorch step (`bench/peers/torch_step.py`) of the same model as a compiled graph,
 * and drives it one step at a time over stdin/stdout so its steps interleave with the compiled ones.
 *
 * The peer's model sizes are the graph's IR net nodes (the same architecture); its hyperparameters
 * are the graph's schedules evaluated at mid-training. I-JEPA masks are the compiled step's, drawn
 * from the same seeded stream for each step number and sent with the step command.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Graph } from '../compiler/ir/graph.js';
import { evaluateSchedule } from '../compiler/ir/schedule.js';
import { sampleMultiBlockMasks } from '../compiler/lower/masks/multiBlock.js';
import type { MethodName } from '../library/index.js';
import { lossOf, maskSpec, moduleDecl, onlyObjective, stepRng } from './naive/baseline.js';

/** Methods the PyTorch peer is written for. */
export const PEER_METHODS: ReadonlyArray<MethodName> = ['moco-v3', 'i-jepa'];

/** How to install the peer's dependencies (Debian), printed when torch is absent. */
export const TORCH_INSTALL_HINT =
  'sudo apt-get install -y python3-torch libopenblas0-pthread   (Debian; without libopenblas0-pthread torch uses the reference BLAS, ~8x slower), ' +
  'or pass --python PATH to a Python that has torch';

const SCRIPT = fileURLToPath(new URL('./peers/torch_step.py', import.meta.url));

/** The first of `candidates` that can `import torch`, or null. */
export const findTorchPython = (candidates: ReadonlyArray<string>): string | null => {
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return python;
  }
  return null;
};

/** Where to look for torch: `--python`, then `TESSERA_TORCH_PYTHON`, `python3` on PATH, Debian's `/usr/bin/python3`. */
export const torchCandidates = (explicit: string | undefined): ReadonlyArray<string> =>
  explicit !== undefined
    ? [explicit]
    : [process.env['TESSERA_TORCH_PYTHON'], 'python3', '/usr/bin/python3'].filter(
        (p): p is string => !!p,
      );

/** What the peer says about itself. */
export interface PeerInfo {
  readonly params: number;
  readonly forward_flops: number;
  readonly blas: { readonly kind: string; readonly libraries: ReadonlyArray<string> };
  readonly threads: number;
  readonly torch: string;
}

/** A running peer process. */
export interface TorchPeer {
  readonly threads: number;
  info(): Promise<PeerInfo>;
  /** One step at `step` (its masks drawn as the compiled step draws them); the peer's own wall time. */
  step(step: number): Promise<{ readonly ms: number; readonly loss: number }>;
  close(): Promise<void>;
}

const hyperOf = (graph: Graph, method: MethodName): Record<string, number | boolean> => {
  const opt = onlyObjective(graph).optimizer;
  if (opt._tag !== 'AdamW')
    throw new Error(`torch peer: only AdamW methods are written, got ${opt._tag}`);
  const ema = graph.method.modules.find((m) => m.ema !== undefined)!.ema!;
  const common = {
    lr: evaluateSchedule(opt.lr, 0.5),
    weightDecay: evaluateSchedule(opt.weightDecay, 0.5),
    decayAll: opt.decayAll,
    momentum: evaluateSchedule(ema.momentum, 0.5),
  };
  return method === 'moco-v3'
    ? { ...common, temperature: evaluateSchedule(lossOf(graph, 'InfoNCE').temperature, 0.5) }
    : { ...common, beta: lossOf(graph, 'SmoothL1').beta };
};

const netsOf = (graph: Graph, method: MethodName): Record<string, unknown> => {
  const names =
    method === 'moco-v3' ? ['backbone', 'projector', 'predictor'] : ['encoder', 'predictor'];
  return Object.fromEntries(names.map((n) => [n, moduleDecl(graph, n).net]));
};

/** Masks of `step` as the compiled step draws them (I-JEPA), in the peer's wire format. */
export const peerMasks = (graph: Graph, seed: number, step: number): PeerMasks | undefined => {
  if (!graph.nodes.some((n) => n.expr._tag === 'Masks')) return undefined;
  const { name, spec } = maskSpec(graph);
  const m = sampleMultiBlockMasks(
    spec,
    graph.method.training.batch,
    stepRng(seed, step).fork(`masks:${name}`),
  );
  return {
    context: [...m.context.data],
    contextShape: m.context.shape,
    targets: [...m.targets.data],
    targetsShape: m.targets.shape,
  };
};

/** The config line the peer reads first. `masks` fixes the masks (used before any step, e.g. for `info`). */
export const peerConfig = (
  graph: Graph,
  method: MethodName,
  threads: number,
  seed: number,
  masks = peerMasks(graph, seed, 0),
) => ({
  method,
  batch: graph.method.training.batch,
  image: graph.method.input.size,
  threads,
  seed,
  nets: netsOf(graph, method),
  hyper: hyperOf(graph, method),
  ...(masks ? { masks } : {}),
});

/** Reads one JSON reply line; rejects with the peer's error or its exit. */
const replyOf = (lines: Interface, proc: ChildProcessWithoutNullStreams, stderr: () => string) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(
        new Error(
          `torch peer exited (${code}): ${stderr().trim().split('\n').slice(-3).join(' | ')}`,
        ),
      );
    proc.once('exit', onExit);
    lines.once('line', (line) => {
      proc.off('exit', onExit);
      const r = JSON.parse(line) as Record<string, unknown>;
      if (typeof r['error'] === 'string') reject(new Error(`torch peer: ${r['error']}`));
      else resolve(r);
    });
  });

/** Masks in the peer's wire format. */
export type PeerMasks = Readonly<Record<string, ReadonlyArray<number>>>;

/**
 * Starts the peer for `graph` with `threads` threads (torch, OpenMP and OpenBLAS all told, since
 * OpenBLAS threads itself whatever torch says), OpenMP waiting passively unless
 * `OMP_WAIT_POLICY` is set. `masks`: the masks it holds before any step
 * (default: those of step 0).
 */
export const startTorchPeer = (
  python: string,
  graph: Graph,
  method: MethodName,
  threads: number,
  seed: number,
  masks?: PeerMasks,
): TorchPeer => {
  if (!PEER_METHODS.includes(method))
    throw new Error(
      `torch peer: no PyTorch step written for ${method} (written: ${PEER_METHODS.join(', ')})`,
    );
  const n = String(threads);
  const proc = spawn(python, [SCRIPT], {
    env: {
      // OpenMP's default spin-wait makes torch's threads and OpenBLAS's own fight for the cores:
      // measured here, 2 threads 557 ms a MoCo v3 step against 296 ms on one, 232-257 ms passive
      OMP_WAIT_POLICY: 'PASSIVE',
      ...process.env,
      OMP_NUM_THREADS: n,
      OPENBLAS_NUM_THREADS: n,
      MKL_NUM_THREADS: n,
    },
  });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const lines = createInterface({ input: proc.stdout });
  const send = (o: unknown) => {
    proc.stdin.write(`${JSON.stringify(o)}\n`);
    return replyOf(lines, proc, () => err);
  };
  proc.stdin.write(
    `${JSON.stringify(peerConfig(graph, method, threads, seed, masks ?? peerMasks(graph, seed, 0)))}\n`,
  );
  return {
    threads,
    info: async () => (await send({ cmd: 'info' })) as unknown as PeerInfo,
    step: async (step) => {
      const r = await send({ cmd: 'step', masks: peerMasks(graph, seed, step) });
      return { ms: r['ms'] as number, loss: r['loss'] as number };
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.stdin.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
      }),
  };
};
