/** `tessera bench soak` (`bench/soak.ts`): trend, verdict, and a short real soak of the training loop. */
import { describe, expect, it } from 'vitest';
import {
  benchSoak,
  PREFETCH_SLACK,
  showSoak,
  slope,
  summarise,
  tensorVerdict,
  type SoakSample,
} from '../../bench/soak.js';
import { main } from '../../cli/main.js';

const at = (step: number, tensors: number, rssMB: number): SoakSample => ({
  step,
  tensors,
  tensorMB: tensors / 100,
  rssMB,
  heapMB: 50,
  wasmMB: 512,
  buffersMB: 8,
  seconds: step,
});

describe('soak summary', () => {
  it('slope: least squares per step', () => {
    expect(slope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2);
    expect(slope([5], [1])).toBe(0);
  });

  it('start / end / max, and the trend per 100 steps over the second half only', () => {
    // RSS jumps early (warm-up), then grows 1 MB every 10 steps: +10 MB per 100 steps
    const samples = [at(1, 200, 300), at(10, 200, 500)];
    for (let s = 20; s <= 100; s += 10) samples.push(at(s, 200, 500 + (s - 10) / 10));
    const r = summarise(samples);
    expect(r.start.step).toBe(1);
    expect(r.end.step).toBe(100);
    expect(r.max.rssMB).toBe(509);
    expect(r.trend.rssMB).toBeCloseTo(10);
    expect(r.trend.tensors).toBe(0);
  });

  it('tensor verdict: prefetch jitter is flat, a steady climb is a leak', () => {
    const jitter = [200, 198, 200, 199, 200, 198, 200, 200].map((t, i) => at(i * 10 + 1, t, 500));
    expect(tensorVerdict({ samples: jitter, end: jitter.at(-1)! })).toMatch(/^tensors: flat/);
    const leak = Array.from({ length: 8 }, (_, i) => at(i * 10 + 1, 200 + 2 * i, 500));
    expect(tensorVerdict({ samples: leak, end: leak.at(-1)! })).toBe(
      'tensors: +14 since the first samples: a leak (tensors not disposed)',
    );
    expect(14).toBeGreaterThan(PREFETCH_SLACK);
  });
});

describe('soak run', () => {
  it('runs the real loop (checkpoints included) and finds no tensor leak in MoCo v3 tiny', async () => {
    const seen: number[] = [];
    const r = await benchSoak({
      method: 'moco-v3',
      steps: 6,
      batch: 4,
      backend: 'wasm',
      seed: 0,
      every: 2,
      checkpointEvery: 2,
      images: 16,
      onSample: (s) => seen.push(s.step),
    });
    expect(seen).toEqual([1, 2, 4, 6]);
    expect(r.samples.map((s) => s.step)).toEqual(seen);
    expect(r.start.tensors).toBeGreaterThan(100);
    expect(r.end.rssMB).toBeGreaterThan(0);
    expect(r.end.wasmMB).toBeGreaterThan(0);
    expect(tensorVerdict(r)).toMatch(/^tensors: flat/);
    const text = showSoak(r);
    expect(text).toMatch(/^soak: moco-v3 tiny, batch 4, 6 steps on wasm/);
    expect(text).toMatch(/\ntensors +\d+ +\d+ +\d+ +[+-]\d+\.\d\d\n/);
    expect(text).toMatch(/\nRSS MB +[\d.]+ +[\d.]+ +[\d.]+ +[+-][\d.]+\n/);
    expect(text).toMatch(/\nbuffers MB +[\d.]+ +[\d.]+ +[\d.]+ +[+-][\d.]+\n/);
    expect(r.end.buffersMB).toBeGreaterThan(0);
  });

  it('the command: usage errors exit 2', async () => {
    let err = '';
    const io = { out: () => undefined, err: (t: string) => (err += t), isTty: false };
    expect(await main(['bench', 'soak', '--method', 'nope'], io)).toBe(2);
    expect(err).toMatch(/--method must be one of moco-v3/);
    expect(await main(['bench', 'soak', '--steps', '0x2'], io)).toBe(2);
  });
});
