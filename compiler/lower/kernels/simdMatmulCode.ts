/**
 * The source of tessera's WebAssembly SIMD batched matmul (assembled at load time by `wasmAsm.ts`).
 *
 * `mm(a, b, c, batch, m, k, n, sam, sak, aBatch, bBatch)`: for each slice `t`,
 * `C[t] (m x n, row-major, contiguous) = A[t] . B[t]`, `B[t]` row-major `k x n`, `A[t][i][p]` at
 * byte `a + t*aBatch + i*sam + p*sak` (so a transposed A is read in place). Rows of C go in pairs
 * (each B vector loaded once for both), the last alone when `m` is odd; columns 16 at a time (4
 * f32x4 accumulators per row over `p`), then 4 at a time, then one by one: any `m`, `n`.
 * (A transposed B is made contiguous first by `simdLayoutCode.ts`'s transpose.)
 * Pointers and strides are bytes; the memory is the TF.js wasm backend's own.
 */
import { addTo, F32, I32, module, op, V128, whileLt, type WasmFunction } from './wasmAsm.js';

// mm: parameters 0-10, then locals
const [A, B, C, BATCH, M, K, N, SAM, SAK, ABATCH, BBATCH] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const [T, I, J, P, AP, BP, AROW, ABAT, BBASE, CROW, N16, N4, ROWB] = [
  11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
];
const [ACC0, ACC1, ACC2, ACC3, AV] = [24, 25, 26, 27, 28];
const X = 29;
// the second row of a pair: its accumulators and A value, the shared B vector, its A pointer
const [ACC4, ACC5, ACC6, ACC7, AV2, BV] = [30, 31, 32, 33, 34, 35];
const [AP2, M2] = [36, 37];

/** `acc += av * B[bP + offset]` (f32x4). */
const fma = (acc: number, offset: number): number[] => [
  ...op.get(acc),
  ...op.get(AV),
  ...op.get(BP),
  ...op.v128Load(offset),
  ...op.f32x4Mul,
  ...op.f32x4Add,
  ...op.set(acc),
];

/** The reduction over `p` for columns `j..j+4*accs` of row `i`, then the stores. */
const vectorColumns = (accs: number, limit: number): number[] => {
  const acc = [ACC0, ACC1, ACC2, ACC3].slice(0, accs);
  return whileLt(J, op.get(limit), [
    ...acc.flatMap((a) => [...op.v128Zero, ...op.set(a)]),
    ...op.i32(0),
    ...op.set(P),
    ...op.get(AROW),
    ...op.set(AP),
    ...op.get(BBASE),
    ...op.get(J),
    ...op.i32(2),
    ...op.shl,
    ...op.add,
    ...op.set(BP),
    ...whileLt(P, op.get(K), [
      ...op.get(AP),
      ...op.f32Load(),
      ...op.f32x4Splat,
      ...op.set(AV),
      ...acc.flatMap((a, q) => fma(a, 16 * q)),
      ...addTo(AP, op.get(SAK)),
      ...addTo(BP, op.get(ROWB)),
      ...addTo(P, 1),
    ]),
    ...acc.flatMap((a, q) => [
      ...op.get(CROW),
      ...op.get(J),
      ...op.i32(2),
      ...op.shl,
      ...op.add,
      ...op.get(a),
      ...op.v128Store(16 * q),
    ]),
    ...addTo(J, 4 * accs),
  ]);
};

/**
 * Rows `i` and `i + 1` together: the reduction over `p` for columns `j..j+4*accs`, each B vector
 * loaded once for both rows (twice the multiply-adds per load of the one-row loop), then the stores.
 */
