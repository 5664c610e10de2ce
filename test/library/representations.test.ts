/**
 * Representations read the images as the views present them to the network (the views'
 * `Normalize`, without their random steps): a branch trained on normalised views and embedded on
 * raw `[0, 1]` pixels sees another input distribution (its BatchNorm statistics and first layer
 * were fitted to normalised inputs). The checker accepts a fixed view (only `Resize` /
 * `Normalize`) under a representation and still refuses a random one.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkMethod } from '../../compiler/check.js';
import { rewriteValue, subExpressions } from '../../compiler/ir/children.js';
import type { AugNode } from '../../compiler/ir/augment.js';
import type { Method, ValueExpr } from '../../compiler/ir/node.js';
import { ijepa } from '../../library/ijepa.js';
import { mocoV3 } from '../../library/mocoV3.js';
import { compile } from '../../runtime/compile.js';
import { useBackend } from '../../runtime/backend.js';

type ViewExpr = Extract<ValueExpr, { _tag: 'View' }>;

/** The views an expression reads. */
const views = (value: ValueExpr): ReadonlyArray<ViewExpr> =>
  subExpressions(value).flatMap((e) => (e._tag === 'View' ? [e] : []));

/** `m` with the pipeline of every view under its first representation replaced by `f` of it. */
const withFirstRepViews = (
  m: Method,
  f: (pipeline: ReadonlyArray<AugNode>) => ReadonlyArray<AugNode>,
): Method => ({
  ...m,
  representations: m.representations.map((r, i) =>
    i > 0
      ? r
      : {
          ...r,
          value: rewriteValue(r.value, (e) =>
            e._tag === 'View' ? { ...e, pipeline: f(e.pipeline) } : e,
          ),
        },
  ),
});

describe('representations read normalised images', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each([
    ['moco-v3 tiny', mocoV3({ preset: 'tiny' })],
    ['moco-v3 paper', mocoV3({ preset: 'paper' })],
    ['i-jepa tiny', ijepa({ preset: 'tiny' })],
  ])('%s: every representation goes through one Normalize-only view', (_name, m) => {
    for (const r of m.representations) {
      const vs = views(r.value);
      expect(vs, r.name).toHaveLength(1);
      expect(vs[0]!.pipeline.map((a) => a._tag)).toEqual(['Normalize']);
    }
  });

  it('the checker refuses a representation through a random view, naming it', () => {
    const m = withFirstRepViews(mocoV3({ preset: 'tiny' }), (p) => [
      { _tag: 'HorizontalFlip', p: 0.5 },
      ...p,
    ]);
    const checked = checkMethod(m);
    expect(checked._tag).toBe('Left');
    const issues = (checked as unknown as { left: Array<{ code: string; got?: string }> }).left;
    expect(issues.map((i) => i.code)).toContain('E_REPRESENTATION');
    expect(issues.find((i) => i.code === 'E_REPRESENTATION')?.got).toContain('View "clean"');
  });

  it('embedding is deterministic and differs from embedding raw pixels', async () => {
    const m = mocoV3({ preset: 'tiny', batch: 4 });
    const raw = withFirstRepViews(m, () => []); // an empty view: raw pixels
    const [a, b] = await Promise.all([
      compile(m, { backend: 'cpu' }),
      compile(raw, { backend: 'cpu' }),
    ]);
    a.init(1);
    b.init(1);
    const x = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const first = a.embed('backbone', x).arraySync();
    expect(a.embed('backbone', x).arraySync()).toEqual(first);
    const rawFeatures = b.embed('backbone', x).arraySync();
    const diff = Math.max(...first.flat().map((v, i) => Math.abs(v - rawFeatures.flat()[i]!)));
    expect(diff).toBeGreaterThan(1e-3);
    x.dispose();
    a.dispose();
    b.dispose();
  });
});
