/** Loads the numpy-made reference numbers of test/fixtures/eval/make_eval.py. */
import { readFileSync } from 'node:fs';

export interface EvalReference {
  readonly metrics: ReadonlyArray<{
    y_true: number[];
    y_pred: number[];
    n_classes: number;
    accuracy: number;
    f1_weighted: number;
    f1_macro: number;
    confusion: number[][];
  }>;
  readonly knn: {
    dim: number;
    n_classes: number;
    train: number[];
    labels: number[];
    test: number[];
    cases: Array<{ k: number; temperature: number; predictions: number[] }>;
  };
  readonly pca: ReadonlyArray<{
    n: number;
    dim: number;
    data: number[];
    components: number[];
    coords: number[];
    variance: number[];
    variance_ratio: number[];
  }>;
  readonly linear: {
    dim: number;
    n_classes: number;
    weight_decay: number;
    train: number[];
    labels: number[];
    test: number[];
    mean: number[];
    std: number[];
    optimum_loss: number;
    predictions: number[];
    margins: number[];
  };
}

/** The fixture, parsed. */
export const evalReference = (): EvalReference =>
  JSON.parse(
    readFileSync(new URL('../fixtures/eval/eval_reference.json', import.meta.url), 'utf8'),
  ) as EvalReference;
