/**
 * CLI start-up: `tessera --help`, `check`, `spec`, `graph`, `diff` must not load TF.js, its wasm
 * backend, ts-morph or sharp. ts-morph follows the static value imports (not `import type`, not
 * `import()`) from `cli/main.ts`; the commands that compute load those packages with `import()`.
 */
import * as path from 'node:path';
import {
  Node,
  Project,
  type ExportDeclaration,
  type ImportDeclaration,
  type SourceFile,
} from 'ts-morph';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const HEAVY = /^(@tensorflow\/|ts-morph$|sharp$)/;

/** Whether an import declaration loads its module at run time (`import type` and all-type named imports do not). */
const loadsModule = (d: ImportDeclaration | ExportDeclaration): boolean => {
  if (d.isTypeOnly()) return false;
  if (Node.isExportDeclaration(d)) return true;
  const clause = d.getImportClause();
  if (
    clause === undefined ||
    clause.getDefaultImport() !== undefined ||
    clause.getNamespaceImport() !== undefined
  )
    return true;
  const named = clause.getNamedImports();
  return named.length === 0 || named.some((s) => !s.isTypeOnly());
};

/** Heavy packages the static value imports from `entry` reach, each with the file that imports it. */
const heavyImports = (project: Project, entry: string): ReadonlyArray<string> => {
  const seen = new Set<string>();
  const found: string[] = [];
  const visit = (file: SourceFile): void => {
    if (seen.has(file.getFilePath())) return;
    seen.add(file.getFilePath());
    for (const d of [...file.getImportDeclarations(), ...file.getExportDeclarations()].filter(
      loadsModule,
    )) {
      const spec = d.getModuleSpecifierValue();
      if (spec === undefined) continue;
      if (HEAVY.test(spec)) found.push(`${spec} <- ${path.relative(root, file.getFilePath())}`);
      if (!spec.startsWith('.')) continue;
      const target = project.addSourceFileAtPathIfExists(
        path.resolve(path.dirname(file.getFilePath()), spec.replace(/\.js$/, '.ts')),
      );
      if (target === undefined) throw new Error(`${file.getFilePath()}: cannot find ${spec}`);
      visit(target);
    }
  };
  visit(project.addSourceFileAtPath(entry));
  expect(seen.size).toBeGreaterThan(2);
  return found;
};

describe('CLI start-up', () => {
  it('loads no TF.js, wasm backend, ts-morph or sharp until a command that computes runs', () => {
    const project = new Project({
      skipAddingFilesFromTsConfig: true,
      skipFileDependencyResolution: true,
    });
    expect(heavyImports(project, path.join(root, 'cli/main.ts'))).toEqual([]);
    expect(
      project.getSourceFiles().some((f) => f.getFilePath().endsWith('cli/commands/train.ts')),
    ).toBe(true);
  });

  it('finds a heavy package behind static imports, and not behind import() or import type (in-memory project)', () => {
    const project = new Project({
      useInMemoryFileSystem: true,
      skipFileDependencyResolution: true,
    });
    project.createSourceFile(
      '/r/main.ts',
      "import { a } from './a.js';\nimport type { T } from './t.js';\nexport const run = async () => (await import('./lazy.js')).x;\n",
    );
    project.createSourceFile('/r/a.ts', "export { b as a } from './b.js';\n");
    project.createSourceFile(
      '/r/b.ts',
      "import * as tf from '@tensorflow/tfjs';\nimport { type Tensor } from '@tensorflow/tfjs-core';\nexport const b = tf;\n",
    );
    project.createSourceFile(
      '/r/t.ts',
      "import sharp from 'sharp';\nexport type T = typeof sharp;\n",
    );
    project.createSourceFile(
      '/r/lazy.ts',
      "import { Project } from 'ts-morph';\nexport const x = Project;\n",
    );
    expect(heavyImports(project, '/r/main.ts').map((s) => s.split(' <- ')[0])).toEqual([
      '@tensorflow/tfjs',
    ]);
  });
});
