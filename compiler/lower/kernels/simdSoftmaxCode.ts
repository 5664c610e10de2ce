/**
 * The source of tessera's WebAssembly SIMD softmax gradient (assembled at load time by
 * `wasmAsm.ts`), over the rows of row-major `[rows, n]` float32 matrices, `n >= 4`:
 * `softmaxGrad(y, dy, dx, rows, rowBytes)`: `dx = y (dy - sum(dy y))` per row (`y` the softmax).
 * A row goes four floats at a time; when `n` is not a multiple of 4, its last vector is the one
 * ending at the row's end, overlapping the one before: its new lanes are masked out of the sum and
 * the overlapped outputs are written twice with the same value. Pointers are byte offsets in the
 * TF.js wasm backend's memory.
 */
import { addTo, I32, ifThen, module, op, V128, whileLt, type WasmFunction } from './wasmAsm.js';

type Code = number[];
const get = op.get;

/** Pushes the address `local[base] + local[off]`. */
const at = (base: number, off: number): Code => [...get(base), ...get(off), ...op.add];
const load = (base: number, off: number): Code => [...at(base, off), ...op.v128Load()];

/** Pushes the horizontal `f32` reduction (`reduce`, e.g. f32.add) of a v128 local's lanes. */
const lanes = (v: number, reduce: readonly number[]): Code => [
  ...[...get(v), ...op.f32x4ExtractLane(0), ...get(v), ...op.f32x4ExtractLane(1), ...reduce],
  ...[...get(v), ...op.f32x4ExtractLane(2), ...get(v), ...op.f32x4ExtractLane(3), ...reduce],
  ...reduce,
];

/**
 * The shared row bookkeeping: `FULL` = the row's bytes in whole vectors, `LAST` = the offset of
 * its last vector, `MASK` = the lanes of that vector past `FULL` (all-ones lanes).
 */
const rowSetup = (rowBytes: number, full: number, last: number, mask: number): Code => [
  ...[...get(rowBytes), ...op.i32(-16), ...op.and, ...op.set(full)],
  ...[...get(rowBytes), ...op.i32(16), ...op.sub, ...op.set(last)],
  // lane l is new when l >= 4 - (rowBytes - full) / 4, i.e. 4 l >= 16 - rowBytes + full
  ...op.i32x4Lanes([0, 4, 8, 12]),
  ...[...op.i32(16), ...get(rowBytes), ...op.sub, ...get(full), ...op.add, ...op.i32x4Splat],
  ...[...op.i32x4GeS, ...op.set(mask)],
];

const softmaxGrad: WasmFunction = (() => {
  const [Y, DY, DX, ROWS, RB] = [0, 1, 2, 3, 4];
  const [R, I, FULL, LAST] = [5, 6, 7, 8];
  const [MASK, ACC, S] = [9, 10, 11];
  const product = (off: number): Code => [...load(Y, off), ...load(DY, off), ...op.f32x4Mul];
  /** `dx = y (dy - S)` for the vector at offset `off`. */
  const store = (off: number): Code => [
    ...at(DX, off),
    ...[...load(Y, off), ...load(DY, off), ...get(S), ...op.f32x4Sub, ...op.f32x4Mul],
    ...op.v128Store(),
  ];
  const row: Code = [
    ...[...op.v128Zero, ...op.set(ACC), ...op.i32(0), ...op.set(I)],
    ...whileLt(I, get(FULL), [
      ...get(ACC),
      ...product(I),
      ...op.f32x4Add,
      ...op.set(ACC),
      ...addTo(I, 16),
    ]),
    ...ifThen(
      [...get(FULL), ...get(RB), ...op.ltU],
      [
        ...[
          ...get(ACC),
          ...product(LAST),
          ...get(MASK),
          ...op.v128And,
          ...op.f32x4Add,
          ...op.set(ACC),
        ],
      ],
    ),
    ...[...lanes(ACC, op.f32Add), ...op.f32x4Splat, ...op.set(S), ...op.i32(0), ...op.set(I)],
    ...whileLt(I, get(FULL), [...store(I), ...addTo(I, 16)]),
    ...ifThen([...get(FULL), ...get(RB), ...op.ltU], store(LAST)),
  ];
  return {
    name: 'softmaxGrad',
    params: [I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, V128, V128, V128],
    body: [
      ...rowSetup(RB, FULL, LAST, MASK),
      ...[...op.i32(0), ...op.set(R)],
      ...whileLt(R, get(ROWS), [
        ...row,
        ...addTo(Y, get(RB)),
        ...addTo(DY, get(RB)),
        ...addTo(DX, get(RB)),
        ...addTo(R, 1),
      ]),
    ],
  };
})();

/** The softmax-gradient module's bytes. */
export const simdSoftmaxModule = (shared = false): Uint8Array => module([softmaxGrad], shared);
