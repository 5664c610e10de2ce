/**
 * A stable content hash of a spec (or any JSON value): sha256 of its canonical JSON, in which
 * object keys are sorted, there is no whitespace, and `undefined` fields are dropped exactly as
 * `JSON.stringify` drops them. Two specs that serialise to the same JSON up to key order get the
 * same hash, so a checkpoint can tell whether it was made by the spec being resumed.
 */
import { createHash } from 'node:crypto';

/**
 * The canonical JSON text of `value`: keys sorted by UTF-16 code units at every depth, no
 * whitespace, array order kept. Throws on values JSON cannot represent faithfully
 * (NaN, Infinity, bigint, functions, symbols, cycles), naming the path.
 */
export const canonicalJson = (value: unknown): string => write(value, '$', new Set());

const write = (value: unknown, path: string, seen: Set<object>): string => {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value))
        throw new Error(`canonicalJson: ${path} is ${value}, not a finite number`);
      return JSON.stringify(value);
    case 'object':
      return writeObject(value, path, seen);
    default:
      throw new Error(`canonicalJson: ${path} is a ${typeof value}, which JSON cannot represent`);
  }
};

const writeObject = (value: object, path: string, seen: Set<object>): string => {
  if (seen.has(value)) throw new Error(`canonicalJson: ${path} is a cycle`);
  seen.add(value);
  const toJson = (value as { toJSON?: unknown }).toJSON;
  let text: string;
  if (typeof toJson === 'function') {
    text = write((toJson as () => unknown).call(value), path, seen);
  } else if (Array.isArray(value)) {
    text = `[${value.map((v, i) => (v === undefined ? 'null' : write(v, `${path}[${i}]`, seen))).join(',')}]`;
  } else {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map(
        (k) =>
          `${JSON.stringify(k)}:${write((value as Record<string, unknown>)[k], `${path}.${k}`, seen)}`,
      );
    text = `{${entries.join(',')}}`;
  }
  seen.delete(value);
  return text;
};

/** The sha256 (lowercase hex, 64 characters) of `canonicalJson(value)`. */
export const specHash = (value: unknown): string =>
  createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
