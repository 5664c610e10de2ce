/**
 * The source of tessera's WebAssembly SIMD parameter updates (assembled at load time by
 * `wasmAsm.ts`), one pass over a parameter, four floats at a time, in the order and precision of
 * the element-wise TF.js ops they replace, so the results are the same floats.
 *
 * Adam (`runtime/optim/adam.ts`):
 * `adam(p, g, m, v, pOut, mOut, vOut, bytes, decay, b1, oneMinusB1, b2, oneMinusB2, c1, c2, lr, eps)`:
 * `m' = b1 m + (1 - b1) g`, `v' = b2 v + (1 - b2) g g`,
 * `p' = p decay - lr ((m' / c1) / (sqrt(v' / c2) + eps))` (`c1 = 1 - b1^t`, `c2 = 1 - b2^t`, `decay`
 * = `1 - lr wd` for AdamW, 1 otherwise). `bytes` is a multiple of 16; pointers are byte offsets
 * in the TF.js wasm backend's memory.
 *
 * EMA (`runtime/compiled.ts`): `ema(t, s, out, bytes, m, oneMinusM)`: `out = t m + s (1 - m)`.
 */
import { addTo, F32, I32, module, op, V128, whileLt, type WasmFunction } from './wasmAsm.js';

type Code = number[];
const get = op.get;
const [P, G, M, V, P_OUT, M_OUT, V_OUT, BYTES] = [0, 1, 2, 3, 4, 5, 6, 7];
const [DECAY, B1, OMB1, B2, OMB2, C1, C2, LR, EPS] = [8, 9, 10, 11, 12, 13, 14, 15, 16];
const [O, GV, MV, VV] = [17, 18, 19, 20];

const splat = (scalar: number): Code => [...get(scalar), ...op.f32x4Splat];
const load = (base: number): Code => [...get(base), ...get(O), ...op.add, ...op.v128Load()];
const address = (base: number): Code => [...get(base), ...get(O), ...op.add];

const adam: WasmFunction = {
  name: 'adam',
  params: [...new Array<number>(8).fill(I32), ...new Array<number>(9).fill(F32)],
  locals: [I32, V128, V128, V128],
  body: [
    ...op.i32(0),
    ...op.set(O),
    ...whileLt(O, get(BYTES), [
      ...[...load(G), ...op.set(GV)],
      // m' = b1 m + (1 - b1) g
      ...[...splat(B1), ...load(M), ...op.f32x4Mul, ...splat(OMB1), ...get(GV), ...op.f32x4Mul],
      ...[...op.f32x4Add, ...op.set(MV), ...address(M_OUT), ...get(MV), ...op.v128Store()],
      // v' = b2 v + (1 - b2) g g
      ...[...splat(B2), ...load(V), ...op.f32x4Mul, ...splat(OMB2), ...get(GV), ...get(GV)],
      ...[...op.f32x4Mul, ...op.f32x4Mul, ...op.f32x4Add, ...op.set(VV)],
      ...[...address(V_OUT), ...get(VV), ...op.v128Store()],
      // p' = p decay - lr ((m' / c1) / (sqrt(v' / c2) + eps))
      ...[...address(P_OUT), ...load(P), ...splat(DECAY), ...op.f32x4Mul, ...splat(LR)],
      ...[...get(MV), ...splat(C1), ...op.f32x4Div],
      ...[...get(VV), ...splat(C2), ...op.f32x4Div, ...op.f32x4Sqrt, ...splat(EPS), ...op.f32x4Add],
      ...[...op.f32x4Div, ...op.f32x4Mul, ...op.f32x4Sub, ...op.v128Store()],
      ...addTo(O, 16),
    ]),
  ],
};

const ema: WasmFunction = (() => {
  const [T, S, OUT, N_BYTES, MOM, OMM] = [0, 1, 2, 3, 4, 5];
  const OFF = 6;
  const at = (base: number): Code => [...get(base), ...get(OFF), ...op.add];
  return {
    name: 'ema',
    params: [I32, I32, I32, I32, F32, F32],
    locals: [I32],
    body: [
      ...op.i32(0),
      ...op.set(OFF),
      ...whileLt(OFF, get(N_BYTES), [
        ...at(OUT),
        ...[...at(T), ...op.v128Load(), ...splat(MOM), ...op.f32x4Mul],
        ...[...at(S), ...op.v128Load(), ...splat(OMM), ...op.f32x4Mul, ...op.f32x4Add],
        ...op.v128Store(),
        ...addTo(OFF, 16),
      ]),
    ],
  };
})();

/** The parameter-update module's bytes. */
export const simdUpdatesModule = (shared = false): Uint8Array => module([adam, ema], shared);
