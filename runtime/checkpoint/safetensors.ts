/**
 * The `.safetensors` format, read and written without dependencies (reference:
 * https://github.com/huggingface/safetensors, "Format"):
 *
 * ```
 * [8 bytes: N, unsigned 64-bit little-endian]
 * [N bytes: UTF-8 JSON header, padded at the end with spaces so the data starts 8-byte aligned]
 *   { "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ...,
 *     "__metadata__": { "<key>": "<string value>" } }
 * [data: raw little-endian tensors, offsets relative to the start of this section]
 * ```
 * Offsets are contiguous and cover the data section exactly. Files written here are readable by
 * the Python `safetensors` package and `safetensors` for Rust; this reader also checks everything
 * the reference reader checks (bounds, overlaps, dtype sizes).
 */
import { endianness } from 'node:os';

/** The element types tessera reads and writes (F16/BF16 are read only, widened to float32). */
export type SafetensorsDtype =
  'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U32' | 'U16' | 'U8' | 'BOOL';

/** The typed arrays tensor data is held in. */
export type TensorData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

/** One tensor: row-major `data` of `shape`, stored as `dtype`. */
export interface NamedTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: ReadonlyArray<number>;
  readonly data: TensorData;
}

/** A decoded file: tensors by name (in file order) and the `__metadata__` strings. */
export interface SafetensorsFile {
  readonly tensors: Readonly<Record<string, NamedTensor>>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Thrown for a malformed file; `message` says what is wrong and where. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

const BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

const MAX_HEADER = 100_000_000;

const assertLittleEndianHost = (): void => {
  if (endianness() !== 'LE')
    throw new SafetensorsError('safetensors: big-endian hosts are not supported');
};

/** The dtype that matches a typed array (`Uint8Array` is U8; pass `dtype: 'BOOL'` explicitly for booleans). */
export const dtypeOf = (data: TensorData): SafetensorsDtype => {
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Uint16Array) return 'U16';
  return 'U8';
};

const elementCount = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1);

const checkTensor = (name: string, t: NamedTensor): void => {
  if (t.dtype === 'F16' || t.dtype === 'BF16')
    throw new SafetensorsError(
      `safetensors: writing ${t.dtype} ("${name}") is not supported; convert to F32`,
    );
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new SafetensorsError(
      `safetensors: tensor "${name}" has an invalid shape [${t.shape.join(', ')}]`,
    );
  const n = elementCount(t.shape);
  if (t.data.byteLength !== n * BYTES[t.dtype]) {
    throw new SafetensorsError(
      `safetensors: tensor "${name}" has ${t.data.byteLength} bytes of data, shape [${t.shape.join(', ')}] of ${t.dtype} needs ${n * BYTES[t.dtype]}`,
    );
  }
};

/**
 * Serialises tensors (written in the order of `Object.keys`) and string metadata to the bytes of a
 * `.safetensors` file. The name `__metadata__` is reserved.
 */
export const encodeSafetensors = (
  tensors: Readonly<Record<string, NamedTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array => {
  assertLittleEndianHost();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = { ...metadata };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__')
      throw new SafetensorsError('safetensors: "__metadata__" is a reserved name');
    checkTensor(name, t);
    header[name] = {
      dtype: t.dtype,
      shape: [...t.shape],
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
};

interface HeaderEntry {
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

const parseHeader = (
  bytes: Uint8Array,
): {
  entries: Array<[string, HeaderEntry]>;
  metadata: Record<string, string>;
  dataStart: number;
} => {
  if (bytes.length < 8)
    throw new SafetensorsError(
      `safetensors: file is ${bytes.length} bytes, shorter than the 8-byte header length`,
    );
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER))
    throw new SafetensorsError(`safetensors: header length ${n} is over the 100 MB limit`);
  const len = Number(n);
  if (8 + len > bytes.length)
    throw new SafetensorsError(
      `safetensors: header length ${len} runs past the end of the file (${bytes.length} bytes); the file is truncated`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + len)));
  } catch (e) {
    throw new SafetensorsError(
      `safetensors: header is not valid UTF-8 JSON (${(e as Error).message})`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SafetensorsError('safetensors: header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: Array<[string, HeaderEntry]> = [];
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') Object.assign(metadata, parseMetadata(v));
    else entries.push([name, parseEntry(name, v)]);
  }
  return { entries, metadata, dataStart: 8 + len };
};

const parseMetadata = (v: unknown): Record<string, string> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new SafetensorsError('safetensors: "__metadata__" is not an object');
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string')
      throw new SafetensorsError(`safetensors: metadata "${k}" is not a string`);
  }
  return v as Record<string, string>;
};

