/**
 * Adaptive term weights (ST-STORM's lambda_styB, RT-STORM `helpers.py` `train_step_phase_B`):
 * the update rule against hand computations, its cadence and clipping, and loading.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import type { AdaptiveWeight } from '../../compiler/ir/node.js';
import type { ObjectivePlan } from '../../compiler/passes/plan.js';
import { createAdaptiveWeights, nextAdaptiveWeight } from '../../runtime/adaptiveWeights.js';
import { useBackend } from '../../runtime/backend.js';

const rule: AdaptiveWeight = { target: 0.06, rate: 0.1, min: 1e-4, max: 2, every: 3 };
const plan = (start: number): ObjectivePlan =>
  ({
    objective: { name: 'generatorB' },
    terms: [
      { name: 'tok', node: 'n1', weight: { _tag: 'Constant', value: start }, adaptive: rule },
      { name: 'idt', node: 'n2', weight: { _tag: 'Constant', value: 1 } },
    ],
  }) as unknown as ObjectivePlan;

describe('adaptive term weights', () => {
  beforeAll(async () => useBackend('cpu'));

  test('the rule by hand: 0.005 (1 + 0.1 (0.5 - 0.06) / 0.06) = 0.0086667; d below target shrinks it; clipped to [1e-4, 2]', () => {
    expect(nextAdaptiveWeight(rule, 0.005, 0.5)).toBeCloseTo(0.0086666667, 9);
    expect(nextAdaptiveWeight(rule, 0.005, 0.03)).toBeCloseTo(0.00475, 9);
    expect(nextAdaptiveWeight(rule, 1.9, 10)).toBe(2);
    expect(nextAdaptiveWeight(rule, 2e-4, 0)).toBeCloseTo(1.8e-4, 12);
    expect(nextAdaptiveWeight(rule, 1e-4, 0)).toBe(1e-4);
  });

  test('the compiled state follows the rule on steps that are multiples of every, only for adaptive terms', () => {
    const p = plan(0.005);
    const w = createAdaptiveWeights([p]);
    expect([...w.of(p).keys()]).toEqual(['tok']);
    const value = (x: number) =>
      new Map([
        ['tok', tf.scalar(x)],
        ['idt', tf.scalar(1)],
      ]);
    const read = () => w.variables.get('generatorB.tok')!.dataSync()[0]!;
    w.update(p, 1, value(0.5)); // 1 % 3 != 0: unchanged
    expect(read()).toBeCloseTo(0.005, 9);
    w.update(p, 3, value(0.5));
    expect(read()).toBeCloseTo(0.0086666667, 8);
    w.update(p, 6, value(0.03));
    expect(read()).toBeCloseTo(0.0086666667 * 0.95, 8);
    w.load({ 'generatorB.tok': tf.scalar(0.25) });
    expect(read()).toBe(0.25);
    w.dispose();
  });

  test('a schedule start is refused, naming the term', () => {
    const p = plan(0.005);
    const bad = {
      ...p,
      terms: [{ ...p.terms[0]!, weight: { _tag: 'Linear', from: 0, to: 1, start: 0, end: 1 } }],
    } as unknown as ObjectivePlan;
    expect(() => createAdaptiveWeights([bad])).toThrow(/generatorB\.tok.*Constant/);
  });
});
