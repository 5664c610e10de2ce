import * as tf from '@tensorflow/tfjs';
import { isRight } from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import { NET_TAGS } from '../../../../compiler/ir/net.js';
import { inferNet } from '../../../../compiler/passes/shapes/index.js';
import {
  applyNet,
  initNet,
  netParams,
  netRules,
  subNet,
  type Lowered,
} from '../../../../compiler/lower/nets/index.js';
import { useBackend } from '../../../../runtime/backend.js';
import { cases, inputsOf, shapeOf, typeShape } from './catalogue.js';

describe('net rule table', () => {
  it('covers every net kind of the IR', () => {
    expect(Object.keys(netRules).sort()).toEqual([...NET_TAGS].sort());
  });
  it('the catalogue exercises every net kind', () => {
    expect(new Set(cases.map((c) => c.net._tag))).toEqual(new Set(NET_TAGS));
  });
});

describe.each(cases)('$name', (c) => {
  it('reads every parameter of the parameter table in a training forward pass', async () => {
    await useBackend('wasm');
    const params = initNet(c.net, 5);
    const read = new Set<string>();
    const watched = new Proxy(params, {
      get: (t, path: string) => {
        read.add(path);
        return t[path];
      },
    });
    const buffers = new Map<string, tf.Tensor>();
    tf.tidy(() => {
      applyNet(c.net, watched, inputsOf(c), { training: true, buffers, prefix: '' });
    });
    tf.dispose([...buffers.values()]);
    expect(netParams(c.net).filter((p) => !read.has(p.path))).toEqual([]);
    tf.dispose(Object.values(params));
  });

  it('forward output shape equals the shape pass output type (training and eval)', async () => {
    await useBackend('wasm');
    const inferred = inferNet(c.net, c.types, [], 2);
    expect(isRight(inferred)).toBe(true);
    if (!isRight(inferred)) return;
    const params = initNet(c.net, 7);
    for (const training of [true, false]) {
      const buffers = new Map<string, tf.Tensor>();
      const shape = tf.tidy(() =>
        shapeOf(applyNet(c.net, params, inputsOf(c), { training, buffers, prefix: '' })),
      );
      expect(shape).toEqual(typeShape(inferred.right.output));
      for (const [path, t] of buffers) expect(t.shape).toEqual(params[path]!.shape);
      tf.dispose([...buffers.values()]);
    }
    tf.dispose(Object.values(params));
  });

  it('leaks no tensor across repeated tidy calls, and its output is finite', async () => {
    await useBackend('wasm');
    const params = initNet(c.net, 3);
    const before = tf.memory().numTensors;
    for (let r = 0; r < 3; r++) {
      const buffers = new Map<string, tf.Tensor>();
      const finite = tf.tidy(() => {
        const out = applyNet(c.net, params, inputsOf(c, r), {
          training: true,
          buffers,
          prefix: '',
        });
        const flat = (v: Lowered): tf.Tensor[] =>
          v instanceof tf.Tensor ? [v] : Object.values(v).flatMap(flat);
        return flat(out).every((t) => tf.all(tf.isFinite(t)).dataSync()[0] === 1);
      });
      expect(finite).toBe(true);
      tf.dispose([...buffers.values()]);
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose(Object.values(params));
  });
});

describe('subNet', () => {
  const gen = cases.find((c) => c.net._tag === 'Generator')!.net;
  it('finds a Generator part and its prefix, whose parameters are the module parameters under it', () => {
    const part = subNet(gen, ['styleEncoder']);
    expect(part.prefix).toBe('styleEncoder');
    expect(part.net._tag).toBe('StylePyramidEncoder');
    const under = netParams(gen)
      .filter((p) => p.path.startsWith('styleEncoder.'))
      .map((p) => p.path.slice('styleEncoder.'.length));
    expect(under).toEqual(netParams(part.net).map((p) => p.path));
  });
  it('applies a part with the whole module table and the part prefix', async () => {
    await useBackend('wasm');
    const params = initNet(gen, 1);
    const part = subNet(gen, ['encoder']);
    const shape = tf.tidy(() =>
      shapeOf(
        applyNet(
          part.net,
          params,
          { x: tf.zeros([1, 16, 16, 3]) },
          { training: false, buffers: new Map(), prefix: part.prefix },
        ),
      ),
    );
    expect(shape).toEqual({ skip1: [1, 8, 8, 4], skip2: [1, 4, 4, 8], bottleneck: [1, 2, 2, 8] });
    tf.dispose(Object.values(params));
  });
  it('composes through a Sequential and rejects unknown parts with a hint', () => {
    const seq = { _tag: 'Sequential' as const, layers: [cases[0]!.net, gen] };
    expect(subNet(seq, ['1', 'decoder']).prefix).toBe('1.decoder');
    expect(() => subNet(seq, ['0', 'encoder'])).toThrow(/Linear has no part "encoder"/);
  });
  it('a missing parameter is a clear error', async () => {
    await useBackend('wasm');
    expect(() =>
      tf.tidy(() =>
        applyNet(
          cases[0]!.net,
          {},
          { x: tf.zeros([1, 8]) },
          { training: false, buffers: new Map(), prefix: '' },
        ),
      ),
    ).toThrow(/parameter "weight" is missing/);
  });
});

describe('SpadeResBlock relu (RT-STORM models/backbone.py: F.relu(y + s))', () => {
  it('with relu the block output is max(0, the output without it), same parameters', async () => {
    await useBackend('wasm');
    const c = cases.find((x) => x.name === 'SpadeResBlock')!;
    const net = c.net as Extract<typeof c.net, { _tag: 'SpadeResBlock' }>;
    const params = initNet(net, 5);
    const inputs = inputsOf(c);
    const run = (relu: boolean) =>
      tf.tidy(() =>
        (
          applyNet({ ...net, relu }, params, inputs, {
            training: false,
            buffers: new Map(),
            prefix: '',
          }) as tf.Tensor
        ).dataSync(),
      );
    const [on, off] = [run(true), run(false)];
    expect(off.some((v) => v < 0)).toBe(true);
    expect(Array.from(on)).toEqual(Array.from(off, (v) => Math.max(0, v)));
    tf.dispose([...Object.values(params), ...(Object.values(inputs) as tf.Tensor[])]);
  });
});