const parseEntry = (name: string, v: unknown): HeaderEntry => {
  const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const where = `safetensors: tensor "${name}"`;
  if (typeof e !== 'object' || e === null)
    throw new SafetensorsError(`${where}: entry is not an object`);
  if (typeof e.dtype !== 'string' || !(e.dtype in BYTES))
    throw new SafetensorsError(`${where}: unsupported dtype ${JSON.stringify(e.dtype)}`);
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new SafetensorsError(`${where}: invalid shape ${JSON.stringify(shape)}`);
  const off = e.data_offsets;
  if (
    !Array.isArray(off) ||
    off.length !== 2 ||
    !off.every((d) => Number.isInteger(d) && d >= 0) ||
    off[0] > off[1]
  ) {
    throw new SafetensorsError(`${where}: invalid data_offsets ${JSON.stringify(off)}`);
  }
  const dtype = e.dtype as SafetensorsDtype;
  const entry = { dtype, shape: shape as number[], begin: off[0] as number, end: off[1] as number };
  if (entry.end - entry.begin !== elementCount(entry.shape) * BYTES[dtype]) {
    throw new SafetensorsError(
      `${where}: data_offsets span ${entry.end - entry.begin} bytes, shape [${entry.shape.join(', ')}] of ${dtype} needs ${elementCount(entry.shape) * BYTES[dtype]}`,
    );
  }
  return entry;
};

const checkLayout = (entries: ReadonlyArray<[string, HeaderEntry]>, dataBytes: number): void => {
  const sorted = [...entries].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let expected = 0;
  for (const [name, e] of sorted) {
    if (e.begin !== expected)
      throw new SafetensorsError(
        `safetensors: tensor "${name}" starts at byte ${e.begin}, expected ${expected} (gap or overlap in data_offsets)`,
      );
    expected = e.end;
  }
  if (expected !== dataBytes) {
    throw new SafetensorsError(
      `safetensors: tensors cover ${expected} data bytes but the file holds ${dataBytes}; the file is ${expected > dataBytes ? 'truncated' : 'followed by extra bytes'}`,
    );
  }
};

const halfToFloat = (h: number): number => {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
};

const view = (dtype: SafetensorsDtype, buf: ArrayBuffer): TensorData => {
  switch (dtype) {
    case 'F64':
      return new Float64Array(buf);
    case 'F32':
      return new Float32Array(buf);
    case 'I64':
      return new BigInt64Array(buf);
    case 'I32':
      return new Int32Array(buf);
    case 'I16':
      return new Int16Array(buf);
    case 'I8':
      return new Int8Array(buf);
    case 'U32':
      return new Uint32Array(buf);
    case 'U16':
      return new Uint16Array(buf);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buf);
    case 'F16':
      return Float32Array.from(new Uint16Array(buf), halfToFloat);
    case 'BF16':
      return new Float32Array(Uint32Array.from(new Uint16Array(buf), (b) => b << 16).buffer);
  }
};

/**
 * Parses the bytes of a `.safetensors` file. Data is copied (so it is aligned and independent of
 * `bytes`). F16 and BF16 tensors come back as `Float32Array` with `dtype` `F32`. Throws
 * `SafetensorsError` on any malformation, including truncation.
 */
export const decodeSafetensors = (bytes: Uint8Array): SafetensorsFile => {
  assertLittleEndianHost();
  const { entries, metadata, dataStart } = parseHeader(bytes);
  checkLayout(entries, bytes.length - dataStart);
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, e] of entries) {
    const buf = new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end)).buffer; // a copy, even for a Node Buffer
    const widened = e.dtype === 'F16' || e.dtype === 'BF16';
    tensors[name] = { dtype: widened ? 'F32' : e.dtype, shape: e.shape, data: view(e.dtype, buf) };
  }
  return { tensors, metadata };
};
