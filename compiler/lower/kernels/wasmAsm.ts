/**
 * A minimal WebAssembly binary writer: enough to assemble tessera's own SIMD kernels from their
 * source in this repository at load time (no toolchain, no prebuilt binary). Instructions are byte
 * arrays; `module` wraps functions that import one memory (`env.memory`) into a binary.
 * Encoding: the WebAssembly core spec 2.0 binary format, with the fixed-width SIMD proposal.
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};

/** Signed LEB128 (32-bit). */
export const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0))
      return [...out, byte];
    out.push(byte | 0x80);
  }
};

/** A name (ASCII: the kernels' export and import names) as a length-prefixed byte vector. */
const bytesOf = (s: string): number[] => [
  ...uleb(s.length),
  ...[...s].map((ch) => ch.charCodeAt(0)),
];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** A 4-byte lane repeated four times (a `v128.const` immediate). */
const lanes = (one: Float32Array | Int32Array): number[] => {
  const bytes = [...new Uint8Array(one.buffer)];
  return [...bytes, ...bytes, ...bytes, ...bytes];
};

/** The instructions the kernels use. */
export const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(n)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  and: [0x71],
  shl: [0x74],
  geU: [0x4f],
  ltU: [0x49],
  f32: (x: number) => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)],
  i32Load: (offset = 0) => [0x28, 2, ...uleb(offset)],
  f32Load: (offset = 0) => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset = 0) => [0x38, 2, ...uleb(offset)],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sqrt: [0x91],
  /** `i8x16.shuffle` of the two vectors on the stack, given as four 32-bit lanes (0-3 first, 4-7 second). */
  shuffle32: (lanes: readonly [number, number, number, number]) => [
    0xfd,
    ...uleb(13),
    ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]),
  ],
  f32x4ExtractLane: (lane: number) => [0xfd, ...uleb(31), lane],
  v128Load: (offset = 0) => [0xfd, ...uleb(0), 0, ...uleb(offset)], // align hint 1: unaligned rows are fine
  v128Store: (offset = 0) => [0xfd, ...uleb(11), 0, ...uleb(offset)],
  v128Zero: [0xfd, ...uleb(12), ...new Array<number>(16).fill(0)],
  /** `v128.const` with the same f32 in every lane. */
  f32x4Const: (x: number) => [0xfd, ...uleb(12), ...lanes(new Float32Array([x]))],
  /** `v128.const` with the same i32 in every lane. */
  i32x4Const: (n: number) => [0xfd, ...uleb(12), ...lanes(new Int32Array([n]))],
  /** `v128.const` with the given four i32 lanes. */
  i32x4Lanes: (lanes: readonly [number, number, number, number]) => [
    0xfd,
    ...uleb(12),
    ...new Uint8Array(new Int32Array(lanes).buffer),
  ],
  f32x4Splat: [0xfd, ...uleb(19)],
  f32x4Abs: [0xfd, ...uleb(224)],
  f32x4Neg: [0xfd, ...uleb(225)],
  f32x4Add: [0xfd, ...uleb(228)],
  f32x4Sub: [0xfd, ...uleb(229)],
  f32x4Mul: [0xfd, ...uleb(230)],
  f32x4Div: [0xfd, ...uleb(231)],
  f32x4Sqrt: [0xfd, ...uleb(227)],
  f32x4Max: [0xfd, ...uleb(233)],
  f32x4Nearest: [0xfd, ...uleb(106)],
  i32x4TruncSatF32x4S: [0xfd, ...uleb(248)],
  i32x4Add: [0xfd, ...uleb(174)],
  i32x4Splat: [0xfd, ...uleb(17)],
  i32x4GeS: [0xfd, ...uleb(63)],
  v128And: [0xfd, ...uleb(78)],
  i32x4Shl: [0xfd, ...uleb(171)],
  /** `(v1 & c) | (v2 & ~c)` for operands `v1 v2 c` on the stack. */
  v128Bitselect: [0xfd, ...uleb(82)],
  end: [0x0b],
} as const;

/** `while (local[i] < limit) { body }`, `limit` an instruction sequence leaving an i32 (unsigned compare). */
export const whileLt = (i: number, limit: number[], body: number[]): number[] => [
  0x02,
  0x40,
  0x03,
  0x40,
  ...op.get(i),
  ...limit,
  ...op.geU,
  0x0d,
  ...uleb(1),
  ...body,
  0x0c,
  ...uleb(0),
  ...op.end,
  ...op.end,
];

/** `if (condition) { body }`, `condition` an instruction sequence leaving an i32. */
export const ifThen = (condition: number[], body: number[]): number[] => [
  ...condition,
  0x04,
  0x40,
  ...body,
  ...op.end,
];

/** `local[i] = local[i] + (n or the given instructions)`. */
export const addTo = (i: number, n: number | number[]): number[] => [
  ...op.get(i),
  ...(typeof n === 'number' ? op.i32(n) : n),
  ...op.add,
  ...op.set(i),
];

/** One function: its exported name, parameter types, extra locals (types) and body. */
export interface WasmFunction {
  readonly name: string;
  readonly params: ReadonlyArray<number>;
  readonly locals: ReadonlyArray<number>;
  readonly body: number[];
}

/** The largest wasm32 memory, in 64 KiB pages (a shared memory import must declare a maximum). */
const MAX_PAGES = 65536;

/**
 * A module importing `env.memory` (min 1 page; `shared`: a shared memory, max 4 GiB, as the
 * threaded TF.js wasm build has) and exporting `fns` (no results).
 */
export const module = (fns: ReadonlyArray<WasmFunction>, shared = false): Uint8Array => {
  const types = section(1, vec(fns.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0])));
  const limits = shared ? [0x03, 1, ...uleb(MAX_PAGES)] : [0x00, 1];
  const imports = section(2, vec([[...bytesOf('env'), ...bytesOf('memory'), 0x02, ...limits]]));
  const funcs = section(3, vec(fns.map((_, i) => uleb(i))));
  const exports = section(7, vec(fns.map((f, i) => [...bytesOf(f.name), 0x00, ...uleb(i)])));
  const code = section(
    10,
    vec(
      fns.map((f) => {
        const body = [...vec(f.locals.map((t) => [1, t])), ...f.body, ...op.end];
        return [...uleb(body.length), ...body];
      }),
    ),
  );
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...types,
    ...imports,
    ...funcs,
    ...exports,
    ...code,
  ]);
};
