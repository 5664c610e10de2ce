/**
 * The PyTorch peer of `tessera bench step --peer torch` (`bench/peers/`): same parameter count and
 * same forward FLOPs as `tessera check` reports for the compiled method, one step trains, the BLAS
 * is reported; and without torch, the bench says how to install it and runs the rest.
 *
 * CI installs Debian's python3-torch (`.ci/run`), so the peer checks run there. On a machine
 * without torch the first test checks the absent-torch message instead (the rest of the bench
 * must still work there: `npm test` stays green on a fresh clone without torch).
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../runtime/compile.js';
import { maskEstimates } from '../../compiler/passes/shapes/index.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchedMethod } from '../../bench/step.js';
import { encodeMethod } from '../../compiler/ir/codec.js';
import { maskSpec } from '../../bench/naive/baseline.js';
import {
  findTorchPython,
  startTorchPeer,
  torchCandidates,
  type PeerMasks,
} from '../../bench/peer.js';
import { openPeers, peerRuns } from '../../bench/peerRuns.js';
import { tessera } from '../cli/capture.js';

const python = findTorchPython(torchCandidates(undefined));

/** `tessera check --json` of the benched spec: trainable parameters (modules an objective optimizes) and forward FLOPs. */
const checked = async (method: 'moco-v3' | 'i-jepa') => {
  const file = join(mkdtempSync(join(tmpdir(), 'tessera-peer-')), `${method}.json`);
  writeFileSync(file, JSON.stringify(encodeMethod(benchedMethod(method, 'tiny'))));
  const r = await tessera('check', file, '--json');
  const j = JSON.parse(r.out) as {
    modules: Array<{ params: number; role: string }>;
    flops: { forward: number };
  };
  return {
    params: j.modules
      .filter((m) => m.role.startsWith('optimized'))
      .reduce((s, m) => s + m.params, 0),
    forward: j.flops.forward,
  };
};

/** Masks of the sizes the shape pass assumes (`Kctx`, `Ktgt`), so the FLOPs compare exactly. */
const estimatedMasks = (graph: Awaited<ReturnType<typeof compile>>['graph']): PeerMasks => {
  const { spec } = maskSpec(graph);
  const { Kctx, Ktgt } = maskEstimates(spec);
  const b = graph.method.training.batch;
  const rows = (n: number, k: number) => Array.from({ length: n * k }, (_, i) => i % k);
  return {
    context: rows(b, Kctx),
    contextShape: [b, Kctx],
    targets: rows(spec.targets * b, Ktgt).map((x) => x + Kctx),
    targetsShape: [spec.targets, b, Ktgt],
  };
};

describe('PyTorch peer', () => {
  it.each(['moco-v3', 'i-jepa'] as const)(
    '%s: parameters and forward FLOPs equal tessera check; one step trains',
    async (method) => {
      if (python === null) {
        // no torch here: the bench must say how to install it (CI has torch and runs the checks below)
        const compiled = await compile(benchedMethod(method, 'tiny'), { backend: 'cpu' });
        const peers = await openPeers(compiled.graph, method, 0, undefined);
        expect(peers.list).toHaveLength(0);
        expect(peers.note).toMatch(
          /torch not found .*apt-get install -y python3-torch libopenblas0-pthread/,
        );
        return;
      }
      const compiled = await compile(benchedMethod(method, 'tiny'), { backend: 'cpu' });
      const masks = method === 'i-jepa' ? estimatedMasks(compiled.graph) : undefined;
      const peer = startTorchPeer(python, compiled.graph, method, 1, 0, masks);
      try {
        const info = await peer.info();
        const want = await checked(method);
        expect(info.params).toBe(want.params);
        expect(info.forward_flops).toBe(want.forward);
        expect(info.threads).toBe(1);
        expect(['openblas-pthread', 'openblas', 'mkl', 'reference', 'unknown']).toContain(
          info.blas.kind,
        );
        const a = await peer.step(0);
        const b = await peer.step(1);
        expect(Number.isFinite(a.loss) && a.loss > 0).toBe(true);
        expect(b.loss).not.toBe(a.loss); // the weights moved
        expect(a.ms).toBeGreaterThan(0);
      } finally {
        await peer.close();
      }
    },
    600_000,
  ); // a loaded machine: torch's import alone took 20 s

  it('without torch: the report says how to install it; the rest of the bench runs', async () => {
    const r = await tessera(
      'bench',
      'step',
      '--method',
      'moco-v3',
      '--iters',
      '1',
      '--warmup',
      '0',
      '--batch',
      '4',
      '--peer',
      'torch',
      '--python',
      '/nonexistent/python3',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /pytorch peer: not run: torch not found \(tried \/nonexistent\/python3\); install: sudo apt-get install -y python3-torch libopenblas0-pthread/,
    );
    expect(r.out).toMatch(/compiled\s+median .* ms/);
  }, 600_000);

  it('warns when torch runs on the reference BLAS, not when on OpenBLAS', () => {
    const peers = (kind: string) => ({
      list: [
        {
          threads: 1,
          info: async () => ({}) as never,
          step: async () => ({ ms: 1, loss: 1 }),
          close: async () => {},
        },
      ],
      info: { params: 1, forward_flops: 1, blas: { kind, libraries: [] }, threads: 1, torch: 'x' },
      close: async () => {},
    });
    const slow = peerRuns(peers('reference'), [[100, 300, 200]], [1], 400, 100);
    expect(slow.blas_warning).toMatch(/reference BLAS.*not meaningful.*libopenblas0-pthread/);
    expect(slow.runs[0]).toMatchObject({
      threads: 1,
      ms: 200,
      min_ms: 100,
      max_ms: 300,
      ratio: 2,
      ratio_no_aug: 1.5,
    });
    expect(peerRuns(peers('openblas-pthread'), [[1]], [1], 1, 0).blas_warning).toBeNull();
  });

  it('rejects a bad --peer and a --python without --peer', async () => {
    expect((await tessera('bench', 'step', '--peer', 'jax')).err).toMatch(/--peer must be torch/);
    expect((await tessera('bench', 'step', '--python', 'python3')).err).toMatch(
      /--python goes with --peer torch/,
    );
  });
});
