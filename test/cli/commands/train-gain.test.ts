/** The main job's closing line: what training changed in the online kNN, per representation and label. */
import { describe, expect, it } from 'vitest';
import { gainText } from '../../../cli/commands/train.js';
import { onlineText } from '../../../cli/progress.js';

describe('online kNN texts', () => {
  it('prints first -> last accuracy and the gain in points, signed', () => {
    const text = gainText(
      [0, { 'knn/content/content': 0.163, 'knn/style/appearance': 0.5 }],
      [300, { 'knn/content/content': 0.41, 'knn/style/appearance': 0.45 }],
    );
    expect(text).toBe(
      'online kNN, step 0 -> 300: content/content 16.3% -> 41.0% (+24.7 points)  style/appearance 50.0% -> 45.0% (-5.0 points)\n',
    );
    expect(onlineText({ 'knn/backbone/content': 0.2 })).toBe('backbone/content 20.0%');
  });
});
