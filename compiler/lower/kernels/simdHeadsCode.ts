/**
 * The source of tessera's head-layout copies (assembled at load time by `wasmAsm.ts`): attention
 * turns the fused projection `[rows, blocks, dh]` (rows = batch x tokens, blocks = parts x heads)
 * into head-major `[heads, rows, dh]` pieces and back, 16 bytes at a time, one pass each:
 * - `split(comb, hm, rows, blocks, first, heads, blockBytes)`: `hm[h][r] = comb[r][first + h]`;
 * - `merge(comb, hm, rows, blocks, first, heads, blockBytes)`: `comb[r][first + h] = hm[h][r]`,
 * for `h < heads`, `r < rows`; a block is `blockBytes` (a multiple of 16) bytes. Pointers are byte
 * offsets in the TF.js wasm backend's memory.
 */
import { addTo, I32, module, op, whileLt, type WasmFunction } from './wasmAsm.js';

const [COMB, HM, ROWS, BLOCKS, FIRST, HEADS, BB] = [0, 1, 2, 3, 4, 5, 6];
const [R, H, CP, HP, O, HSTRIDE] = [7, 8, 9, 10, 11, 12];

/** `dst[o] = src[o]` for `o < blockBytes`, 16 bytes at a time. */
const copyBlock = (src: number, dst: number): number[] => [
  ...op.i32(0),
  ...op.set(O),
  ...whileLt(O, op.get(BB), [
    ...op.get(dst),
    ...op.get(O),
    ...op.add,
    ...op.get(src),
    ...op.get(O),
    ...op.add,
    ...op.v128Load(),
    ...op.v128Store(),
    ...addTo(O, 16),
  ]),
];

/** The loop over rows and heads; `toHeads` says which side is written. */
const body = (toHeads: boolean): number[] => [
  ...op.get(ROWS),
  ...op.get(BB),
  ...op.mul,
  ...op.set(HSTRIDE),
  ...op.i32(0),
  ...op.set(R),
  ...whileLt(R, op.get(ROWS), [
    // CP = COMB + (R * BLOCKS + FIRST) * BB; HP = HM + R * BB
    ...op.get(COMB),
    ...op.get(R),
    ...op.get(BLOCKS),
    ...op.mul,
    ...op.get(FIRST),
    ...op.add,
    ...op.get(BB),
    ...op.mul,
    ...op.add,
    ...op.set(CP),
    ...op.get(HM),
    ...op.get(R),
    ...op.get(BB),
    ...op.mul,
    ...op.add,
    ...op.set(HP),
    ...op.i32(0),
    ...op.set(H),
    ...whileLt(H, op.get(HEADS), [
      ...(toHeads ? copyBlock(CP, HP) : copyBlock(HP, CP)),
      ...addTo(CP, op.get(BB)),
      ...addTo(HP, op.get(HSTRIDE)),
      ...addTo(H, 1),
    ]),
    ...addTo(R, 1),
  ]),
];

const fn = (name: string, toHeads: boolean): WasmFunction => ({
  name,
  params: new Array<number>(7).fill(I32),
  locals: new Array<number>(6).fill(I32),
  body: body(toHeads),
});

/** The head-layout module's bytes. */
export const simdHeadsModule = (shared = false): Uint8Array =>
  module([fn('split', true), fn('merge', false)], shared);
