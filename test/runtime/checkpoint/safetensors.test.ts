import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
} from '../../../runtime/checkpoint/safetensors.js';

const fixture = new URL('../../fixtures/checkpoint/', import.meta.url);

interface Expected {
  readonly metadata: Record<string, string>;
  readonly tensors: Record<
    string,
    { dtype: string; shape: number[]; values: Array<number | string> }
  >;
}

/** Parses a safetensors header by hand, independently of the module under test. */
const parseByHand = (
  bytes: Uint8Array,
): { n: number; header: Record<string, any>; data: Uint8Array } => {
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  return { n, header, data: bytes.subarray(8 + n) };
};

describe('encodeSafetensors', () => {
  it('writes the documented layout: u64 header length, space-padded JSON, raw little-endian data', () => {
    const w = new Float32Array([1, -2.5, 3, 0.25, 5, 6]);
    const ids = new Int32Array([7, -8]);
    const bytes = encodeSafetensors(
      {
        'enc.w': { dtype: 'F32', shape: [2, 3], data: w },
        ids: { dtype: 'I32', shape: [2], data: ids },
      },
      { specHash: 'abc' },
    );
    const { n, header, data } = parseByHand(bytes);
    expect(n % 8).toBe(0);
    expect(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')).toMatch(/^\{.*\} *$/);
    expect(header['__metadata__']).toEqual({ specHash: 'abc' });
    expect(header['enc.w']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['ids']).toEqual({ dtype: 'I32', shape: [2], data_offsets: [24, 32] });
    expect(data.length).toBe(32);
    const buf = Buffer.from(data);
    expect([0, 1, 2, 3, 4, 5].map((i) => buf.readFloatLE(4 * i))).toEqual([...w]);
    expect([buf.readInt32LE(24), buf.readInt32LE(28)]).toEqual([7, -8]);
  });

  it('round-trips every writable dtype, including scalars and empty tensors', () => {
    const tensors = {
      a: { dtype: 'F64', shape: [2], data: new Float64Array([Math.PI, -0]) },
      b: { dtype: 'I64', shape: [1], data: new BigInt64Array([-(2n ** 50n)]) },
      c: { dtype: 'U8', shape: [], data: new Uint8Array([200]) },
      d: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
      e: { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
      f: { dtype: 'I16', shape: [1, 1], data: new Int16Array([-300]) },
    } as const;
    const back = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(back.tensors)).toEqual(Object.keys(tensors));
    for (const [k, t] of Object.entries(tensors)) {
      expect(back.tensors[k]!.dtype).toBe(t.dtype);
      expect(back.tensors[k]!.shape).toEqual(t.shape);
      expect([...(back.tensors[k]!.data as unknown as Iterable<number | bigint>)]).toEqual([
        ...(t.data as Iterable<number | bigint>),
      ]);
    }
    expect(back.metadata).toEqual({});
  });

  it('refuses data whose size does not match the shape', () => {
    expect(() =>
      encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }),
    ).toThrow('"w" has 12 bytes');
  });
});

describe('decodeSafetensors', () => {
  it('reads a file written by a Python script (fixture)', () => {
    const expected = JSON.parse(
      readFileSync(new URL('reference.json', fixture), 'utf8'),
    ) as Expected;
    const file = decodeSafetensors(readFileSync(new URL('reference.safetensors', fixture)));
    expect(file.metadata).toEqual(expected.metadata);
    expect(Object.keys(file.tensors).sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, e] of Object.entries(expected.tensors)) {
      const t = file.tensors[name]!;
      expect(t.shape, name).toEqual(e.shape);
      expect(t.dtype, name).toBe(e.dtype === 'F16' || e.dtype === 'BF16' ? 'F32' : e.dtype);
      const got = [...(t.data as unknown as Iterable<number | bigint>)].map((v) =>
        typeof v === 'bigint' ? v.toString() : v,
      );
      expect(got, name).toEqual(e.values);
    }
  });

  it('reports truncation, bad headers and overlapping offsets with a clear message', () => {
    const good = encodeSafetensors({
      w: { dtype: 'F32', shape: [4], data: new Float32Array([1, 2, 3, 4]) },
    });
    expect(() => decodeSafetensors(good.subarray(0, good.length - 3))).toThrow(/truncated/);
    expect(() => decodeSafetensors(good.subarray(0, 5))).toThrow(/shorter than the 8-byte/);
    const bad = Uint8Array.from(good);
    bad[8] = 0x21; // '!' instead of '{'
    expect(() => decodeSafetensors(bad)).toThrow(SafetensorsError);
    const header =
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const text = Buffer.from(header.padEnd(Math.ceil(header.length / 8) * 8, ' '));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(text.length));
    expect(() => decodeSafetensors(Buffer.concat([len, text, Buffer.alloc(8)]))).toThrow(
      /"b" starts at byte 0, expected 4/,
    );
  });
});
