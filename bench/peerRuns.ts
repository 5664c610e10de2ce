/**
 * The PyTorch peers of one `tessera bench step --peer torch` run: one process per thread count
 * (1 and 2), their self-description (BLAS, parameters, FLOPs) and their timed series turned into
 * the report's `peer` part. When torch is absent the report says how to install it and the rest of
 * the benchmark runs.
 */
import type { Graph } from '../compiler/ir/graph.js';
import type { MethodName } from '../library/index.js';
import {
  findTorchPython,
  PEER_METHODS,
  startTorchPeer,
  TORCH_INSTALL_HINT,
  torchCandidates,
  type PeerInfo,
  type TorchPeer,
} from './peer.js';
import { spread, type PeerReport } from './stepReport.js';

/** Thread counts the peer runs with. */
export const PEER_THREADS = [1, 2] as const;

/** The started peers (none when torch is absent or the method has no peer), and why not. */
export interface Peers {
  readonly list: ReadonlyArray<TorchPeer>;
  readonly info: PeerInfo | null;
  readonly note?: string;
  close(): Promise<void>;
}

/** No peer at all (no `--peer`). */
export const NO_PEERS: Peers = { list: [], info: null, close: async () => {} };

/** Starts the peers for `graph` (1 and 2 threads), or says why there are none. */
export const openPeers = async (
  graph: Graph,
  method: MethodName,
  seed: number,
  python: string | undefined,
): Promise<Peers> => {
  if (!PEER_METHODS.includes(method))
    return {
      ...NO_PEERS,
      note: `no PyTorch step written for ${method} (written: ${PEER_METHODS.join(', ')})`,
    };
  const candidates = torchCandidates(python);
  const found = findTorchPython(candidates);
  if (found === null)
    return {
      ...NO_PEERS,
      note: `torch not found (tried ${candidates.join(', ')}); install: ${TORCH_INSTALL_HINT}`,
    };
  const list = PEER_THREADS.map((n) => startTorchPeer(found, graph, method, n, seed));
  const close = async () => void (await Promise.all(list.map((p) => p.close())));
  try {
    return { list, info: await list[0]!.info(), close };
  } catch (e) {
    await close();
    throw e;
  }
};

const blasWarning = (kind: string): string | null =>
  kind === 'openblas-pthread' || kind === 'openblas' || kind === 'mkl'
    ? null
    : `torch uses the ${kind} BLAS: its steps are several times slower than with OpenBLAS and the comparison is not meaningful; install: ${TORCH_INSTALL_HINT}`;

/** The report's `peer` part from the timed series of each peer (same order as `peers.list`). */
export const peerRuns = (
  peers: Peers,
  series: ReadonlyArray<ReadonlyArray<number>>,
  losses: ReadonlyArray<number>,
  compiledMs: number,
  augmentMs: number,
): PeerReport => {
  const info = peers.info;
  if (info === null) {
    return {
      available: false,
      note: peers.note ?? 'no peer',
      torch: null,
      blas: null,
      blas_warning: null,
      params: null,
      forward_flops: null,
      runs: [],
    };
  }
  return {
    available: true,
    note: null,
    torch: info.torch,
    blas: info.blas.kind,
    blas_warning: blasWarning(info.blas.kind),
    params: info.params,
    forward_flops: info.forward_flops,
    runs: peers.list.map((p, i) => {
      const s = spread(series[i] ?? []);
      return {
        threads: p.threads,
        ms: s.median,
        min_ms: s.min,
        max_ms: s.max,
        ratio: compiledMs / s.median,
        ratio_no_aug: (compiledMs - augmentMs) / s.median,
        loss: losses[i] ?? NaN,
      };
    }),
  };
};
