/**
 * The source of tessera's WebAssembly SIMD LayerNorm kernels (assembled at load time by
 * `wasmAsm.ts`), over rows of `d` floats (`dBytes = 4 d`, a multiple of 16), a row at a time:
 * - `ln(x, y, rstd, rows, dBytes, invD, eps)`: `mean = sum(x) / d`, `var = sum((x - mean)^2) / d`
 *   (two passes, as `tf.moments`), `rstd = 1 / sqrt(var + eps)`, `y = (x - mean) rstd`;
 * - `lnGrad(y, rstd, dy, dx, rows, dBytes, invD)`: `dx = rstd (dy - mean(dy) - y mean(dy y))`.
 * Pointers are byte offsets in the TF.js wasm backend's memory; `rstd` holds one float per row.
 */
import { addTo, F32, I32, module, op, V128, whileLt, type WasmFunction } from './wasmAsm.js';

type Code = number[];
const get = op.get;

/** Pushes the sum of the four lanes of local `v` (an f32). */
const lanesSum = (v: number): Code => [
  ...get(v),
  ...op.f32x4ExtractLane(0),
  ...get(v),
  ...op.f32x4ExtractLane(1),
  ...op.f32Add,
  ...get(v),
  ...op.f32x4ExtractLane(2),
  ...get(v),
  ...op.f32x4ExtractLane(3),
  ...op.f32Add,
  ...op.f32Add,
];

/** `for (o = 0; o < bytes; o += 16) body`. */
const overRow = (o: number, bytes: number, body: Code): Code => [
  ...op.i32(0),
  ...op.set(o),
  ...whileLt(o, get(bytes), [...body, ...addTo(o, 16)]),
];

/** Pushes the vector at `base + o`. */
const load = (base: number, o: number): Code => [
  ...get(base),
  ...get(o),
  ...op.add,
  ...op.v128Load(),
];

const ln: WasmFunction = (() => {
  const [X, Y, RS, ROWS, DB, INVD, EPS] = [0, 1, 2, 3, 4, 5, 6];
  const [R, O, ACC, MEANV, RV, T] = [7, 8, 9, 10, 11, 12];
  return {
    name: 'ln',
    params: [I32, I32, I32, I32, I32, F32, F32],
    locals: [I32, I32, V128, V128, V128, V128],
    body: [
      ...op.i32(0),
      ...op.set(R),
      ...whileLt(R, get(ROWS), [
        ...op.v128Zero,
        ...op.set(ACC),
        ...overRow(O, DB, [...get(ACC), ...load(X, O), ...op.f32x4Add, ...op.set(ACC)]),
        ...[...lanesSum(ACC), ...get(INVD), ...op.f32Mul, ...op.f32x4Splat, ...op.set(MEANV)],
        ...op.v128Zero,
        ...op.set(ACC),
        ...overRow(O, DB, [
          ...[...load(X, O), ...get(MEANV), ...op.f32x4Sub, ...op.set(T)],
          ...[...get(ACC), ...get(T), ...get(T), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(ACC)],
        ]),
        // rstd = 1 / sqrt(sum * invD + eps), stored at RS + 4 R and splatted
        ...[...op.f32(1), ...lanesSum(ACC), ...get(INVD), ...op.f32Mul, ...get(EPS), ...op.f32Add],
        ...[...op.f32Sqrt, ...op.f32Div, ...op.f32x4Splat, ...op.set(RV)],
        ...[...get(RS), ...get(R), ...op.i32(2), ...op.shl, ...op.add],
        ...[...get(RV), ...op.f32x4ExtractLane(0), ...op.f32Store()],
        ...overRow(O, DB, [
          ...[...get(Y), ...get(O), ...op.add],
          ...[...load(X, O), ...get(MEANV), ...op.f32x4Sub, ...get(RV), ...op.f32x4Mul],
          ...op.v128Store(),
        ]),
        ...addTo(X, get(DB)),
        ...addTo(Y, get(DB)),
        ...addTo(R, 1),
      ]),
    ],
  };
})();

const lnGrad: WasmFunction = (() => {
  const [Y, RS, DY, DX, ROWS, DB, INVD] = [0, 1, 2, 3, 4, 5, 6];
  const [R, O, A1, A2, D, RV] = [7, 8, 9, 10, 11, 12];
  return {
    name: 'lnGrad',
    params: [I32, I32, I32, I32, I32, I32, F32],
    locals: [I32, I32, V128, V128, V128, V128],
    body: [
      ...op.i32(0),
      ...op.set(R),
      ...whileLt(R, get(ROWS), [
        ...[...op.v128Zero, ...op.set(A1), ...op.v128Zero, ...op.set(A2)],
        ...overRow(O, DB, [
          ...[...load(DY, O), ...op.set(D)],
          ...[...get(A1), ...get(D), ...op.f32x4Add, ...op.set(A1)],
          ...[...get(A2), ...get(D), ...load(Y, O), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(A2)],
        ]),
        // A1, A2 <- their means, splatted; RV <- rstd of the row, splatted
        ...[...lanesSum(A1), ...get(INVD), ...op.f32Mul, ...op.f32x4Splat, ...op.set(A1)],
        ...[...lanesSum(A2), ...get(INVD), ...op.f32Mul, ...op.f32x4Splat, ...op.set(A2)],
        ...[...get(RS), ...get(R), ...op.i32(2), ...op.shl, ...op.add, ...op.f32Load()],
        ...[...op.f32x4Splat, ...op.set(RV)],
        ...overRow(O, DB, [
          ...[...get(DX), ...get(O), ...op.add],
          ...[...load(DY, O), ...get(A1), ...op.f32x4Sub],
          ...[...load(Y, O), ...get(A2), ...op.f32x4Mul, ...op.f32x4Sub],
          ...[...get(RV), ...op.f32x4Mul, ...op.v128Store()],
        ]),
        ...addTo(Y, get(DB)),
        ...addTo(DY, get(DB)),
        ...addTo(DX, get(DB)),
        ...addTo(R, 1),
      ]),
    ],
  };
})();

/** The LayerNorm kernel module's bytes. */
export const simdLayerNormModule = (shared = false): Uint8Array => module([ln, lnGrad], shared);
