/**
 * Micro-benchmark of the wasm legalization rules (compiler/lower/legalize): for each rule, the
 * naive TF.js op against the legal one, on the wasm backend, as medians of alternating A/B runs.
 * Prints GFLOP/s (multiply-add = 2 FLOPs) and the ratio. Not a test: numbers are noisy; ratios matter.
 *
 *   npx tsx bench/kernels.ts [--reps 7] [--no-steps]
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { conv2dLegal, filterGrad, inputGrad, padAmounts } from '../compiler/lower/legalize/conv.js';
import { gatherTokensLegal } from '../compiler/lower/legalize/gather.js';
import {
  batchMatMulLegal,
  batchMatMulLoop,
  batchMatMulNative,
  LOOP_THRESHOLD,
  matMulLegal,
} from '../compiler/lower/legalize/matmul.js';
import { batchMatMulSimd, simdMatmulAvailable } from '../compiler/lower/kernels/simdMatmul.js';
import { geluSimd, geluSimdApplies } from '../compiler/lower/kernels/simdGelu.js';
import { geluOps } from '../compiler/lower/nets/dense.js';
import {
  gatherRowsFast,
  layoutSimdRuns,
  transposeFast,
} from '../compiler/lower/kernels/simdLayout.js';
import { upsample2Legal, upsample2Plain } from '../compiler/lower/legalize/resize.js';
import { useBackend } from '../runtime/backend.js';
import { Rng } from '../compiler/ir/rng.js';
import { abRuns, randn, report } from './kernelTiming.js';
import { stepCases } from './kernelSteps.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '7' },
    'no-steps': { type: 'boolean', default: false },
  },
});
const REPS = Number(values.reps);

const ab = abRuns(REPS);

const convCase = (x: number[], k: number, out: number, stride: number): void => {
  const xs = randn(x) as tf.Tensor4D;
  const w = randn([k, k, x[3]!, out], 2) as tf.Tensor4D;
  const pad = Math.floor(k / 2);
  const ho = Math.floor((x[1]! + 2 * pad - k) / stride) + 1;
  const dy = randn([x[0]!, ho, ho, out], 3) as tf.Tensor4D;
  const flops = 2 * x[0]! * ho * ho * k * k * x[3]! * out;
  const pads = [
    padAmounts(x[1]!, k, stride, 1, pad),
    padAmounts(x[2]!, k, stride, 1, pad),
  ] as const;
  const tag = `[${x.join(',')}] k${k} s${stride} -> ${out}`;
  report(
    `conv2d input gradient ${tag}`,
    'conv2dTranspose (BackpropInput)',
    'conv of dilated dy, flipped w',
    flops,
    ab(
      () => tf.conv2dTranspose(dy, w, xs.shape, stride, pad),
      () => inputGrad(dy, w, xs.shape, pads, stride, 1),
    ),
  );
  // the filter gradient has no wasm kernel; the nearest native alternative is conv3d's (depth 1)
  report(
    `conv2d filter gradient ${tag}`,
    'tf.grad of conv2d (BackpropFilter)',
    'conv with batch<->channel swap',
    flops,
    ab(
      () =>
        tf.grad((wi: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(xs, wi as tf.Tensor4D, stride, pad), dy)),
        )(w),
      () => filterGrad(xs, dy, [k, k], pads, stride, 1),
    ),
  );
  const x5 = xs.reshape([x[0]!, 1, x[1]!, x[2]!, x[3]!]) as tf.Tensor5D;
  const dy5 = dy.reshape([x[0]!, 1, ho, ho, out]) as tf.Tensor5D;
  const p3 =
    pad === 0
      ? x5
      : tf.pad(x5, [
          [0, 0],
          [0, 0],
          [pad, pad],
          [pad, pad],
          [0, 0],
        ]);
  report(
    `conv2d filter gradient ${tag} (alternative)`,
    'conv3DBackpropFilterV2, depth 1',
    'conv with batch<->channel swap',
    flops,
    ab(
      () =>
        tf.engine().runKernel(
          'Conv3DBackpropFilterV2',
          { x: p3, dy: dy5 },
          {
            strides: [1, stride, stride],
            pad: 'valid',
            filterShape: [1, k, k, x[3]!, out],
            dilations: [1, 1, 1],
          },
        ) as tf.Tensor,
      () => filterGrad(xs, dy, [k, k], pads, stride, 1),
    ),
  );
  report(
    `conv2d forward+both gradients ${tag}`,
    'tf.conv2d + tf.grads',
    'conv2dLegal + tf.grads',
    3 * flops,
    ab(
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), dy)),
        )([xs, w]),
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(
            tf.mul(conv2dLegal(a as tf.Tensor4D, b as tf.Tensor4D, { stride, padding: pad }), dy),
          ),
        )([xs, w]),
    ),
  );
};

const matmulCases = (): void => {
  const a = randn([256, 384]) as tf.Tensor2D;
  const bT = randn([1536, 384], 2) as tf.Tensor2D;
  const f = 2 * 256 * 384 * 1536;
  report(
    'matMul transposeB [256,384] x [1536,384]^T',
    'tf.matMul(a, b, false, true)',
    'explicit transpose + plain',
    f,
    ab(
      () => tf.matMul(a, bT, false, true),
      () => matMulLegal(a, bT, false, true),
    ),
  );
  const b = randn([384, 1536], 3) as tf.Tensor2D;
  const dy = randn([256, 1536], 4) as tf.Tensor2D;
  report(
    'matMul forward+both gradients [256,384] x [384,1536]',
    'tf.matMul + tf.grads',
    'matMulLegal + tf.grads',
    3 * f,
    ab(
      () =>
        tf.grads((x: tf.Tensor, y: tf.Tensor) =>
          tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D), dy)),
        )([a, b]),
      () =>
        tf.grads((x: tf.Tensor, y: tf.Tensor) =>
          tf.sum(tf.mul(matMulLegal(x as tf.Tensor2D, y as tf.Tensor2D), dy)),
        )([a, b]),
    ),
  );
  for (const [g, n, d] of [
    [256, 65, 16],
    [24, 65, 64],
    [48, 197, 32],
    [6, 257, 64],
  ] as const) {
    const q = randn([g, n, d]) as tf.Tensor3D;
    const k = randn([g, n, d], 2) as tf.Tensor3D;
    const fl = 2 * g * n * n * d;
    report(
      `attention scores QK^T [${g},${n},${d}]`,
      'native batched matMul (transposeB)',
      'loop of 2-D products',
      fl,
      ab(
        () => tf.matMul(q, k, false, true),
        () => batchMatMulLoop(q, k, false, true),
      ),
    );
    report(
      `attention scores QK^T [${g},${n},${d}] (dispatch)`,
      'native batched matMul (transposeB)',
      `batchMatMulLegal (${n * n * d >= LOOP_THRESHOLD ? 'loop' : simdMatmulAvailable() ? 'simd' : 'native'})`,
      fl,
      ab(
        () => tf.matMul(q, k, false, true),
        () => batchMatMulLegal(q, k, false, true),
      ),
    );
    report(
      `attention scores QK^T [${g},${n},${d}] fwd+grads`,
      'native batched + TF.js grads',
      'native batched, explicit-T grads',
      3 * fl,
      ab(
        () =>
          tf.grads((x: tf.Tensor, y: tf.Tensor) =>
            tf.sum(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, false, true)),
          )([q, k]),
        () =>
          tf.grads((x: tf.Tensor, y: tf.Tensor) =>
            tf.sum(batchMatMulNative(x as tf.Tensor3D, y as tf.Tensor3D, false, true)),
          )([q, k]),
      ),
    );
    report(
      `attention scores QK^T [${g},${n},${d}] fwd+grads`,
      'native batched + TF.js grads',
      'tessera SIMD kernel + its grads',
      3 * fl,
      ab(
        () =>
          tf.grads((x: tf.Tensor, y: tf.Tensor) =>
            tf.sum(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, false, true)),
          )([q, k]),
        () =>
          tf.grads((x: tf.Tensor, y: tf.Tensor) =>
            tf.sum(batchMatMulSimd(x as tf.Tensor3D, y as tf.Tensor3D, false, true)),
          )([q, k]),
      ),
    );
  }
};

/** Exact GELU on a ViT MLP hidden tensor: element-wise ops vs tessera's SIMD kernel. */
const geluCase = (): void => {
  const x = randn([64, 65, 256]);
  const dy = randn([64, 65, 256], 2);
  const fwdBwd = (gelu: (t: tf.Tensor) => tf.Tensor) => () =>
    tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), dy)))(x);
  report(
    'exact GELU [64,65,256] forward',
    'element-wise ops',
    'tessera SIMD kernel',
    0,
    ab(
      () => geluOps(x),
      () => geluSimd(x),
    ),
  );
  report(
    'exact GELU [64,65,256] fwd+grad',
    'element-wise ops',
    'tessera SIMD kernel',
    0,
    ab(fwdBwd(geluOps), fwdBwd(geluSimd)),
  );
};

