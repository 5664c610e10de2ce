/**
 * The source of tessera's WebAssembly SIMD exact-GELU kernels (assembled at load time by
 * `wasmAsm.ts`), four floats at a time, one pass over memory each:
 * - `gelu(x, y, bytes)`: `y = x Phi(x)`;
 * - `geluGrad(x, dy, dx, bytes)`: `dx = dy (Phi(x) + x phi(x))`,
 * with `Phi(x) = (1 + erf(x / sqrt 2)) / 2` and `phi(x) = exp(-x^2 / 2) / sqrt(2 pi)`. `bytes` is a
 * multiple of 16; pointers are byte offsets in the TF.js wasm backend's memory.
 *
 * `erf(|z|) = 1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) exp(-z^2)`, `t = 1 / (1 + p |z|)`
 * (Abramowitz & Stegun 7.1.26, absolute error <= 1.5e-7), the sign of `z` copied back. With
 * `z = x / sqrt 2`, `exp(-z^2) = exp(-x^2 / 2)` also gives `phi`, so the gradient needs one `exp`.
 * `exp(w)` for `w` in `[-87, 0]`: `w = n ln 2 + r` (`n` nearest, by the `1.5 * 2^23` rounding trick;
 * Cody-Waite `ln 2` in two parts),
 * `exp(r)` by its Taylor series to `r^7` (relative error < 1e-8 for `|r| <= ln 2 / 2`), times
 * `2^n` built in the exponent bits.
 */
import { I32, module, op, V128, whileLt, addTo, type WasmFunction } from './wasmAsm.js';

const ERF = {
  p: 0.3275911,
  a: [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429],
};
const LOG2E = Math.LOG2E;
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444e-4;
/** `-x^2 / 2` is clamped here: `exp` stays a normal float (`2^-126`), far below float resolution of `1 - ...`. */
const EXP_FLOOR = -87;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SIGN_BIT = -0x80000000;
/** `1.5 * 2^23`: adding it rounds a float of magnitude < 2^22 to an integer; its bits. */
const MAGIC = 12582912;
const MAGIC_BITS = 0x4b400000;

type Code = number[];
const get = op.get;
const c = op.f32x4Const;
const mul = (a: Code, b: Code): Code => [...a, ...b, ...op.f32x4Mul];
const add = (a: Code, b: Code): Code => [...a, ...b, ...op.f32x4Add];
const sub = (a: Code, b: Code): Code => [...a, ...b, ...op.f32x4Sub];
/** Horner: `coefficients[0] + v (coefficients[1] + v (...))`. */
const horner = (v: Code, coefficients: ReadonlyArray<number>): Code =>
  coefficients
    .slice(0, -1)
    .reduceRight<Code>((acc, k) => add(c(k), mul(v, acc)), c(coefficients.at(-1)!));

/** One vector's locals (six v128 from `first`). */
const vectorLocals = (first: number) => ({
  X: first,
  A: first + 1,
  T: first + 2,
  E: first + 3,
  N: first + 4,
  PHI: first + 5,
});
type Locals = ReturnType<typeof vectorLocals>;

/**
 * Leaves nothing on the stack; sets `PHI = Phi(X)` and `E = exp(-X^2 / 2)` from `X`.
 * Uses `A` (|X| / sqrt 2), `T` and `N` as scratch.
 */
