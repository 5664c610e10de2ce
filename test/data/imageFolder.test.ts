/** The image-folder loader: layouts, formats, corrupt and truncated files, empty and missing folders. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageDecodeError, decodeImage, openImageFolder } from '../../data/imageFolder.js';
import { truncation } from '../../data/imageDecode.js';
import { folderStats, showStats } from '../../data/stats.js';
import { tf, useBackend } from '../../runtime/backend.js';
import { Rng } from '../../compiler/ir/rng.js';

let root: string;

/** A `w x h` image of one colour with `channels` channels, encoded as `format`. */
const image = (
  w: number,
  h: number,
  colour: number[],
  format: 'png' | 'jpeg' | 'webp',
): Promise<Buffer> => {
  const channels = colour.length as 1 | 3 | 4;
  const px = Buffer.alloc(w * h * channels);
  for (let i = 0; i < w * h; i++) colour.forEach((v, c) => (px[i * channels + c] = v));
  const s = sharp(px, { raw: { width: w, height: h, channels } });
  return (
    format === 'png'
      ? s.png()
      : format === 'jpeg'
        ? s.jpeg({ quality: 95 })
        : s.webp({ lossless: true })
  ).toBuffer();
};

const put = async (rel: string, data: Buffer | Promise<Buffer>): Promise<void> => {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), await data);
};

