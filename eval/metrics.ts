/**
 * Classification metrics with scikit-learn semantics (`accuracy_score`, `f1_score` with
 * `average="weighted"` and `average="macro"`, `confusion_matrix`): per-class F1 is
 * `2 tp / (2 tp + fp + fn)` (0 when undefined, sklearn's `zero_division=0`), averaged over the
 * classes present in the true or the predicted labels; the weighted average weighs each class by
 * its support (count in the true labels).
 */

/** Per-class precision, recall, F1 and support (number of true samples). */
export interface ClassScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** Accuracy, weighted and macro F1, the confusion matrix `[nClasses, nClasses]` (rows true, columns predicted) and per-class scores. */
export interface ClassificationMetrics {
  readonly accuracy: number;
  readonly f1Weighted: number;
  readonly f1Macro: number;
  readonly confusion: ReadonlyArray<ReadonlyArray<number>>;
  readonly perClass: ReadonlyArray<ClassScores>;
}

/**
 * The predicted class of per-class scores `[nClasses]` (probe logits, kNN votes): the first index
 * of the largest score, so ties go to the lower class index.
 */
export const predictedClass = (scores: ArrayLike<number>): number => {
  let best = 0;
  for (let c = 1; c < scores.length; c++) if (scores[c]! > scores[best]!) best = c;
  return best;
};

const checkLabels = (y: ArrayLike<number>, nClasses: number, what: string): void => {
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= nClasses)
      throw new Error(`${what}[${i}] = ${v} is not a class index in [0, ${nClasses})`);
  }
};

/** The confusion matrix `[nClasses, nClasses]`: entry `[t][p]` counts samples of true class `t` predicted as `p`. */
export const confusionMatrix = (
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
): number[][] => {
  if (yTrue.length !== yPred.length)
    throw new Error(`confusionMatrix: ${yTrue.length} true labels but ${yPred.length} predictions`);
  checkLabels(yTrue, nClasses, 'yTrue');
  checkLabels(yPred, nClasses, 'yPred');
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]! += 1;
  return m;
};

const scoresOf = (m: ReadonlyArray<ReadonlyArray<number>>, c: number): ClassScores => {
  const tp = m[c]![c]!;
  const support = m[c]!.reduce((a, b) => a + b, 0);
  const predicted = m.reduce((a, row) => a + row[c]!, 0);
  const denom = support + predicted;
  return {
    precision: predicted > 0 ? tp / predicted : 0,
    recall: support > 0 ? tp / support : 0,
    f1: denom > 0 ? (2 * tp) / denom : 0,
    support,
  };
};

/**
 * Metrics of predictions `yPred` against `yTrue` (class indices in `[0, nClasses)`; `nClasses`
 * defaults to one more than the largest label seen). Classes absent from both arrays are left out
 * of the F1 averages, as in sklearn.
 */
export const classificationMetrics = (
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses?: number,
): ClassificationMetrics => {
  const k = nClasses ?? Math.max(-1, ...Array.from(yTrue), ...Array.from(yPred)) + 1;
  const confusion = confusionMatrix(yTrue, yPred, k);
  const perClass = Array.from({ length: k }, (_, c) => scoresOf(confusion, c));
  const present = perClass.filter((s, c) => s.support > 0 || confusion.some((row) => row[c]! > 0));
  const total = yTrue.length;
  const correct = confusion.reduce((a, row, c) => a + row[c]!, 0);
  return {
    accuracy: total > 0 ? correct / total : 0,
    f1Weighted: total > 0 ? present.reduce((a, s) => a + s.f1 * s.support, 0) / total : 0,
    f1Macro: present.length > 0 ? present.reduce((a, s) => a + s.f1, 0) / present.length : 0,
    confusion,
    perClass,
  };
};
