/**
 * The source of tessera's data-movement kernels (assembled at load time by `wasmAsm.ts`). Pointers
 * are byte offsets in the TF.js wasm backend's memory; matrices are float32, row-major.
 * - `transpose4(src, dst, batch, rows, cols)`: `dst[t] = src[t]^T` for `t < batch` slices of
 *   `[rows, cols]`, both multiples of 4: 4 x 4 blocks (four vector loads, eight lane shuffles, four
 *   vector stores), four stacked at a time while 16 rows remain;
 * - `transpose1(src, dst, batch, rows, cols)`: the same, one float at a time (any sizes);
 * - `gather(table, index, dst, count, rowBytes)`: `dst[n] = table[index[n]]` for `n < count`, rows
 *   of `rowBytes` (a multiple of 16), `index` int32 (checked by the caller).
 */
import { addTo, I32, module, op, V128, whileLt, type WasmFunction } from './wasmAsm.js';

type Code = number[];
const get = op.get;

/** `local = a * b` for two locals (or instruction sequences). */
const setProduct = (local: number, a: Code, b: Code): Code => [
  ...a,
  ...b,
  ...op.mul,
  ...op.set(local),
];

const transpose4: WasmFunction = (() => {
  const [SRC, DST, BATCH, ROWS, COLS] = [0, 1, 2, 3, 4];
  const [T, I, J, P, Q, RB, DB, ROWS16] = [5, 6, 7, 8, 9, 10, 11, 12];
  const [R0, R1, R2, R3, T0, T1, T2, T3] = [13, 14, 15, 16, 17, 18, 19, 20];
  /** `local = load(P + row * RB)`. */
  const loadRow = (row: number, local: number): Code => [
    ...get(P),
    ...(row === 0 ? [] : [...get(RB), ...op.i32(row), ...op.mul, ...op.add]),
    ...op.v128Load(),
    ...op.set(local),
  ];
  const shuffle = (a: number, b: number, lanes: readonly [number, number, number, number]) => [
    ...get(a),
    ...get(b),
    ...op.shuffle32(lanes),
  ];
  /** `store(Q + row * DB + bytes, shuffled)`. */
  const storeRow = (row: number, bytes: number, shuffled: Code): Code => [
    ...get(Q),
    ...(row === 0 ? [] : [...get(DB), ...op.i32(row), ...op.mul, ...op.add]),
    ...shuffled,
    ...op.v128Store(bytes),
  ];
  /** The 4 x 4 block of source rows `4k..4k+3` (from P) to output columns `4k..4k+3` (from Q). */
  const block = (k: number): Code => [
    ...[0, 1, 2, 3].flatMap((r) => loadRow(4 * k + r, [R0, R1, R2, R3][r]!)),
    // pairs of rows interleaved: [a0 b0 a1 b1], [a2 b2 a3 b3], [c0 d0 c1 d1], [c2 d2 c3 d3]
    ...[...shuffle(R0, R1, [0, 4, 1, 5]), ...op.set(T0)],
    ...[...shuffle(R0, R1, [2, 6, 3, 7]), ...op.set(T1)],
    ...[...shuffle(R2, R3, [0, 4, 1, 5]), ...op.set(T2)],
    ...[...shuffle(R2, R3, [2, 6, 3, 7]), ...op.set(T3)],
    ...storeRow(0, 16 * k, shuffle(T0, T2, [0, 1, 4, 5])),
    ...storeRow(1, 16 * k, shuffle(T0, T2, [2, 3, 6, 7])),
    ...storeRow(2, 16 * k, shuffle(T1, T3, [0, 1, 4, 5])),
    ...storeRow(3, 16 * k, shuffle(T1, T3, [2, 3, 6, 7])),
  ];
  /**
   * Rows `I..I+4*blocks-1` of the source to the same columns of the output, four columns at a
   * time. Bands of 16 rows write whole 64-byte lines of the output, so a line is written once
   * (output rows a multiple of 4 KiB apart would otherwise evict each other between writes).
   */
  const band = (blocks: number, limit: Code): Code =>
    whileLt(I, limit, [
      // P = SRC + I * RB (the band's first row), Q = DST + 4 I (its first output column)
      ...[...get(SRC), ...get(I), ...get(RB), ...op.mul, ...op.add, ...op.set(P)],
      ...[...get(DST), ...get(I), ...op.i32(4), ...op.mul, ...op.add, ...op.set(Q)],
      ...op.i32(0),
      ...op.set(J),
      ...whileLt(J, get(COLS), [
        ...Array.from({ length: blocks }, (_, k) => block(k)).flat(),
        ...addTo(P, 16),
        ...addTo(Q, [...get(DB), ...op.i32(4), ...op.mul]),
        ...addTo(J, 4),
      ]),
      ...addTo(I, 4 * blocks),
    ]);
  return {
    name: 'transpose4',
    params: new Array<number>(5).fill(I32),
    locals: [...new Array<number>(8).fill(I32), ...new Array<number>(8).fill(V128)],
    body: [
      ...setProduct(RB, get(COLS), op.i32(4)),
      ...setProduct(DB, get(ROWS), op.i32(4)),
      ...[...get(ROWS), ...op.i32(-16), ...op.and, ...op.set(ROWS16)],
      ...op.i32(0),
      ...op.set(T),
      ...whileLt(T, get(BATCH), [
        ...op.i32(0),
        ...op.set(I),
        ...band(4, get(ROWS16)),
        ...band(1, get(ROWS)),
        ...addTo(SRC, [...get(ROWS), ...get(RB), ...op.mul]),
        ...addTo(DST, [...get(ROWS), ...get(RB), ...op.mul]),
        ...addTo(T, 1),
      ]),
    ],
  };
})();

