/**
 * Decoding one image file with `sharp`, refusing files that are cut short. A header can be whole
 * while the rest of the file is missing (an interrupted copy or download); `sharp` then fails on
 * a truncated JPEG or a PNG cut inside its pixel data, but a PNG cut after its pixel data (no
 * `IEND` chunk) decodes without a word. `truncation` checks the end of the bytes itself, so every
 * cut file is refused with an `ImageDecodeError` that names the file, the reason and what to do.
 */
import { promises as fs } from 'node:fs';
import sharp from 'sharp';

/** A file that could not be decoded: its path, the reason (one line) and a hint. */
export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly hint: string,
  ) {
    super(`${file}: ${reason}\nhint: ${hint}`);
    this.name = 'ImageDecodeError';
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IEND = Buffer.from('IEND', 'latin1');
const EOI = Buffer.from([0xff, 0xd9]);

const startsWith = (bytes: Buffer, prefix: ReadonlyArray<number>): boolean =>
  bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);

/**
 * Why `bytes` are not a whole PNG, JPEG or WebP file, or `undefined` when they look complete (or
 * are another format, left to `sharp`). Trailing bytes after the end marker are allowed.
 * - PNG: the `IEND` chunk (type and CRC) must be present;
 * - JPEG: an end-of-image marker (`FF D9`) must follow the start marker;
 * - WebP: the RIFF size must fit in the file.
 */
export const truncation = (bytes: Buffer): string | undefined => {
  if (startsWith(bytes, PNG_SIGNATURE)) {
    const at = bytes.lastIndexOf(IEND);
    return at < 0 || at + 8 > bytes.length
      ? `truncated: the PNG ends before its IEND chunk (${bytes.length} bytes)`
      : undefined;
  }
  if (startsWith(bytes, [0xff, 0xd8, 0xff]))
    return bytes.lastIndexOf(EOI) < 2
      ? `truncated: the JPEG has no end-of-image marker (${bytes.length} bytes)`
      : undefined;
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF') {
    const declared = bytes.readUInt32LE(4) + 8;
    return declared > bytes.length
      ? `truncated: the WebP holds ${bytes.length} of its ${declared} bytes`
      : undefined;
  }
  return undefined;
};

const TRUNCATED = /premature end|end of stream|truncat|unexpected end|not enough data/i;

const HINT_TRUNCATED =
  'the file is cut short (an interrupted copy or download?): copy it again, or delete it; ' +
  '`tessera data stats DIR` lists every unreadable file of a folder';
const HINT_CORRUPT =
  'the file is corrupt or not an image of its extension: export it again, or delete it; ' +
  '`tessera data stats DIR` lists every unreadable file of a folder';

/** The `ImageDecodeError` of a `sharp` failure on `file`. */
const fromSharp = (file: string, e: unknown): ImageDecodeError => {
  const text = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  return TRUNCATED.test(text)
    ? new ImageDecodeError(file, `truncated (${text})`, HINT_TRUNCATED)
    : new ImageDecodeError(file, text, HINT_CORRUPT);
};

/** Reads `file` whole and checks it is not cut short. Throws `ImageDecodeError`. */
export const readImageBytes = async (file: string): Promise<Buffer> => {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
    throw new ImageDecodeError(
      file,
      `cannot read the file [${code}]`,
      'check that it exists and is readable',
    );
  }
  const cut = truncation(bytes);
  if (cut !== undefined) throw new ImageDecodeError(file, cut, HINT_TRUNCATED);
  return bytes;
};

/**
 * Decodes `file` fully and returns its `"WxH"` size. Throws `ImageDecodeError` when it is cut
 * short or `sharp` cannot decode it.
 */
export const probeImage = async (file: string): Promise<string> => {
  const bytes = await readImageBytes(file);
  try {
    const { info } = await sharp(bytes, { failOn: 'error' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return `${info.width}x${info.height}`;
  } catch (e) {
    throw fromSharp(file, e);
  }
};

/**
 * Decodes `file` to `size x size x 3` RGB bytes (shorter side resized to `size`, centre crop,
 * alpha dropped, grey expanded). Throws `ImageDecodeError` (path, reason, hint) when the file is
 * cut short or cannot be decoded.
 */
export const decodeImage = async (file: string, size: number): Promise<Uint8Array> => {
  const bytes = await readImageBytes(file);
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await sharp(bytes, { failOn: 'error' })
      .resize(size, size, { fit: 'cover', position: 'centre' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw fromSharp(file, e);
  }
  const { data, info } = decoded;
  if (info.channels === 3) return new Uint8Array(data.buffer, data.byteOffset, data.length);
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) rgb.fill(data[i * info.channels]!, i * 3, i * 3 + 3);
  return rgb;
};
