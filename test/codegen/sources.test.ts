/**
 * The sources `emitStep` embeds, as the installed package ships them: `sourceFiles` (what the
 * build copies to `dist/sources`) is enough to emit the same module, and `sourceRoot` finds the
 * copy next to the bundle or the checkout above a source file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CodegenError } from '../../codegen/closure.js';
import { emitStepModule } from '../../codegen/emit.js';
import { ENTRY, GRAPH, SOURCES_DIR, sourceFiles, sourceRoot } from '../../codegen/sources.js';
import { compileGraph } from '../../runtime/compile.js';
import { mocoV3 } from '../../library/mocoV3.js';

const root = path.resolve(import.meta.dirname, '../..');
const temps: string[] = [];
afterAll(async () => {
  for (const t of temps) await fs.rm(t, { recursive: true, force: true });
});

describe('codegen sources', () => {
  const files = sourceFiles(root);

  it('lists the lowering entry, the graph and what they import; no CLI, tests, benchmarks or packages', () => {
    expect(files).toContain(ENTRY);
    expect(files).toContain(GRAPH);
    expect(files.filter((f) => f.startsWith('compiler/lower/')).length).toBeGreaterThan(10);
    expect(files.filter((f) => f.startsWith('codegen/'))).toEqual([]);
    expect(files.filter((f) => /^(cli|test|bench|examples)\/|node_modules/.test(f))).toEqual([]);
    expect(files.every((f) => f.endsWith('.ts'))).toBe(true);
  });

  it('finds the checkout above a source folder, the bundled copy next to dist/, and fails with a hint elsewhere', async () => {
    expect(sourceRoot(path.join(root, 'codegen'))).toBe(root);
    const dist = await fs.mkdtemp(path.join(root, '.sources-test-'));
    temps.push(dist);
    await fs.mkdir(path.join(dist, SOURCES_DIR, path.dirname(ENTRY)), { recursive: true });
    await fs.writeFile(path.join(dist, SOURCES_DIR, ENTRY), '');
    expect(sourceRoot(dist)).toBe(path.join(dist, SOURCES_DIR));
    expect(() => sourceRoot('/')).toThrow(CodegenError);
    expect(() => sourceRoot('/')).toThrow(/hint: reinstall tessera/);
  });

  it('a copy of exactly those files emits the same module as the checkout', async () => {
    const copy = await fs.mkdtemp(path.join(root, '.sources-test-'));
    temps.push(copy);
    for (const f of files) {
      await fs.mkdir(path.join(copy, path.dirname(f)), { recursive: true });
      await fs.copyFile(path.join(root, f), path.join(copy, f));
    }
    const graph = compileGraph(mocoV3({ preset: 'tiny', backbone: 'vit', batch: 4 }));
    const fromCheckout = emitStepModule(graph, { prune: false });
    const fromCopy = emitStepModule(graph, { root: copy, prune: false });
    expect(fromCopy.files).toEqual(fromCheckout.files);
    expect(fromCopy.source).toBe(fromCheckout.source);
  });
});
