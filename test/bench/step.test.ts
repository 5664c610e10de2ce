/** `tessera bench step`: the JSON report has every field, and the loss check holds at a tiny size. */
import { describe, expect, it } from 'vitest';
import { tessera } from '../cli/capture.js';

const NUMBER_FIELDS = [
  'batch',
  'iters',
  'warmup',
  'compiled_ms',
  'compiled_min_ms',
  'compiled_max_ms',
  'naive_ms',
  'naive_min_ms',
  'naive_max_ms',
  'ratio',
  'loss_compiled',
  'loss_naive',
  'loss_abs_diff',
  'loss_abs_diff_step1',
  'step_flops',
  'gflops',
  'roof_size',
  'roof_gflops',
  'roof_min_gflops',
  'roof_max_gflops',
  'gflops_vs_roof',
  'peak_bytes_measured',
  'tensor_delta_compiled',
  'tensor_delta_naive',
] as const;

describe('tessera bench step', () => {
  it('prints one JSON object with every field (I-JEPA on wasm, naive on cpu)', async () => {
    const r = await tessera(
      'bench',
      'step',
      '--method',
      'i-jepa',
      '--preset',
      'tiny',
      '--backend',
      'wasm',
      '--json',
      '--iters',
      '1',
      '--warmup',
      '0',
      '--batch',
      '4',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(j).toMatchObject({
      method: 'i-jepa',
      preset: 'tiny',
      backend: 'wasm',
      batch: 4,
      iters: 1,
      warmup: 0,
      naive_backend: 'cpu',
    });
    for (const f of NUMBER_FIELDS) expect(typeof j[f], f).toBe('number');
    expect(j['naive_note']).toMatch(/cannot run on wasm.*naive measured on cpu/);
    expect(
      j['peak_bytes_predicted'] === null || typeof j['peak_bytes_predicted'] === 'number',
    ).toBe(true);
    expect(j['loss_abs_diff']).toBeLessThanOrEqual(1e-4);
    expect(j['loss_abs_diff_step1']).toBeLessThanOrEqual(1e-4);
    expect(j['compiled_min_ms']).toBeLessThanOrEqual(j['compiled_max_ms'] as number);
    expect(j['ratio']).toBeCloseTo((j['naive_ms'] as number) / (j['compiled_ms'] as number), 6);
    expect(j['step_flops']).toBeGreaterThan(0);
    expect(j['peak_bytes_measured']).toBeGreaterThan(0);
    expect(j['tensor_delta_compiled']).toBe(0);
    expect(j['tensor_delta_naive']).toBe(0);
  }, 600_000);

  it('prints a readable report (MoCo v3 on wasm, naive on wasm too)', async () => {
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
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/compiled\s+median .* ms/);
    expect(r.out).toMatch(/naive\s+median .* on wasm/);
    expect(r.out).toMatch(/ratio naive\/compiled/);
  });

  it('ST-STORM: the compiled step per phase (A and B), no eager baseline, the profile', async () => {
    const r = await tessera(
      'bench',
      'step',
      '--method',
      'st-storm',
      '--json',
      '--iters',
      '1',
      '--warmup',
      '0',
      '--batch',
      '2',
      '--profile',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect((j['phases'] as Array<{ phase: string; ms: number }>).map((p) => p.phase)).toEqual([
      'A',
      'B',
    ]);
    for (const p of j['phases'] as Array<{ ms: number }>) expect(p.ms).toBeGreaterThan(0);
    expect(j).toMatchObject({
      naive_ms: null,
      ratio: null,
      loss_abs_diff: null,
      naive_note: 'no hand-written eager baseline for st-storm',
    });
    const profile = j['profile'] as {
      by_category: Record<string, { kernels: number }>;
      by_node: Array<{ node: string }>;
    };
    expect(profile.by_category['convolutions']!.kernels).toBeGreaterThan(0);
    expect(profile.by_node.some((n) => n.node.startsWith('backward:'))).toBe(true);
    expect(j['tensor_delta_compiled']).toBe(0);
  }, 600_000);

  it('rejects an unknown method and a bad count as usage errors', async () => {
    const bad = await tessera('bench', 'step', '--method', 'simclr');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--method must be one of moco-v3, i-jepa, st-storm/);
    const iters = await tessera('bench', 'step', '--iters', '0');
    expect(iters.code).toBe(2);
    expect(iters.err).toMatch(/--iters "0": expected a whole number from 1 to 1000000/);
  });
});