/** Transposes and row gathers of the I-JEPA `tiny` step: TF.js's kernels vs tessera's copy kernels. */
const layoutCases = (): void => {
  for (const shape of [
    [3072, 128],
    [512, 256],
  ]) {
    const x = randn(shape) as tf.Tensor2D;
    report(
      `transpose [${shape}] (FLOPs: elements)`,
      'TF.js Transpose',
      'tessera 4x4 SIMD blocks',
      x.size,
      ab(
        () => tf.transpose(x),
        () => transposeFast(x),
      ),
    );
  }
  const table = randn([2048, 64]) as tf.Tensor2D;
  const index = tf.tensor1d(
    Array.from({ length: 1152 }, (_, i) => (i * 7) % 2048),
    'int32',
  );
  report(
    'gather 1152 rows of [2048,64] (FLOPs: elements)',
    'TF.js GatherV2',
    'tessera row copies',
    1152 * 64,
    ab(
      () => tf.gather(table, index),
      () => gatherRowsFast(table, index),
    ),
  );
};

const otherCases = (): void => {
  const [b, n, d, kk] = [32, 196, 384, 49];
  const x = randn([b, n, d]) as tf.Tensor3D;
  const r = Rng.seeded(5);
  const idx = tf.tensor2d(
    Array.from({ length: b }, () => r.permutation(n).slice(0, kk)),
    [b, kk],
    'int32',
  );
  const onehot = (v: tf.Tensor3D) =>
    tf
      .matMul(
        tf
          .oneHot(tf.add(idx, tf.range(0, b * n, n, 'int32').reshape([b, 1])).reshape([-1]), b * n)
          .asType('float32'),
        v.reshape([b * n, d]),
      )
      .reshape([b, kk, d]);
  report(
    `gather [${b},${n},${d}] keep ${kk}, fwd+grad`,
    'one-hot matMul (differentiable)',
    'gather + scatterND gradient',
    2 * 2 * b * kk * b * n * d,
    ab(
      () => tf.grad((v: tf.Tensor) => tf.sum(onehot(v as tf.Tensor3D)))(x),
      () => tf.grad((v: tf.Tensor) => tf.sum(gatherTokensLegal(v as tf.Tensor3D, idx)))(x),
    ),
  );
  report(
    `gather [${b},${n},${d}] keep ${kk}, fwd+grad (plain)`,
    'tf.gather + TF.js gradient',
    'gather + scatterND gradient',
    2 * 2 * b * kk * b * n * d,
    ab(
      () =>
        tf.grad((v: tf.Tensor) => tf.sum(tf.gather(v.reshape([b * n, d]), idx.reshape([-1]))))(x),
      () => tf.grad((v: tf.Tensor) => tf.sum(gatherTokensLegal(v as tf.Tensor3D, idx)))(x),
    ),
  );
  const im = randn([8, 32, 32, 64]) as tf.Tensor4D;
  // wasm keeps resizeNearestNeighbor (correct there); reshape+concat replaces it on cpu, whose gradient is wrong
  report(
    'upsample x2 [8,32,32,64] fwd+grad (FLOPs: elements)',
    'reshape + concat (the cpu rule)',
    'resizeNearestNeighbor (wasm rule)',
    8 * 64 * 64 * 64,
    ab(
      () => tf.grad((v: tf.Tensor) => tf.sum(upsample2Legal(v as tf.Tensor4D)))(im),
      () => tf.grad((v: tf.Tensor) => tf.sum(upsample2Plain(v as tf.Tensor4D)))(im),
    ),
  );
  const [bb, nn, h, dh] = [32, 197, 6, 64];
  const qkv = randn([bb, nn, 3 * h * dh]);
  report(
    `qkv split [${bb},${nn},3x${h}x${dh}] (FLOPs: elements)`,
    'rank-5 transpose [2,0,3,1,4]',
    'rank-4 transpose + slices',
    bb * nn * 3 * h * dh,
    ab(
      () => qkv.reshape([bb, nn, 3, h, dh]).transpose([2, 0, 3, 1, 4]),
      () => {
        const t = qkv.reshape([bb, nn, 3 * h, dh]).transpose([0, 2, 1, 3]);
        return [0, 1, 2].map((i) =>
          t.slice([0, i * h, 0, 0], [bb, h, nn, dh]).reshape([bb * h, nn, dh]),
        );
      },
    ),
  );
};

const main = async (): Promise<void> => {
  await useBackend('wasm');
  console.log(
    `tessera kernel benchmark: backend ${tf.getBackend()}, TF.js ${tf.version.tfjs}, medians of ${REPS} alternating A/B runs\n`,
  );
  convCase([8, 32, 32, 32], 3, 64, 1);
  convCase([8, 32, 32, 32], 3, 64, 2);
  convCase([8, 64, 64, 16], 4, 32, 2);
  matmulCases();
  if (geluSimdApplies(tf.zeros([4]))) geluCase();
  if (layoutSimdRuns()) layoutCases();
  otherCases();
  if (!process.argv.includes('--no-steps')) await stepCases(REPS);
};

await main();
