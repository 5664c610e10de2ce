import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { Optimizer } from '../../../compiler/ir/optim.js';
import {
  makeOptimizer,
  type OptimizerRuntime,
  type ParamSpec,
} from '../../../runtime/optim/index.js';
import { useBackend } from '../../../runtime/backend.js';
import { absError, fromStored, loadFixture, type StoredArray } from '../../fixtures/fixture.js';

interface Fx {
  params: ParamSpec[];
  progress: number[];
  init: Record<string, StoredArray>;
  grads: Array<Record<string, StoredArray>>;
  specs: Record<string, Optimizer>;
  trajectories: Record<string, Array<Record<string, StoredArray>>>;
}
const fx = loadFixture<Fx>('optim');

const freshParams = (): Record<string, tf.Variable> =>
  Object.fromEntries(
    fx.params.map((p) => [p.path, tf.variable(fromStored(fx.init[p.path]!), true)]),
  );
const gradsAt = (step: number): Record<string, tf.Tensor> =>
  Object.fromEntries(Object.entries(fx.grads[step]!).map(([k, v]) => [k, fromStored(v)]));
const stepWith = (opt: OptimizerRuntime, vars: Record<string, tf.Variable>, step: number): void => {
  const g = gradsAt(step);
  opt.apply(vars, g, fx.progress[step]!);
  tf.dispose(Object.values(g));
};
const expectAt = (name: string, vars: Record<string, tf.Variable>, step: number): void => {
  for (const p of fx.params) {
    const want = fx.trajectories[name]![step]![p.path]!;
    expect(
      absError(vars[p.path]!.dataSync(), want.data),
      `${name} step ${step} ${p.path}`,
    ).toBeLessThan(1e-5);
  }
};
const release = (opt: OptimizerRuntime, vars: Record<string, tf.Variable>): void => {
  tf.dispose(Object.values(vars));
  tf.dispose(Object.values(opt.state()));
};

