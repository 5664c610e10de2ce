/** `--data` values: built-in names with an optional count, folders made absolute, clear errors; held-out evaluation data. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_TRAIN_IMAGES,
  EVAL_DATA_SEED,
  openEvalData,
  openTrainingData,
  parseDataSource,
} from '../../cli/runData.js';

describe('parseDataSource', () => {
  it('reads builtin:appearance with and without a count', async () => {
    expect(await parseDataSource('builtin:appearance')).toEqual({
      kind: 'builtin',
      n: BUILTIN_TRAIN_IMAGES,
      text: 'builtin:appearance',
    });
    expect(await parseDataSource('builtin:appearance:84')).toEqual({
      kind: 'builtin',
      n: 84,
      text: 'builtin:appearance:84',
    });
    expect(await parseDataSource('builtin:texture:36')).toEqual({
      kind: 'builtin',
      n: 36,
      text: 'builtin:texture:36',
      family: 'texture',
    });
    expect(await parseDataSource('builtin:texture')).toEqual({
      kind: 'builtin',
      n: BUILTIN_TRAIN_IMAGES,
      text: 'builtin:texture',
      family: 'texture',
    });
  });

  it('rejects unknown built-ins and missing folders with a hint', async () => {
    await expect(parseDataSource('builtin:cifar10')).rejects.toThrow(
      /unknown built-in dataset "builtin:cifar10"\nhint: builtin:appearance/,
    );
    await expect(parseDataSource('builtin:appearance:0')).rejects.toThrow(
      /N must be from 1 to 100000/,
    );
    await expect(parseDataSource('./no/such/dir')).rejects.toThrow(
      /--data \.\/no\/such\/dir: no such folder\nhint:/,
    );
  });

  it('makes a folder absolute, so run.json reopens it from anywhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-data-'));
    expect(await parseDataSource(dir)).toEqual({
      kind: 'folder',
      dir: resolve(dir),
      text: resolve(dir),
    });
  });
});

describe('training and evaluation data', () => {
  it('built-in: evaluation images are other images than the training ones, with both labels', async () => {
    const source = await parseDataSource('builtin:appearance:12');
    const train = await (await openTrainingData(source, 16)).all();
    const held = await openEvalData(source, 16, 12);
    expect(held.name).toContain(`seed=${EVAL_DATA_SEED}`);
    const test = await held.all();
    expect(Object.keys(held.classes)).toEqual(['content', 'appearance']);
    expect(Array.from(test.labels['content']!)).toEqual(Array.from(train.labels['content']!));
    const diff = train.images.sub(test.images).abs().mean().dataSync()[0]!;
    expect(diff).toBeGreaterThan(0.01);
    train.images.dispose();
    test.images.dispose();
  });

  it('an unlabeled folder cannot be evaluated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-data-'));
    const { writeFile } = await import('node:fs/promises');
    const sharp = (await import('sharp')).default;
    await writeFile(
      join(dir, 'a.png'),
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
        .png()
        .toBuffer(),
    );
    await expect(openEvalData(await parseDataSource(dir), 16, 10)).rejects.toThrow(
      /has no labels to probe\nhint: put images in class subfolders/,
    );
  });
});
