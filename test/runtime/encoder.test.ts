/**
 * Encoder export: which modules a representation needs (for each library method), the encoder
 * spec checks on its own, and an export of an EMA-target representation (I-JEPA `target`) loads
 * back and embeds exactly like the method it came from.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import { checkMethod } from '../../compiler/check.js';
import { compile } from '../../runtime/compile.js';
import { appearanceDataset } from '../../data/appearance/generator.js';
import { methods } from '../../library/index.js';
import type { NamedTensor } from '../../runtime/checkpoint/index.js';
import { decodeSafetensors } from '../../runtime/checkpoint/index.js';
import {
  encoderSpec,
  encoderSpecPath,
  exportEncoder,
  loadEncoder,
  type EncoderFile,
} from '../../runtime/encoder.js';

describe('encoderSpec', () => {
  it.each([
    ['moco-v3', 'backbone', ['backbone']],
    ['i-jepa', 'target', ['target']],
    ['i-jepa', 'context', ['encoder']],
    ['st-storm', 'content', ['semBackbone']],
    ['st-storm', 'style', ['G_B']],
    ['st-storm', 'fused', ['semBackbone', 'G_B', 'fusion']],
  ] as const)(
    '%s %s keeps only the modules it applies, without EMA links or objectives, and checks alone',
    (name, rep, modules) => {
      const spec = encoderSpec(methods[name]('tiny'), rep);
      expect(spec.modules.map((d) => d.name).sort()).toEqual([...modules].sort());
      expect(spec.modules.every((d) => d.ema === undefined)).toBe(true);
      expect(spec.objectives).toEqual([]);
      expect(spec.representations.map((r) => r.name)).toEqual([rep]);
      expect(JSON.stringify(spec.representations[0]!.value)).not.toContain('"Ref"');
      expect(E.isRight(checkMethod(spec))).toBe(true);
    },
  );

  it('names the known representations for an unknown one', () => {
    expect(() => encoderSpec(methods['i-jepa']('tiny'), 'fused')).toThrow(
      /unknown representation "fused" in "i-jepa"\nhint: one of target, context/,
    );
  });

  it('maps x.safetensors to x.json', () => {
    expect(encoderSpecPath('/a/b/enc.safetensors')).toBe('/a/b/enc.json');
    expect(encoderSpecPath('/a/enc.bin')).toBe('/a/enc.bin.json');
  });
});

describe('exportEncoder / loadEncoder', () => {
  it('round-trips the I-JEPA EMA target encoder: only its tensors, same features', async () => {
    const method = { ...methods['i-jepa']('tiny'), training: { batch: 4, steps: 1 } };
    const compiled = await compile(method, { backend: 'wasm' });
    compiled.init(5);
    const images = (await appearanceDataset({ n: 4, size: 32, seed: 2 }).all()).images;
    compiled.step(images, { step: 0, totalSteps: 1 }); // EMA target differs from its init now
    const weights: Record<string, NamedTensor> = {};
    for (const [k, v] of Object.entries(compiled.variables()))
      weights[k] = { dtype: 'F32', shape: v.shape, data: v.dataSync() as Float32Array };
    const out = join(mkdtempSync(join(tmpdir(), 'tessera-encoder-')), 'target.safetensors');
    const names = await exportEncoder(method, weights, 'target', out, 1);
    expect(names.length).toBeGreaterThan(5);
    expect(names.every((n) => n.startsWith('target/'))).toBe(true);
    expect(Object.keys(decodeSafetensors(readFileSync(out)).tensors).sort()).toEqual(
      [...names].sort(),
    );
    const file = JSON.parse(readFileSync(encoderSpecPath(out), 'utf8')) as EncoderFile;
    expect(file).toMatchObject({
      format: 'tessera-encoder',
      representation: 'target',
      weights: 'target.safetensors',
      source: { method: 'i-jepa', step: 1 },
    });

    const encoder = await loadEncoder(out);
    const [a, b] = [compiled.embed('target', images), encoder.embed(images)];
    expect(b.shape).toEqual(a.shape);
    // same weights; the encoder's smaller graph may fuse ops differently, so float32 rounding can differ
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBeLessThan(1e-5);
    expect(tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0])).toBeGreaterThan(0.1);
    tf.dispose([a, b, images]);
    encoder.dispose();
    compiled.dispose();
  });

  it("exports only the part a representation reads: ST-STORM style = G_B's style encoder (--sup_from GB)", async () => {
    const storm = methods['st-storm']('tiny');
    const method = { ...storm, training: { ...storm.training, batch: 4, steps: 1 } };
    const compiled = await compile(method, { backend: 'wasm' });
    compiled.init(4);
    const images = (await appearanceDataset({ n: 4, size: 32, seed: 3 }).all()).images;
    const weights: Record<string, NamedTensor> = {};
    for (const [k, v] of Object.entries(compiled.variables()))
      weights[k] = { dtype: 'F32', shape: v.shape, data: v.dataSync() as Float32Array };
    const out = join(mkdtempSync(join(tmpdir(), 'tessera-encoder-')), 'style.safetensors');
    const names = await exportEncoder(method, weights, 'style', out);
    const teacher = Object.keys(weights).filter((k) => k.startsWith('G_B/styleEncoder.'));
    expect([...names].sort()).toEqual(
      teacher.map((k) => k.replace('G_B/styleEncoder.', 'G_B/')).sort(),
    );
    expect(encoderSpec(method, 'style').modules.map((d) => d.net._tag)).toEqual([
      'StylePyramidEncoder',
    ]);
    const encoder = await loadEncoder(out);
    const [a, b] = [compiled.embed('style', images), encoder.embed(images)];
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBeLessThan(1e-5);
    tf.dispose([a, b, images]);
    encoder.dispose();
    compiled.dispose();
  });

  it('refuses a weights file that lacks a tensor of the spec, naming it', async () => {
    const method = methods['moco-v3']('tiny');
    const compiled = await compile(method, { backend: 'wasm' });
    compiled.init(0);
    const weights: Record<string, NamedTensor> = {};
    for (const [k, v] of Object.entries(compiled.variables()))
      if (k !== 'backbone/stem.conv.weight')
        weights[k] = { dtype: 'F32', shape: v.shape, data: v.dataSync() as Float32Array };
    compiled.dispose();
    const out = join(mkdtempSync(join(tmpdir(), 'tessera-encoder-')), 'b.safetensors');
    await exportEncoder(method, weights, 'backbone', out);
    await expect(loadEncoder(out)).rejects.toThrow(
      /b\.safetensors is unusable: it has no tensor "backbone\/stem\.conv\.weight"/,
    );
    await expect(loadEncoder(join(tmpdir(), 'nope.safetensors'))).rejects.toThrow(
      /cannot read the encoder spec .*nope\.json[\s\S]*hint: export writes it/,
    );
  });
});