const vectorColumnsPair = (accs: number, limit: number): number[] => {
  const acc = [ACC0, ACC1, ACC2, ACC3].slice(0, accs);
  const acc2 = [ACC4, ACC5, ACC6, ACC7].slice(0, accs);
  const update = (a: number, av: number): number[] => [
    ...[...op.get(a), ...op.get(av), ...op.get(BV), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(a)],
  ];
  const store = (row: number[], a: number, q: number): number[] => [
    ...row,
    ...[...op.get(J), ...op.i32(2), ...op.shl, ...op.add, ...op.get(a), ...op.v128Store(16 * q)],
  ];
  return whileLt(J, op.get(limit), [
    ...[...acc, ...acc2].flatMap((a) => [...op.v128Zero, ...op.set(a)]),
    ...[...op.i32(0), ...op.set(P), ...op.get(AROW), ...op.set(AP)],
    ...[...op.get(AROW), ...op.get(SAM), ...op.add, ...op.set(AP2)],
    ...[...op.get(BBASE), ...op.get(J), ...op.i32(2), ...op.shl, ...op.add, ...op.set(BP)],
    ...whileLt(P, op.get(K), [
      ...[...op.get(AP), ...op.f32Load(), ...op.f32x4Splat, ...op.set(AV)],
      ...[...op.get(AP2), ...op.f32Load(), ...op.f32x4Splat, ...op.set(AV2)],
      ...acc.flatMap((a, q) => [
        ...[...op.get(BP), ...op.v128Load(16 * q), ...op.set(BV)],
        ...update(a, AV),
        ...update(acc2[q]!, AV2),
      ]),
      ...addTo(AP, op.get(SAK)),
      ...addTo(AP2, op.get(SAK)),
      ...addTo(BP, op.get(ROWB)),
      ...addTo(P, 1),
    ]),
    ...acc.flatMap((a, q) => store(op.get(CROW), a, q)),
    ...acc2.flatMap((a, q) => store([...op.get(CROW), ...op.get(ROWB), ...op.add], a, q)),
    ...addTo(J, 4 * accs),
  ]);
};

/** The last `n mod 4` columns, one dot product each. */
const scalarColumns: number[] = whileLt(J, op.get(N), [
  ...op.f32(0),
  ...op.set(X),
  ...op.i32(0),
  ...op.set(P),
  ...op.get(AROW),
  ...op.set(AP),
  ...op.get(BBASE),
  ...op.get(J),
  ...op.i32(2),
  ...op.shl,
  ...op.add,
  ...op.set(BP),
  ...whileLt(P, op.get(K), [
    ...op.get(X),
    ...op.get(AP),
    ...op.f32Load(),
    ...op.get(BP),
    ...op.f32Load(),
    ...op.f32Mul,
    ...op.f32Add,
    ...op.set(X),
    ...addTo(AP, op.get(SAK)),
    ...addTo(BP, op.get(ROWB)),
    ...addTo(P, 1),
  ]),
  ...op.get(CROW),
  ...op.get(J),
  ...op.i32(2),
  ...op.shl,
  ...op.add,
  ...op.get(X),
  ...op.f32Store(),
  ...addTo(J, 1),
]);

const mm: WasmFunction = {
  name: 'mm',
  params: new Array<number>(11).fill(I32),
  locals: [
    ...new Array<number>(13).fill(I32),
    ...new Array<number>(5).fill(V128),
    F32,
    ...new Array<number>(6).fill(V128),
    I32,
    I32,
  ],
  body: [
    ...op.get(N),
    ...op.i32(-16),
    ...op.and,
    ...op.set(N16),
    ...op.get(N),
    ...op.i32(-4),
    ...op.and,
    ...op.set(N4),
    ...op.get(N),
    ...op.i32(2),
    ...op.shl,
    ...op.set(ROWB),
    ...[...op.get(M), ...op.i32(-2), ...op.and, ...op.set(M2)],
    ...op.get(A),
    ...op.set(ABAT),
    ...op.get(B),
    ...op.set(BBASE),
    ...op.get(C),
    ...op.set(CROW),
    ...op.i32(0),
    ...op.set(T),
    ...whileLt(T, op.get(BATCH), [
      ...op.get(ABAT),
      ...op.set(AROW),
      ...op.i32(0),
      ...op.set(I),
      // rows in pairs, then the last one alone when m is odd
      ...whileLt(I, op.get(M2), [
        ...op.i32(0),
        ...op.set(J),
        ...vectorColumnsPair(4, N16),
        ...vectorColumnsPair(1, N4),
        ...[...op.get(N4), ...op.set(J)],
        ...scalarColumns,
        ...addTo(AROW, op.get(SAM)),
        ...addTo(CROW, op.get(ROWB)),
        ...[...op.get(N4), ...op.set(J)],
        ...scalarColumns,
        ...addTo(AROW, op.get(SAM)),
        ...addTo(CROW, op.get(ROWB)),
        ...addTo(I, 2),
      ]),
      ...whileLt(I, op.get(M), [
        ...op.i32(0),
        ...op.set(J),
        ...vectorColumns(4, N16),
        ...vectorColumns(1, N4),
        ...scalarColumns,
        ...addTo(AROW, op.get(SAM)),
        ...addTo(CROW, op.get(ROWB)),
        ...addTo(I, 1),
      ]),
      ...addTo(ABAT, op.get(ABATCH)),
      ...addTo(BBASE, op.get(BBATCH)),
      ...addTo(T, 1),
    ]),
  ],
};

/** The kernel module's bytes. */
export const simdMatmulModule = (shared = false): Uint8Array => module([mm], shared);
