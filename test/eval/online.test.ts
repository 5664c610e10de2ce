/**
 * The online kNN evaluator: on images whose brightness encodes one label (and not the other), an
 * embedder reading brightness scores 100% on that label and about chance on the other; keys are
 * `knn/<representation>/<label>`; unlabelled data is refused with a hint; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDataset, type Source } from '../../data/dataset.js';
import { knnKey, makeOnlineEval, type Embedder } from '../../eval/online.js';
import { useBackend } from '../../runtime/backend.js';

const N = 120;
const SIZE = 4;
/** Image i: every pixel (shade + 0.5) / 6 with shade = i mod 6; `shuffled` is independent of it. */
const source = (labelled: boolean): Source => ({
  name: 'shades',
  size: N,
  imageSize: SIZE,
  classes: labelled ? { shade: ['0', '1', '2', '3', '4', '5'], shuffled: ['a', 'b', 'c'] } : {},
  labels: labelled
    ? {
        shade: Int32Array.from({ length: N }, (_, i) => i % 6),
        shuffled: Int32Array.from({ length: N }, (_, i) => Math.floor(i / 6) % 3),
      }
    : {},
  load: async (indices) => {
    const rgb = new Uint8Array(indices.length * SIZE * SIZE * 3);
    indices.forEach((i, k) =>
      rgb.fill(
        Math.round((((i % 6) + 0.5) / 6) * 255),
        k * SIZE * SIZE * 3,
        (k + 1) * SIZE * SIZE * 3,
      ),
    );
    return { rgb, count: indices.length };
  },
});

/** `bright`: the mean brightness as an angle on the unit circle (cosine kNN separates the shades); `noise`: random. */
const embedder: Embedder = {
  graph: { representations: [{ name: 'bright' }, { name: 'noise' }] },
  embed: (name, images) =>
    tf.tidy(() => {
      if (name === 'noise')
        return tf.randomNormal([images.shape[0], 8], 0, 1, 'float32', 7) as tf.Tensor2D;
      const angle = images.mean([1, 2, 3]).mul(Math.PI);
      return tf.stack([angle.cos(), angle.sin()], 1) as tf.Tensor2D;
    }),
};

describe('makeOnlineEval', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('scores kNN accuracy per representation and label on the held-out split, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const online = await makeOnlineEval(makeDataset(source(true)), { samples: 96, k: 5 });
    expect(online.samples).toBe(96);
    const r = await online.measure(embedder);
    expect(Object.keys(r).sort()).toEqual(
      [
        knnKey('bright', 'shade'),
        knnKey('bright', 'shuffled'),
        knnKey('noise', 'shade'),
        knnKey('noise', 'shuffled'),
      ].sort(),
    );
    expect(r['knn/bright/shade']).toBe(1);
    expect(r['knn/bright/shuffled']!).toBeLessThan(0.6);
    expect(r['knn/noise/shade']!).toBeLessThan(0.5);
    expect(await online.measure(embedder)).toEqual(r); // same images, same split
    online.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses data without labels, with a hint', async () => {
    await expect(makeOnlineEval(makeDataset(source(false)))).rejects.toThrow(
      /has no labels\nhint: /,
    );
  });
});
