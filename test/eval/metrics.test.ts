import { describe, expect, it } from 'vitest';
import { classificationMetrics, confusionMatrix, predictedClass } from '../../eval/metrics.js';
import { evalReference } from './reference.js';

describe('classificationMetrics', () => {
  it('matches the numpy implementation of sklearn accuracy / F1 (weighted, macro) / confusion matrix', () => {
    const cases = evalReference().metrics;
    expect(cases.length).toBeGreaterThanOrEqual(4);
    for (const c of cases) {
      const m = classificationMetrics(c.y_true, c.y_pred, c.n_classes);
      expect(m.accuracy).toBeCloseTo(c.accuracy, 12);
      expect(m.f1Weighted).toBeCloseTo(c.f1_weighted, 12);
      expect(m.f1Macro).toBeCloseTo(c.f1_macro, 12);
      expect(m.confusion).toEqual(c.confusion);
    }
  });

  it('reports per-class precision, recall and support', () => {
    const m = classificationMetrics([0, 0, 1, 1], [0, 1, 1, 1]);
    expect(m.perClass[0]).toEqual({ precision: 1, recall: 0.5, f1: 2 / 3, support: 2 });
    expect(m.perClass[1]).toEqual({ precision: 2 / 3, recall: 1, f1: 0.8, support: 2 });
  });

  it('refuses labels outside the class range and mismatched lengths', () => {
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(
      'yTrue[1] = 3 is not a class index in [0, 3)',
    );
    expect(() => confusionMatrix([0], [0, 1], 3)).toThrow('1 true labels but 2 predictions');
  });
});

describe('predictedClass', () => {
  it('is the index of the largest score, the lower index on a tie', () => {
    expect(predictedClass([0.1, 2, -1, 0.5])).toBe(1);
    expect(predictedClass(Float64Array.from([-3, -1, -1, -2]))).toBe(1);
    expect(predictedClass([7])).toBe(0);
  });
});
