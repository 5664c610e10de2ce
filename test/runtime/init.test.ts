/**
 * `--init MODULE=FILE`: a module loaded from a safetensors file equals the file (and so does its
 * EMA follower); missing, extra and mis-shaped tensors are each named in one error; a key map
 * renames; a file with a single module prefix (a `tessera export`) loads into another module name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compile } from '../../runtime/compile.js';
import type { CompiledMethod } from '../../runtime/compiled.js';
import { mocoV3 } from '../../library/mocoV3.js';
import { stStorm } from '../../library/stStorm.js';
import { encodeSafetensors, type NamedTensor } from '../../runtime/checkpoint/safetensors.js';
import { initModule, InitError, renameTensors } from '../../runtime/init.js';

const root = mkdtempSync(join(tmpdir(), 'tessera-init-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The variables of `module` in `c` as named tensors `prefix + path`. */
const tensorsOf = (
  c: CompiledMethod,
  module: string,
  prefix: string,
): Record<string, NamedTensor> =>
  Object.fromEntries(
    Object.entries(c.variables())
      .filter(([k]) => k.startsWith(`${module}/`))
      .map(([k, v]) => [
        `${prefix}${k.slice(module.length + 1)}`,
        { dtype: 'F32', shape: v.shape, data: Float32Array.from(v.dataSync()) } as NamedTensor,
      ]),
  );
const write = (name: string, tensors: Record<string, NamedTensor>): string => {
  const file = join(root, name);
  writeFileSync(file, encodeSafetensors(tensors));
  return file;
};
const message = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'no error',
    (e: Error) => `${e.name}: ${e.message}`,
  );

describe('initialising a module from weights', () => {
  let moco: CompiledMethod;
  let storm: CompiledMethod;
  let source: Record<string, NamedTensor>;

  beforeAll(async () => {
    moco = await compile(mocoV3({ preset: 'tiny', backbone: 'resnet' }), { backend: 'wasm' });
    moco.init(7);
    storm = await compile(stStorm({ preset: 'tiny' }), { backend: 'wasm' });
    storm.init(0);
    source = tensorsOf(moco, 'backbone', 'backbone/');
  }, 120_000);
  afterAll(() => {
    moco.dispose();
    storm.dispose();
  });

  test("MoCo v3's tiny ResNet backbone (an export-like file, prefix backbone/) loads into ST-STORM's semBackbone and its key encoder", async () => {
    const file = write('moco.safetensors', source);
    await initModule(storm, { module: 'semBackbone', file });
    const loaded = tensorsOf(storm, 'semBackbone', 'backbone/');
    const follower = tensorsOf(storm, 'semBackboneKey', 'backbone/');
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(source).sort());
    for (const [k, t] of Object.entries(source)) {
      expect(loaded[k]!.data).toEqual(t.data);
      expect(follower[k]!.data).toEqual(t.data);
    }
  });

  test('every missing, extra and mis-shaped tensor is named in one error with a hint', async () => {
    const names = Object.keys(source);
    const broken = { ...source };
    delete broken[names[0]!];
    broken['backbone/unused.weight'] = { dtype: 'F32', shape: [2], data: new Float32Array(2) };
    const shaped = names[1]!;
    broken[shaped] = { dtype: 'F32', shape: [3], data: new Float32Array(3) };
    const text = await message(
      initModule(storm, { module: 'semBackbone', file: write('broken.safetensors', broken) }),
    );
    expect(text).toContain('InitError');
    expect(text).toContain('(3 problems)');
    expect(text).toContain(`missing: "${names[0]!.slice('backbone/'.length)}"`);
    expect(text).toContain(`mis-shaped: "${shaped}" is [3]`);
    expect(text).toContain('extra: "backbone/unused.weight" [2] matches no parameter');
    expect(text).toContain('hint:');
  });

  test('a key map renames the file (prefix rewrites, longest first); unknown modules and files are clear errors', async () => {
    const renamed = Object.fromEntries(
      Object.entries(source).map(([k, t]) => [k.replace('backbone/', 'encoder.trunk.'), t]),
    );
    const file = write('renamed.safetensors', renamed);
    await initModule(storm, { module: 'semBackbone', file, keyMap: { 'encoder.trunk.': '' } });
    expect(renameTensors(['a/x', 'a/b/y'], { 'a/': 'p.', 'a/b/': 'q.' })).toEqual(
      new Map([
        ['p.x', 'a/x'],
        ['q.y', 'a/b/y'],
      ]),
    );
    expect(await message(initModule(storm, { module: 'nope', file }))).toMatch(
      /no module "nope" with parameters\nhint: modules: .*semBackbone/,
    );
    expect(
      await message(
        initModule(storm, { module: 'semBackbone', file: join(root, 'absent.safetensors') }),
      ),
    ).toMatch(/cannot read the file/);
    await expect(
      initModule(storm, { module: 'semBackbone', file, keyMap: { wrong: '' } }),
    ).rejects.toBeInstanceOf(InitError);
  });
});
