import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  legalizeFor,
  referenceKernels,
  wasmKernels,
  type Kernels,
} from '../../../../compiler/lower/legalize/index.js';
import { batchMatMulLoop, batchMatMulNative } from '../../../../compiler/lower/legalize/matmul.js';
import { CONV_KERNEL } from '../../../../compiler/lower/legalize/conv.js';
import { upsample2Plain } from '../../../../compiler/lower/legalize/resize.js';
import { onBackend, randn, relErr } from '../compare.js';
import { useBackend } from '../../../../runtime/backend.js';

/** Forward value and gradients w.r.t. every input, of `sum(f(...) * probe)` (probe: fixed random weights). */
const valueAndGrads = (
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: () => tf.Tensor[],
  probeSeed: number,
): tf.Tensor[] => {
  const xs = inputs();
  const y = f(...xs);
  const probe = randn(probeSeed, y.shape);
  const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), probe)))(xs);
  tf.dispose([...xs, probe]);
  return [y, ...grads];
};

/** Runs the reference on cpu and the rule on wasm; returns the worst relative error of each output. */
const compare = async (
  pick: (k: Kernels) => (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: () => tf.Tensor[],
): Promise<number[]> => {
  const ref = await onBackend('cpu', () => valueAndGrads(pick(referenceKernels), inputs, 99));
  const got = await onBackend('wasm', () => valueAndGrads(pick(wasmKernels), inputs, 99));
  expect(got.length).toBe(ref.length);
  return got.map((g, i) => relErr(g, ref[i]!));
};

describe('legalizeFor', () => {
  it('picks the wasm rules on wasm and the plain ops elsewhere', () => {
    expect(legalizeFor('wasm').name).toBe('wasm');
    expect(legalizeFor('cpu').name).toBe('reference');
    expect(legalizeFor('tensorflow').name).toBe('reference');
    expect(legalizeFor('webgl').name).toBe('reference');
  });
});

describe('conv2d rule (wasm, no Conv2DBackpropFilter) vs cpu', () => {
  const cases = [
    {
      name: '3x3 stride 1 same',
      x: [2, 7, 6, 3],
      k: 3,
      out: 4,
      opts: { stride: 1, padding: 'same' as const },
    },
    {
      name: '3x3 stride 2 same',
      x: [2, 8, 7, 3],
      k: 3,
      out: 5,
      opts: { stride: 2, padding: 'same' as const },
    },
    { name: '4x4 stride 2 pad 1', x: [2, 8, 8, 2], k: 4, out: 3, opts: { stride: 2, padding: 1 } },
    {
      name: '3x3 stride 2 valid',
      x: [1, 9, 8, 2],
      k: 3,
      out: 2,
      opts: { stride: 2, padding: 'valid' as const },
    },
    {
      name: '3x3 dilation 2 pad 2',
      x: [2, 7, 7, 2],
      k: 3,
      out: 3,
      opts: { dilation: 2, padding: 2 },
    },
    {
      name: '3x3 dilation 2 same',
      x: [1, 6, 9, 2],
      k: 3,
      out: 2,
      opts: { dilation: 2, padding: 'same' as const },
    },
    {
      name: '1x1 stride 2',
      x: [2, 6, 6, 4],
      k: 1,
      out: 3,
      opts: { stride: 2, padding: 'valid' as const },
    },
    {
      name: '1x1 pad 1 (padding beyond the extent: the input gradient is cropped)',
      x: [2, 5, 4, 3],
      k: 1,
      out: 2,
      opts: { padding: 1 },
    },
    {
      name: '3x3 stride 2 pad 3',
      x: [1, 7, 8, 2],
      k: 3,
      out: 2,
      opts: { stride: 2, padding: 3 },
    },
    {
      name: '7x7 stride 2 pad 3',
      x: [1, 12, 12, 3],
      k: 7,
      out: 4,
      opts: { stride: 2, padding: 3 },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: forward, input and filter gradients within 1e-4`, async () => {
      const errs = await compare(
        (k) => (x, w) => k.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.opts),
        () => [randn(1, c.x), randn(2, [c.k, c.k, c.x[3]!, c.out])],
      );
      expect(errs).toHaveLength(3);
      for (const e of errs) expect(e).toBeLessThanOrEqual(1e-4);
    });
  }

  it('computes no input gradient when only the filter needs one (an image into a stem)', async () => {
    await useBackend('wasm');
    const x = randn(1, [2, 8, 8, 3]);
    const w = randn(2, [3, 3, 3, 4]);
    const info = await tf.profile(() =>
      tf.grad((wi: tf.Tensor) =>
        tf.sum(wasmKernels.conv2d(x as tf.Tensor4D, wi as tf.Tensor4D, { padding: 'same' })),
      )(w),
    );
    tf.dispose([x, w, info.result as tf.Tensor]);
    const convKernels = info.kernels.filter((k) => k.name === CONV_KERNEL).length;
    expect(convKernels).toBe(2); // the forward conv and the filter gradient's
  });

  it('plain conv2d really cannot train on wasm (the rule is needed)', async () => {
    await expect(
      onBackend('wasm', () =>
        valueAndGrads(
          (x, w) =>
            referenceKernels.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, {
              stride: 2,
              padding: 'same',
            }),
          () => [randn(1, [1, 4, 4, 1]), randn(2, [3, 3, 1, 1])],
          3,
        ),
      ),
    ).rejects.toThrow(/Conv2DBackpropFilter/);
  });

  it('second-order gradients (an R1-style penalty) agree with cpu', async () => {
    const penalty = (k: Kernels) => (x: tf.Tensor, w: tf.Tensor) => {
      const g = tf.grad((xi: tf.Tensor) =>
        tf.sum(tf.square(k.conv2d(xi as tf.Tensor4D, w as tf.Tensor4D, { stride: 2, padding: 1 }))),
      )(x);
      return tf.sum(tf.square(g));
    };
    const run = (k: Kernels) => () => {
      const x = randn(5, [1, 6, 6, 2]);
      const w = randn(6, [4, 4, 2, 2]);
      const out = [penalty(k)(x, w), tf.grad((wi: tf.Tensor) => penalty(k)(x, wi))(w)];
      tf.dispose([x, w]);
      return out;
    };
    const ref = await onBackend('cpu', run(referenceKernels));
    const got = await onBackend('wasm', run(wasmKernels));
    expect(relErr(got[0]!, ref[0]!)).toBeLessThanOrEqual(1e-4);
    expect(relErr(got[1]!, ref[1]!)).toBeLessThanOrEqual(1e-4);
  });
});

describe('matMul rules vs cpu', () => {
  for (const [ta, tb] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    it(`2-D transposeA=${ta} transposeB=${tb}: forward and both gradients`, async () => {
      const errs = await compare(
        (k) => (a, b) => k.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb),
        () => [randn(1, ta ? [6, 5] : [5, 6]), randn(2, tb ? [7, 6] : [6, 7])],
      );
      for (const e of errs) expect(e).toBeLessThanOrEqual(1e-4);
    });
  }
  const variants = [
    ['legal (dispatch)', (k: Kernels) => k.batchMatMul],
    ['native', () => batchMatMulNative],
    ['loop of 2-D', () => batchMatMulLoop],
  ] as const;
  for (const [name, pick] of variants) {
    it(`batched 3-D (${name}) with transposeB, as attention scores: forward and gradients`, async () => {
      const errs = await compare(
        (k) => (a, b) => pick(k)(a as tf.Tensor3D, b as tf.Tensor3D, false, true),
        () => [randn(3, [4, 5, 3]), randn(4, [4, 6, 3])],
      );
      for (const e of errs) expect(e).toBeLessThanOrEqual(1e-4);
    });
  }
});

describe('affine rule (wasm: parameter gradients as SIMD column sums) vs cpu', () => {
  const parts = [
    ['gamma and beta', true, true],
    ['beta only (a bias)', false, true],
    ['gamma only', true, false],
  ] as const;
  for (const [name, withGamma, withBeta] of parts) {
    it(`${name} on [2, 5, 3, 6]: forward and every gradient`, async () => {
      const errs = await compare(
        (k) =>
          (x, ...ps) =>
            k.affine(x, withGamma ? ps[0] : undefined, withBeta ? ps.at(-1) : undefined),
        () => [
          randn(1, [2, 5, 3, 6]),
          ...(withGamma ? [randn(2, [6])] : []),
          ...(withBeta ? [randn(3, [6])] : []),
        ],
      );
      expect(errs.length).toBe(1 + Number(withGamma) + Number(withBeta) + 1);
      for (const e of errs) expect(e).toBeLessThanOrEqual(1e-5);
    });
  }

  it('second-order gradients (a penalty on the input gradient) agree with cpu', async () => {
    const run = (k: Kernels) => () => {
      const [x, g, b] = [randn(4, [3, 4, 5]), randn(5, [5]), randn(6, [5])];
      const penalty = (gi: tf.Tensor, bi: tf.Tensor) =>
        tf.sum(tf.square(tf.grad((xi: tf.Tensor) => tf.sum(tf.sin(k.affine(xi, gi, bi))))(x)));
      const out = [penalty(g, b), ...tf.grads(penalty)([g, b])];
      tf.dispose([x, g, b]);
      return out;
    };
    const ref = await onBackend('cpu', run(referenceKernels));
    const got = await onBackend('wasm', run(wasmKernels));
    for (let i = 0; i < 3; i++) expect(relErr(got[i]!, ref[i]!)).toBeLessThanOrEqual(1e-5);
  });
});

describe('attention head layout rules (wasm: copy kernels) vs cpu', () => {
  for (const [parts, heads, dh] of [
    [3, 4, 16],
    [3, 2, 4],
    [1, 3, 8],
    [3, 2, 6], // dh not a multiple of 4: the reference ops on wasm too
  ] as const) {
    it(`split ${parts} parts x ${heads} heads x ${dh}, then merge: forward and gradients`, async () => {
      const errs = await compare(
        (k) => (x, w) => {
          const pieces = k.splitHeads(x as tf.Tensor3D, parts, heads);
          const scaled = pieces.map((p, i) => tf.mul(p, i + 1) as tf.Tensor3D);
          return tf.add(tf.mul(k.mergeHeads(scaled, heads), w!), tf.sum(pieces[0]!.square()));
        },
        () => [randn(7, [2, 5, parts * heads * dh]), randn(8, [parts * heads * dh])],
      );
      expect(errs.length).toBe(3);
      for (const e of errs) expect(e).toBeLessThanOrEqual(1e-5);
    });
  }

  it('splits into head-major order: piece p, head h, sample b, token t = x[b, t, (p*H + h)*dh ...]', async () => {
    const [b, n, parts, heads, dh] = [2, 3, 3, 2, 4];
    const x = Float32Array.from({ length: b * n * parts * heads * dh }, (_, i) => i);
    const got = await onBackend('wasm', () =>
      wasmKernels.splitHeads(tf.tensor3d(x, [b, n, parts * heads * dh]), parts, heads),
    );
    const at = (p: number, h: number, s: number, t: number, d: number) =>
      got[p]![((h * b + s) * n + t) * dh + d];
    expect(at(2, 1, 1, 2, 3)).toBe(x[((1 * n + 2) * parts * heads + 2 * heads + 1) * dh + 3]);
    expect(at(0, 0, 0, 1, 0)).toBe(x[1 * parts * heads * dh]);
  });

  it('second-order gradients through split and merge agree with cpu', async () => {
    const run = (k: Kernels) => () => {
      const [x, w] = [randn(9, [2, 3, 24]), randn(10, [24])];
      const penalty = (wi: tf.Tensor) =>
        tf.sum(
          tf.square(
            tf.grad((xi: tf.Tensor) =>
              tf.sum(tf.sin(tf.mul(k.mergeHeads(k.splitHeads(xi as tf.Tensor3D, 3, 2), 2), wi))),
            )(x),
          ),
        );
      const out = [penalty(w), tf.grad(penalty)(w)];
      tf.dispose([x, w]);
      return out;
    };
    const ref = await onBackend('cpu', run(referenceKernels));
    const got = await onBackend('wasm', run(wasmKernels));
    for (let i = 0; i < 2; i++) expect(relErr(got[i]!, ref[i]!)).toBeLessThanOrEqual(1e-5);
  });
});

describe('gatherTokens rule (wasm, no UnsortedSegmentSum) vs cpu', () => {
  it('index [B, K]: forward and gradient', async () => {
    const errs = await compare(
      (k) => (x) =>
        k.gatherTokens(
          x as tf.Tensor3D,
          tf.tensor2d(
            [
              [0, 2, 5],
              [4, 1, 3],
            ],
            [2, 3],
            'int32',
          ),
        ),
      () => [randn(1, [2, 6, 4])],
    );
    for (const e of errs) expect(e).toBeLessThanOrEqual(1e-4);
  });

  it('index [T, B, K] with repeated patches across targets: gradients accumulate', async () => {
    const idx = [
      [
        [0, 1],
        [2, 3],
      ],
      [
        [0, 1],
        [3, 5],
      ],
      [
        [0, 4],
        [3, 3],
      ],
    ];
    const errs = await compare(
      (k) => (x) => k.gatherTokens(x as tf.Tensor3D, tf.tensor3d(idx, [3, 2, 2], 'int32')),
      () => [randn(7, [2, 6, 3])],
    );
    for (const e of errs) expect(e).toBeLessThanOrEqual(1e-4);
    const shape = await onBackend('wasm', () => [
      wasmKernels.gatherTokens(
        tf.zeros([2, 6, 3]) as tf.Tensor3D,
        tf.tensor3d(idx, [3, 2, 2], 'int32'),
      ),
    ]);
    expect(shape[0]!.length).toBe(3 * 2 * 2 * 3);
  });
});

describe('upsample2 rule (TF.js cpu ResizeNearestNeighborGrad is wrong for some shapes)', () => {
  /** Analytic gradient of sum(up(x) * p): the sum of p over each pixel's 2x2 block. */
  const blockSums = (p: tf.Tensor4D): tf.Tensor => {
    const [b, h2, w2, c] = p.shape;
    return p
      .reshape([b, h2 / 2, 2, w2 / 2, 2 * c])
      .sum(2)
      .reshape([b, h2 / 2, w2 / 2, 2, c])
      .sum(3);
  };
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const shape of [
      [2, 2, 2, 1],
      [2, 3, 2, 4],
      [1, 3, 3, 2],
    ]) {
      it(`${backend} [${shape.join(', ')}]: values repeat 2x2 and the gradient is the 2x2 block sum`, async () => {
        const [y, g, want, x] = await onBackend(backend, () => {
          const xs = randn(8, shape) as tf.Tensor4D;
          const p = randn(9, [shape[0]!, 2 * shape[1]!, 2 * shape[2]!, shape[3]!]) as tf.Tensor4D;
          const k = backend === 'wasm' ? wasmKernels : referenceKernels;
          return [
            k.upsample2(xs),
            tf.grad((v: tf.Tensor) => tf.sum(tf.mul(k.upsample2(v as tf.Tensor4D), p)))(xs),
            blockSums(p),
            xs,
          ];
        });
        expect(relErr(g!, want!)).toBeLessThanOrEqual(1e-5);
        const [b, h, w, c] = shape as [number, number, number, number];
        expect(y![(((1 * 2 * h + 1) * 2 * w + 1) * c) % y!.length]).toBe(
          y![(((1 * 2 * h + 0) * 2 * w + 0) * c) % y!.length],
        );
        expect(y![b * 4 * h * w * c - 1]).toBe(x![b * h * w * c - 1]);
      });
    }
  }
  it('the plain op really is wrong on cpu for [2, 2, 2, 1] (the reference rule is needed)', async () => {
    const [g, want] = await onBackend('cpu', () => {
      const x = randn(8, [2, 2, 2, 1]) as tf.Tensor4D;
      const p = randn(9, [2, 4, 4, 1]) as tf.Tensor4D;
      return [
        tf.grad((v: tf.Tensor) => tf.sum(tf.mul(upsample2Plain(v as tf.Tensor4D), p)))(x),
        blockSums(p),
      ];
    });
    expect(relErr(g!, want!)).toBeGreaterThan(1e-2);
  });
});
