/**
 * ST-STORM `tiny` on TF.js `wasm` vs torch (`cpu` is too slow for ST-STORM's nets): from the same
 * initial weights, the same views (spectral noise included), permutations, token mask and the
 * same loss draws (PatchNCE positions, SWD patches and projections of every pyramid band,
 * recorded on the TF.js side; the style-gain `Normalize` views are computed by torch itself),
 * each phase-A objective at step 0 (R1 active) and the phase-B objectives at step 20 (memories
 * empty: they pass the batch through) agree: loss terms within 1e-4, gradients within 1e-3
 * relative (`compareTargets.ts`). Batch 4.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../compiler/ir/graph.js';
import { stStorm, TINY_ARCH } from '../../library/stStorm.js';
import { useBackend } from '../../runtime/backend.js';
import { compileGraph } from '../../runtime/compile.js';
import {
  appearanceImages,
  compareObjective,
  expectClose,
  worstGradient,
} from './compareTargets.js';

const BATCH = 4;
const dir = mkdtempSync(join(tmpdir(), 'tessera-torch-storm-'));
let graph: Graph;

/**
 * Conv biases right before an InstanceNorm, zero gradient in exact arithmetic: the U-Net Downs and
 * bottleneck, each SPADE block's conv1 (SPADE2 normalises its output), PatchGAN convs 1 .. 2 (tiny
 * has 3 layers; convs 1 .. layers - 1 are normalised).
 */
const ZERO =
  /(down\.\d+\.conv|bottleneck\.(down\.)?conv|blocks\.\d+\.conv1|D_A\/convs\.[12])\.bias$/;
let images: tf.Tensor4D;
/** y: the other pseudo-domain fold's batch (ST-STORM's default `styleSource: 'folds'`). */
let paired: tf.Tensor4D;

const compare = (objective: string, step: number) =>
  compareObjective(dir, `storm-${objective}`, graph, images, {
    step,
    totalSteps: 600,
    objective,
    backend: 'wasm',
    paired,
  });

describe('ST-STORM tiny: torch target vs TF.js wasm (one step per objective)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    graph = compileGraph(stStorm({ preset: 'tiny', batch: BATCH }), { backend: 'wasm' });
    expect(TINY_ARCH.dLayers, 'ZERO names PatchGAN convs 1 .. 2').toBe(3);
    images = appearanceImages(BATCH, graph.method.input.size);
    paired = appearanceImages(BATCH, graph.method.input.size, 1000);
    expect(graph.nodes.some((n) => n.expr._tag === 'Input' && n.expr.name === 'pairedImages')).toBe(
      true,
    );
  });
  afterAll(() => {
    images.dispose();
    paired.dispose();
  });

  it.each([
    ['discriminatorA', 0, ['lsgan', 'r1']],
    ['semantic', 0, ['moco', 'moco2']],
    [
      'generatorA',
      0,
      ['adv', 'nce_bottleneck', 'tok', 'l1', 'gate', 'fft', 'swd', 'jepa', 'jepa_cov'],
    ],
    ['semanticB', 20, ['moco']],
    ['generatorB', 20, ['nce_skip2', 'idt', 'tok', 'gate', 'fft', 'swd']],
  ] as const)(
    '%s at step %i: terms and every gradient',
    async (objective, step, terms) => {
      const r = await compare(objective, step);
      console.log(
        `${objective}: worst term difference ${Math.max(...Object.values(r.terms).map((t) => t.abs)).toExponential(2)}, worst relative gradient ${worstGradient(r, ZERO).toExponential(2)} over ${Object.keys(r.grads).length} tensors`,
      );
      for (const t of terms) expect(Object.keys(r.terms)).toContain(t);
      if (objective === 'discriminatorA') expect(r.terms['r1']!.tfjs).toBeGreaterThan(0);
      expectClose(r, ZERO);
    },
    600_000,
  );
});