const transpose1: WasmFunction = (() => {
  const [SRC, DST, BATCH, ROWS, COLS] = [0, 1, 2, 3, 4];
  const [T, R, C, SP, DBASE, DP, DSTEP] = [5, 6, 7, 8, 9, 10, 11];
  return {
    name: 'transpose1',
    params: new Array<number>(5).fill(I32),
    locals: new Array<number>(7).fill(I32),
    body: [
      ...[...get(SRC), ...op.set(SP), ...get(DST), ...op.set(DBASE)],
      ...setProduct(DSTEP, get(ROWS), op.i32(4)),
      ...op.i32(0),
      ...op.set(T),
      ...whileLt(T, get(BATCH), [
        ...op.i32(0),
        ...op.set(R),
        ...whileLt(R, get(ROWS), [
          ...[...get(DBASE), ...get(R), ...op.i32(4), ...op.mul, ...op.add, ...op.set(DP)],
          ...op.i32(0),
          ...op.set(C),
          ...whileLt(C, get(COLS), [
            ...[...get(DP), ...get(SP), ...op.f32Load(), ...op.f32Store()],
            ...addTo(SP, 4),
            ...addTo(DP, get(DSTEP)),
            ...addTo(C, 1),
          ]),
          ...addTo(R, 1),
        ]),
        ...addTo(DBASE, [...get(ROWS), ...get(COLS), ...op.mul, ...op.i32(4), ...op.mul]),
        ...addTo(T, 1),
      ]),
    ],
  };
})();

const gather: WasmFunction = (() => {
  const [TABLE, INDEX, DST, COUNT, ROW_BYTES] = [0, 1, 2, 3, 4];
  const [N, SP, O] = [5, 6, 7];
  return {
    name: 'gather',
    params: new Array<number>(5).fill(I32),
    locals: new Array<number>(3).fill(I32),
    body: [
      ...op.i32(0),
      ...op.set(N),
      ...whileLt(N, get(COUNT), [
        // SP = TABLE + index[N] * ROW_BYTES
        ...[...get(TABLE), ...get(INDEX), ...op.i32Load(), ...get(ROW_BYTES), ...op.mul, ...op.add],
        ...op.set(SP),
        ...op.i32(0),
        ...op.set(O),
        ...whileLt(O, get(ROW_BYTES), [
          ...[
            ...get(DST),
            ...get(O),
            ...op.add,
            ...get(SP),
            ...get(O),
            ...op.add,
            ...op.v128Load(),
          ],
          ...op.v128Store(),
          ...addTo(O, 16),
        ]),
        ...addTo(DST, get(ROW_BYTES)),
        ...addTo(INDEX, 4),
        ...addTo(N, 1),
      ]),
    ],
  };
})();

/** The data-movement module's bytes. */
export const simdLayoutModule = (shared = false): Uint8Array =>
  module([transpose4, transpose1, gather], shared);