const phiAndDensity = (L: Locals): Code => {
  const factorials = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040];
  // N = E log2(e) + MAGIC rounds to the nearest integer n in the low mantissa bits: as a float,
  // N - MAGIC = n; as an int, N - MAGIC_BITS = n (no float-to-int conversion, slow on x86)
  const twoToN: Code = [
    ...get(L.N),
    ...op.i32x4Const(127 - MAGIC_BITS),
    ...op.i32x4Add,
    ...op.i32(23),
    ...op.i32x4Shl,
  ];
  return [
    ...mul([...get(L.X), ...op.f32x4Abs], c(Math.SQRT1_2)),
    ...op.set(L.A),
    ...[...c(1), ...add(c(1), mul(c(ERF.p), get(L.A))), ...op.f32x4Div],
    ...op.set(L.T),
    // E = max(-A^2, floor); n = nearest(E log2 e) (PHI holds it for now); E = E - n ln2 = r
    ...[...mul(get(L.A), get(L.A)), ...op.f32x4Neg, ...c(EXP_FLOOR), ...op.f32x4Max],
    ...op.set(L.E),
    ...add(mul(get(L.E), c(LOG2E)), c(MAGIC)),
    ...op.set(L.N),
    ...sub(get(L.N), c(MAGIC)),
    ...op.set(L.PHI),
    ...sub(sub(get(L.E), mul(get(L.PHI), c(LN2_HI))), mul(get(L.PHI), c(LN2_LO))),
    ...op.set(L.E),
    ...mul(horner(get(L.E), factorials), twoToN),
    ...op.set(L.E),
    // PHI = 1/2 + erf / 2, erf = sign(X) (1 - T poly(T) E)
    ...[
      ...get(L.X),
      ...sub(c(1), mul(mul(get(L.T), horner(get(L.T), ERF.a)), get(L.E))),
      ...op.i32x4Const(SIGN_BIT),
      ...op.v128Bitselect,
    ],
    ...op.set(L.PHI),
    ...add(c(0.5), mul(c(0.5), get(L.PHI))),
    ...op.set(L.PHI),
  ];
};

/** What one vector's result does, given its locals and its byte offset from `base + off`. */
type VectorBody = (L: Locals, offset: number) => Code;

/** `X` of each local set loaded from `x + off + 16 j`, `phi` computed, then `body` for each. */
const vectors = (x: number, off: number, sets: ReadonlyArray<Locals>, body: VectorBody): Code => [
  ...sets.flatMap((L, j) => [
    ...get(x),
    ...get(off),
    ...op.add,
    ...op.v128Load(16 * j),
    ...op.set(L.X),
  ]),
  ...sets.flatMap((L) => phiAndDensity(L)),
  ...sets.flatMap((L, j) => body(L, 16 * j)),
];

/**
 * `body` over every vector of `x`: two independent vectors per iteration (their dependency chains
 * overlap: ~1.7x one at a time), then the last one alone when the count is odd.
 */
const overVectors = (
  x: number,
  bytes: number,
  off: number,
  pairEnd: number,
  sets: readonly [Locals, Locals],
  body: VectorBody,
): Code => [
  ...[...get(bytes), ...op.i32(-32), ...op.and, ...op.set(pairEnd)],
  ...op.i32(0),
  ...op.set(off),
  ...whileLt(off, get(pairEnd), [...vectors(x, off, sets, body), ...addTo(off, 32)]),
  ...whileLt(off, get(bytes), [...vectors(x, off, [sets[0]], body), ...addTo(off, 16)]),
];

/** Pushes the address `base + off`. */
const at = (base: number, off: number): Code => [...get(base), ...get(off), ...op.add];

/** Locals of a function with `params` i32 parameters: the offset, the pair limit, two vector sets. */
const localsAfter = (params: number) => ({
  off: params,
  pairEnd: params + 1,
  sets: [vectorLocals(params + 2), vectorLocals(params + 8)] as const,
  types: [I32, I32, ...new Array<number>(12).fill(V128)],
});

const gelu: WasmFunction = (() => {
  const [X_PTR, Y_PTR, BYTES] = [0, 1, 2];
  const l = localsAfter(3);
  return {
    name: 'gelu',
    params: [I32, I32, I32],
    locals: l.types,
    body: overVectors(X_PTR, BYTES, l.off, l.pairEnd, l.sets, (L, offset) => [
      ...at(Y_PTR, l.off),
      ...mul(get(L.X), get(L.PHI)),
      ...op.v128Store(offset),
    ]),
  };
})();

const geluGrad: WasmFunction = (() => {
  const [X_PTR, DY_PTR, DX_PTR, BYTES] = [0, 1, 2, 3];
  const l = localsAfter(4);
  return {
    name: 'geluGrad',
    params: [I32, I32, I32, I32],
    locals: l.types,
    body: overVectors(X_PTR, BYTES, l.off, l.pairEnd, l.sets, (L, offset) => [
      ...at(DX_PTR, l.off),
      ...mul(
        [...at(DY_PTR, l.off), ...op.v128Load(offset)],
        add(get(L.PHI), mul(get(L.X), mul(get(L.E), c(INV_SQRT_2PI)))),
      ),
      ...op.v128Store(offset),
    ]),
  };
})();

/** The GELU kernel module's bytes. */
export const simdGeluModule = (shared = false): Uint8Array => module([gelu, geluGrad], shared);