describe('optimizers against numpy trajectories (test/fixtures/optim.py)', () => {
  beforeAll(async () => useBackend('wasm'));

  for (const name of Object.keys(fx.specs)) {
    it(`${name}: ${fx.progress.length} steps match within 1e-5, with no tensor leak per step`, () => {
      const vars = freshParams();
      const opt = makeOptimizer(fx.specs[name]!, fx.params);
      for (let s = 0; s < fx.progress.length; s++) {
        const before = tf.memory().numTensors;
        stepWith(opt, vars, s);
        expect(tf.memory().numTensors).toBe(before);
        expectAt(name, vars, s);
      }
      release(opt, vars);
    });
  }

  it('LARS: the first update of a matrix has norm lr * trust * |p| (trust ratio); 1-D params take lr * g', () => {
    const vars = freshParams();
    const spec = fx.specs['lars']! as Extract<Optimizer, { _tag: 'Lars' }>;
    const opt = makeOptimizer(spec, fx.params);
    stepWith(opt, vars, 0);
    const lr = 1.0; // Linear 1.0 -> 0.5 at progress 0
    const norm = (xs: ArrayLike<number>): number =>
      Math.sqrt(Array.from(xs).reduce((a, x) => a + x * x, 0));
    for (const p of fx.params) {
      const init = fx.init[p.path]!.data;
      const delta = Array.from(vars[p.path]!.dataSync(), (v, i) => v - init[i]!);
      if (p.shape.length > 1) {
        expect(norm(delta) / (lr * spec.trust * norm(init)), p.path).toBeCloseTo(1, 4);
      } else {
        const g = fx.grads[0]![p.path]!.data;
        expect(
          absError(
            delta,
            g.map((x) => -lr * x),
          ),
          p.path,
        ).toBeLessThan(1e-5);
      }
    }
    release(opt, vars);
  });

  it('AdamW decayAll: false skips decay on decay=false params, exactly like Adam there', () => {
    const spec: Optimizer = {
      _tag: 'AdamW',
      lr: { _tag: 'Constant', value: 0.01 },
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: { _tag: 'Constant', value: 5 },
      decayAll: false,
    };
    const adam: Optimizer = {
      _tag: 'Adam',
      lr: { _tag: 'Constant', value: 0.01 },
      betas: [0.9, 0.999],
      eps: 1e-8,
    };
    const [va, vb] = [freshParams(), freshParams()];
    const [oa, ob] = [makeOptimizer(spec, fx.params), makeOptimizer(adam, fx.params)];
    stepWith(oa, va, 0);
    stepWith(ob, vb, 0);
    for (const p of fx.params) {
      const diff = absError(va[p.path]!.dataSync(), vb[p.path]!.dataSync());
      if (p.decay) expect(diff, p.path).toBeGreaterThan(1e-3);
      else expect(diff, p.path).toBe(0);
    }
    release(oa, va);
    release(ob, vb);
  });

  it('Adam(W) on wasm is one SIMD kernel per parameter, with the floats of the element-wise ops on cpu', async () => {
    const run = async (
      backend: 'wasm' | 'cpu',
    ): Promise<{ values: number[]; kernels: string[] }> => {
      await useBackend(backend);
      const vars = freshParams();
      const opt = makeOptimizer(fx.specs['adamwExcludes']!, fx.params);
      stepWith(opt, vars, 0);
      const g = gradsAt(1);
      const { kernels } = await tf.profile(() => opt.apply(vars, g, fx.progress[1]!));
      tf.dispose(Object.values(g));
      stepWith(opt, vars, 2);
      const values = fx.params.flatMap((p) => [...vars[p.path]!.dataSync()]);
      release(opt, vars);
      return { values, kernels: kernels.map((k) => k.name) };
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(wasm.kernels.filter((k) => k === 'TesseraAdam')).toHaveLength(fx.params.length);
    expect(cpu.kernels).not.toContain('TesseraAdam');
    expect(wasm.values).toEqual(cpu.values);
  });

  it('skips parameters without a gradient and rejects mismatched shapes', () => {
    const vars = freshParams();
    const opt = makeOptimizer(fx.specs['sgd']!, fx.params);
    const g = gradsAt(0);
    const only = { 'enc/fc.weight': g['enc/fc.weight']! };
    opt.apply(vars, only, 0);
    expect(Array.from(vars['enc/fc.bias']!.dataSync())).toEqual(
      fx.init['enc/fc.bias']!.data.map(Math.fround),
    );
    expect(opt.state()['enc/fc.bias:step']!.dataSync()[0]).toBe(0);
    expect(opt.state()['enc/fc.weight:step']!.dataSync()[0]).toBe(1);
    const bad = tf.zeros([4, 3]);
    expect(() => opt.apply(vars, { 'enc/fc.weight': bad }, 0)).toThrow(
      /expects shape \[3, 4\].*gradient \[4, 3\]/,
    );
    expect(() => opt.apply({}, only, 0)).toThrow(/no such parameter/);
    tf.dispose([bad, ...Object.values(g)]);
    release(opt, vars);
  });

  for (const name of ['adamwExcludes', 'lars', 'sgdNesterov']) {
    it(`${name}: state()/load() after 2 steps resumes the identical trajectory`, () => {
      const vars = freshParams();
      const opt = makeOptimizer(fx.specs[name]!, fx.params);
      stepWith(opt, vars, 0);
      stepWith(opt, vars, 1);
      // "checkpoint": copy parameters and optimizer state, then continue both runs
      const savedParams = Object.fromEntries(
        Object.entries(vars).map(([k, v]) => [k, tf.variable(v.clone(), true)]),
      );
      const savedState = Object.fromEntries(
        Object.entries(opt.state()).map(([k, t]) => [k, t.clone()]),
      );
      const resumed = makeOptimizer(fx.specs[name]!, fx.params);
      resumed.load(savedState);
      for (const s of [2, 3]) {
        stepWith(opt, vars, s);
        stepWith(resumed, savedParams, s);
        for (const p of fx.params)
          expect(Array.from(savedParams[p.path]!.dataSync())).toEqual(
            Array.from(vars[p.path]!.dataSync()),
          );
      }
      expectAt(name, savedParams, 3);
      // a fresh optimizer (zero moments, step 0) does NOT follow the same trajectory
      const cold = makeOptimizer(fx.specs[name]!, fx.params);
      const coldParams = Object.fromEntries(
        Object.entries(vars).map(([k]) => [
          k,
          tf.variable(fromStored(fx.trajectories[name]![1]![k]!), true),
        ]),
      );
      stepWith(cold, coldParams, 2);
      stepWith(cold, coldParams, 3);
      expect(
        absError(coldParams['enc/fc.weight']!.dataSync(), vars['enc/fc.weight']!.dataSync()),
      ).toBeGreaterThan(1e-5);
      tf.dispose(Object.values(savedState));
      release(opt, vars);
      release(resumed, savedParams);
      release(cold, coldParams);
    });
  }

  it('load() rejects state for other parameters', () => {
    const opt = makeOptimizer(fx.specs['adam']!, fx.params);
    const other = makeOptimizer(fx.specs['adam']!, [{ path: 'x', decay: true, shape: [2] }]);
    expect(() => opt.load(other.state())).toThrow(
      /missing \[enc\/fc.weight:m.*unexpected \[x:m, x:v, x:step\]/,
    );
    tf.dispose([...Object.values(opt.state()), ...Object.values(other.state())]);
  });
});
