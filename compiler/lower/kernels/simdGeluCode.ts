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
 * `exp(w)` for `w` in `[-87, 0]`: `w = n ln 2 + r` (`n` nearest, Cody-Waite `ln 2` in two parts),
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

/** Locals shared by both functions (after their parameters). */
const vectorLocals = (first: number) => ({
  X: first,
  A: first + 1,
  T: first + 2,
  E: first + 3,
  N: first + 4,
  PHI: first + 5,
});

/**
 * Leaves nothing on the stack; sets `PHI = Phi(X)` and `E = exp(-X^2 / 2)` from `X`.
 * Uses `A` (|X| / sqrt 2), `T` and `N` as scratch.
 */
const phiAndDensity = (L: ReturnType<typeof vectorLocals>): Code => {
  const factorials = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040];
  const twoToN: Code = [
    ...get(L.N),
    ...op.i32x4TruncSatF32x4S,
    ...op.i32x4Const(127),
    ...op.i32x4Add,
    ...op.i32(23),
    ...op.i32x4Shl,
  ];
  return [
    ...mul([...get(L.X), ...op.f32x4Abs], c(Math.SQRT1_2)),
    ...op.set(L.A),
    ...[...c(1), ...add(c(1), mul(c(ERF.p), get(L.A))), ...op.f32x4Div],
    ...op.set(L.T),
    // E = max(-A^2, floor); N = nearest(E log2 e); E = E - N ln2 (two parts) = r
    ...[...mul(get(L.A), get(L.A)), ...op.f32x4Neg, ...c(EXP_FLOOR), ...op.f32x4Max],
    ...op.set(L.E),
    ...[...mul(get(L.E), c(LOG2E)), ...op.f32x4Nearest],
    ...op.set(L.N),
    ...sub(sub(get(L.E), mul(get(L.N), c(LN2_HI))), mul(get(L.N), c(LN2_LO))),
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

/** `for (off = 0; off < bytes; off += 16) body` with `X` loaded from `x + off`. */
const overVectors = (
  x: number,
  bytes: number,
  off: number,
  L: ReturnType<typeof vectorLocals>,
  body: Code,
): Code => [
  ...op.i32(0),
  ...op.set(off),
  ...whileLt(off, get(bytes), [
    ...get(x),
    ...get(off),
    ...op.add,
    ...op.v128Load(),
    ...op.set(L.X),
    ...phiAndDensity(L),
    ...body,
    ...addTo(off, 16),
  ]),
];

/** Pushes the address `base + off`. */
const at = (base: number, off: number): Code => [...get(base), ...get(off), ...op.add];

const gelu: WasmFunction = (() => {
  const [X_PTR, Y_PTR, BYTES, OFF] = [0, 1, 2, 3];
  const L = vectorLocals(4);
  return {
    name: 'gelu',
    params: [I32, I32, I32],
    locals: [I32, ...new Array<number>(6).fill(V128)],
    body: overVectors(X_PTR, BYTES, OFF, L, [
      ...at(Y_PTR, OFF),
      ...mul(get(L.X), get(L.PHI)),
      ...op.v128Store(),
    ]),
  };
})();

const geluGrad: WasmFunction = (() => {
  const [X_PTR, DY_PTR, DX_PTR, BYTES, OFF] = [0, 1, 2, 3, 4];
  const L = vectorLocals(5);
  return {
    name: 'geluGrad',
    params: [I32, I32, I32, I32],
    locals: [I32, ...new Array<number>(6).fill(V128)],
    body: overVectors(X_PTR, BYTES, OFF, L, [
      ...at(DX_PTR, OFF),
      ...mul(
        [...at(DY_PTR, OFF), ...op.v128Load()],
        add(get(L.PHI), mul(get(L.X), mul(get(L.E), c(INV_SQRT_2PI)))),
      ),
      ...op.v128Store(),
    ]),
  };
})();

/** The GELU kernel module's bytes. */
export const simdGeluModule = (shared = false): Uint8Array => module([gelu, geluGrad], shared);