beforeAll(async () => {
  await useBackend('wasm');
  root = mkdtempSync(path.join(tmpdir(), 'tessera-folder-'));
  // labeled: class subfolders, nested deeper, mixed formats, a grey and an RGBA image
  await put('labeled/cat/a.png', image(40, 20, [255, 0, 0], 'png'));
  await put('labeled/cat/nested/b.JPG', image(20, 20, [0, 255, 0], 'jpeg'));
  await put('labeled/dog/c.webp', image(16, 30, [0, 0, 255], 'webp'));
  await put('labeled/dog/d.png', image(8, 8, [128], 'png'));
  await put('labeled/dog/e.png', image(8, 8, [10, 20, 30, 0], 'png'));
  await put('labeled/dog/notes.txt', Buffer.from('not an image'));
  await put('labeled/dog/broken.png', Buffer.from('this is not a png at all'));
  const good = await image(32, 32, [1, 2, 3], 'png');
  await put('labeled/cat/truncated.png', good.subarray(0, Math.floor(good.length / 2)));
  // unlabeled: images at the root
  await put('plain/x.png', image(10, 10, [50, 60, 70], 'png'));
  await put('plain/sub/y.png', image(10, 10, [70, 60, 50], 'png'));
  // cut short after a whole header: a JPEG missing its last bytes, a PNG missing only IEND
  const jpeg = await image(32, 32, [200, 100, 50], 'jpeg');
  const png = await image(32, 32, [9, 8, 7], 'png');
  await put('cut/a/whole.png', png);
  await put('cut/a/short.jpg', jpeg.subarray(0, jpeg.length - 10));
  await put('cut/b/noiend.png', png.subarray(0, png.length - 12));
  await put('cut/b/whole.jpg', jpeg);
  // a class-folder tree with two stray images at its root
  await put('stray/cat/a.png', image(8, 8, [255, 0, 0], 'png'));
  await put('stray/cat/b.png', image(8, 8, [255, 0, 0], 'png'));
  await put('stray/dog/c.png', image(8, 8, [0, 0, 255], 'png'));
  await put('stray/dog/d.png', image(8, 8, [0, 0, 255], 'png'));
  await put('stray/cover.png', image(8, 8, [0, 255, 0], 'png'));
  await put('stray/logo.jpg', image(8, 8, [0, 255, 0], 'jpeg'));
  await put('garbage/a/x.png', image(8, 8, [1, 1, 1], 'png'));
  await put('garbage/labels.json', Buffer.from('{"format": "tessera-labels/1", "levels": [ ,'));
  await put('badlevels/a/x.png', image(8, 8, [1, 1, 1], 'png'));
  await put(
    'badlevels/labels.json',
    Buffer.from('{"format": "tessera-labels/1", "levels": ["class"], "classes": {"class": "abc"}}'),
  );
  mkdirSync(path.join(root, 'empty/inner'), { recursive: true });
  writeFileSync(path.join(root, 'empty/readme.md'), '# nothing');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('openImageFolder', () => {
  it('reads class subfolders recursively (jpg, png, webp, grey, alpha) and skips the corrupt file', async () => {
    const ds = await openImageFolder(path.join(root, 'labeled'), { size: 8 });
    expect(ds.classes).toEqual({ class: ['cat', 'dog'] });
    expect(ds.files).toEqual([
      'cat/a.png',
      'cat/nested/b.JPG',
      'cat/truncated.png',
      'dog/c.webp',
      'dog/d.png',
      'dog/e.png',
    ]);
    expect(ds.unreadable.map((u) => u.path)).toEqual(['dog/broken.png']);
    const all = await ds.all();
    expect(all.images.shape).toEqual([6, 8, 8, 3]);
    const px = (k: number): number[] =>
      [...all.images.slice([k, 4, 4, 0], [1, 1, 1, 3]).dataSync()].map((v) => Math.round(v * 255));
    expect(px(0)).toEqual([255, 0, 0]);
    expect(px(1)[1]).toBeGreaterThan(240); // jpeg green
    expect(px(3)).toEqual([0, 0, 255]);
    expect(px(4)).toEqual([128, 128, 128]); // grey expanded to RGB
    expect(px(5)).toEqual([10, 20, 30]); // alpha dropped
    expect([...all.labels['class']!]).toEqual([0, 0, 0, 1, 1, 1]);
    // the truncated png passes the header check but fails to decode: replaced, counted, listed
    expect(ds.unreadable.map((u) => u.path)).toEqual(['dog/broken.png', 'cat/truncated.png']);
    expect(px(2)).toEqual(px(3));
    all.images.dispose();
  });

  it('treats a folder with images at its root as unlabeled data', async () => {
    const ds = await openImageFolder(path.join(root, 'plain'), { size: 4 });
    expect(ds.size).toBe(2);
    expect(ds.classes).toEqual({});
    const batches = [];
    for await (const b of ds.batches(2, Rng.seeded(1))) {
      expect(b.labels).toEqual({});
      batches.push(b);
      b.images.dispose();
    }
    expect(batches.length).toBe(1);
  });

  it('fails clearly on a missing folder, a file, and a folder without images', async () => {
    await expect(openImageFolder(path.join(root, 'nope'))).rejects.toThrow(
      /does not exist\nhint: /,
    );
    await expect(openImageFolder(path.join(root, 'empty/readme.md'))).rejects.toThrow(
      /is not a folder/,
    );
    await expect(openImageFolder(path.join(root, 'empty'))).rejects.toThrow(
      /holds no image \(\.jpg, \.jpeg, \.png, \.webp\)/,
    );
  });

  it('prefetches: the next batch is decoding while the consumer holds the current one', async () => {
    const ds = await openImageFolder(path.join(root, 'labeled'), { size: 8 });
    const before = tf.memory().numTensors;
    const it = ds.batches(2, Rng.seeded(3), { prefetch: 1 });
    const first = await it.next();
    await new Promise((r) => setTimeout(r, 100));
    // batch 2 was decoded in the background: its tensor exists before we ask for it
    expect(tf.memory().numTensors).toBe(before + 2);
    (first.value as { images: tf.Tensor }).images.dispose();
    await it.return(undefined); // abandoning the epoch releases what was prefetched
    await new Promise((r) => setTimeout(r, 50));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('files cut short', () => {
  it('truncation: a PNG without IEND, a JPEG without end marker, a short WebP; whole files pass', async () => {
    const png = await image(16, 16, [1, 2, 3], 'png');
    const jpeg = await image(16, 16, [1, 2, 3], 'jpeg');
    const webp = await image(16, 16, [1, 2, 3], 'webp');
    expect(truncation(png)).toBeUndefined();
    expect(truncation(Buffer.concat([png, Buffer.from('trailing bytes')]))).toBeUndefined();
    expect(truncation(jpeg)).toBeUndefined();
    expect(truncation(webp)).toBeUndefined();
    expect(truncation(png.subarray(0, png.length - 12))).toMatch(/^truncated: the PNG ends/);
    expect(truncation(png.subarray(0, png.length - 2))).toMatch(/^truncated: the PNG ends/);
    expect(truncation(jpeg.subarray(0, jpeg.length - 2))).toMatch(/^truncated: the JPEG has no/);
    expect(truncation(webp.subarray(0, webp.length - 5))).toMatch(/^truncated: the WebP holds/);
    expect(truncation(Buffer.from('GIF89a....'))).toBeUndefined();
  });

  it('decodeImage names the file, the reason and a hint', async () => {
    for (const rel of ['cut/a/short.jpg', 'cut/b/noiend.png', 'labeled/cat/truncated.png']) {
      const file = path.join(root, rel);
      const e = await decodeImage(file, 8).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e, rel).toBeInstanceOf(ImageDecodeError);
      expect((e as Error).message, rel).toMatch(
        new RegExp(
          `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated[^\n]*\nhint: the file is cut short`,
        ),
      );
    }
    await expect(decodeImage(path.join(root, 'labeled/dog/broken.png'), 8)).rejects.toThrow(
      /broken\.png: [^\n]+\nhint: the file is corrupt or not an image/,
    );
  });

  it('openImageFolder: cut files pass the header check, fail at decode, are replaced and listed', async () => {
    const ds = await openImageFolder(path.join(root, 'cut'), { size: 8 });
    expect(ds.files).toEqual(['a/short.jpg', 'a/whole.png', 'b/noiend.png', 'b/whole.jpg']);
    expect(ds.unreadable).toEqual([]);
    const all = await ds.all();
    all.images.dispose();
    expect(ds.unreadable.map((u) => u.path).sort()).toEqual(['a/short.jpg', 'b/noiend.png']);
    for (const u of ds.unreadable) expect(u.reason).toMatch(/^truncated/);
    expect(ds.unlabeled).toEqual([]);
    const s = await folderStats(path.join(root, 'cut'));
    expect(s.unreadable.map((u) => u.path).sort()).toEqual(['a/short.jpg', 'b/noiend.png']);
    expect(s.readable).toBe(2);
  });
});

describe('layouts', () => {
  it('stray images at the root of a class-folder tree are left out with a warning', async () => {
    const ds = await openImageFolder(path.join(root, 'stray'), { size: 4 });
    expect(ds.classes).toEqual({ class: ['cat', 'dog'] });
    expect(ds.files).toEqual(['cat/a.png', 'cat/b.png', 'dog/c.png', 'dog/d.png']);
    expect(ds.unlabeled.map((u) => u.path)).toEqual(['cover.png', 'logo.jpg']);
    expect(ds.unreadable.map((u) => u.path)).toEqual(['cover.png', 'logo.jpg']);
    expect(ds.unlabeled[0]!.reason).toMatch(/outside the class folders \(cat, dog\)/);
    expect(ds.warnings).toHaveLength(1);
    expect(ds.warnings[0]).toMatch(
      /^warning: 2 image\(s\) at the root of .*stray are outside its class folders and are left out \(cover\.png, logo\.jpg\)\nhint: move them/,
    );
    const s = await folderStats(path.join(root, 'stray'));
    expect(s.images).toBe(6);
    expect(s.counts).toEqual({ class: { cat: 2, dog: 2 } });
  });

  it('root images as many as the class folders hold, or one subfolder: unlabeled, no warning', async () => {
    const plain = await openImageFolder(path.join(root, 'plain'), { size: 4 });
    expect(plain.classes).toEqual({});
    expect(plain.warnings).toEqual([]);
    expect(plain.files).toEqual(['sub/y.png', 'x.png']);
  });

  it('a garbage or malformed labels.json: an error naming the file, with a hint', async () => {
    await expect(openImageFolder(path.join(root, 'garbage'))).rejects.toThrow(
      /garbage[/\\]labels\.json: not JSON \([^\n]+\)\nhint: remove it/,
    );
    await expect(openImageFolder(path.join(root, 'badlevels'))).rejects.toThrow(
      /badlevels[/\\]labels\.json: not a tessera-labels\/1 manifest\nhint: /,
    );
  });
});

describe('folderStats', () => {
  it('counts per class, sizes, and lists unreadable files', async () => {
    const s = await folderStats(path.join(root, 'labeled'));
    expect(s.images).toBe(7);
    expect(s.readable).toBe(5);
    expect(s.counts).toEqual({ class: { cat: 2, dog: 3 } });
    expect(s.unreadable.map((u) => u.path).sort()).toEqual(['cat/truncated.png', 'dog/broken.png']);
    expect(s.sizes).toContainEqual(['8x8', 2]);
    const text = showStats(s);
    expect(text).toMatch(/label "class" \(2 classes\):\n {2}cat +2\n {2}dog +3/);
    expect(text).toMatch(/unreadable:\n {2}cat\/truncated\.png: [^\n]+\n {2}dog\/broken\.png: /);
  });
});
