/**
 * Unreadable images through `tessera train` and `tessera eval` (issue 12, item 6): a class-folder
 * tree with a corrupt file (its header fails), two files cut short (their headers pass, decoding
 * fails) and a stray image at the root. Training skips them, shows the count on the progress line,
 * prints the list and writes it to `RUN/unreadable.json`; evaluation prints it and writes it into
 * `eval.json`; the stray image is left out with a warning.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Captured } from '../capture.js';
import { tessera } from '../capture.js';

let data: string;
let run: string;
let trained: Captured;

const noise = (seed: number): Promise<Buffer> => {
  const px = Buffer.alloc(32 * 32 * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 31 + seed * 97) % 251;
  return sharp(px, { raw: { width: 32, height: 32, channels: 3 } })
    .png()
    .toBuffer();
};

const put = (rel: string, bytes: Buffer): void => {
  mkdirSync(dirname(join(data, rel)), { recursive: true });
  writeFileSync(join(data, rel), bytes);
};

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-unreadable-'));
  data = join(dir, 'images');
  run = join(dir, 'run');
  for (let i = 0; i < 12; i++) put(`${i % 2 === 0 ? 'cat' : 'dog'}/${i}.png`, await noise(i));
  const png = await noise(99);
  const jpeg = await sharp(png).jpeg().toBuffer();
  put('cat/cut.png', png.subarray(0, png.length - 12)); // no IEND: pixels whole, file cut
  put('dog/cut.jpg', jpeg.subarray(0, jpeg.length - 2)); // no end-of-image marker
  put('dog/broken.png', Buffer.from('not a png'));
  put('cover.png', await noise(7)); // stray: at the root of a class-folder tree
  // 14 images pass the header check; one step of batch 14 decodes every one of them
  trained = await tessera(
    'train',
    ...['--method', 'moco-v3', '--data', data, '--batch', '14', '--steps', '1'],
    ...['--eval-every', '0', '--checkpoint-every', '1', '--out', run],
  );
});

describe('unreadable images', () => {
  it('train: warns about the stray root image, counts the unreadable files on the progress line', () => {
    expect(trained.code).toBe(0);
    expect(trained.err).toMatch(
      /warning: 1 image\(s\) at the root of .*images are outside its class folders and are left out \(cover\.png\)\nhint: /,
    );
    expect(trained.out).toMatch(/step 1\/1 .*loss \S+.*  unreadable 3\n/);
  });

  it('train: lists them at the end and in RUN/unreadable.json', () => {
    expect(trained.err).toMatch(/3 unreadable image\(s\) of .*images skipped/);
    expect(trained.err).toContain(join(run, 'unreadable.json'));
    expect(trained.err).toMatch(/ {2}cat\/cut\.png: truncated: the PNG ends before its IEND/);
    expect(trained.err).toMatch(/ {2}dog\/cut\.jpg: truncated: the JPEG has no end-of-image/);
    expect(trained.err).toMatch(/hint: tessera data stats /);
    const listed = JSON.parse(readFileSync(join(run, 'unreadable.json'), 'utf8')) as {
      dataRoot: string;
      unreadable: { path: string; reason: string }[];
      unlabeled: { path: string; reason: string }[];
    };
    expect(listed.dataRoot).toBe(data);
    expect(listed.unreadable.map((u) => u.path).sort()).toEqual([
      'cat/cut.png',
      'dog/broken.png',
      'dog/cut.jpg',
    ]);
    expect(listed.unlabeled.map((u) => u.path)).toEqual(['cover.png']);
  });

  it('eval: prints them and lists them in eval.json', async () => {
    const r = await tessera('eval', '--run', run, '--samples', '14', '--probe', 'knn');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/3 unreadable image\(s\) of .*images skipped/);
    expect(r.err).toMatch(/warning: 1 image\(s\) at the root/);
    const evalFile = JSON.parse(readFileSync(join(run, 'eval.json'), 'utf8')) as {
      unreadable: { path: string }[];
      unlabeled: { path: string }[];
    };
    expect(evalFile.unreadable.map((u) => u.path).sort()).toEqual([
      'cat/cut.png',
      'dog/broken.png',
      'dog/cut.jpg',
    ]);
    expect(evalFile.unlabeled.map((u) => u.path)).toEqual(['cover.png']);
  });
});
