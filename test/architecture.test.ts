/**
 * Dependency direction (DESIGN.md section 1): the pure layers (`dsl/`, `compiler/ir/`,
 * `compiler/passes/`, `library/`) never import TF.js nor the layers that do (`compiler/lower`,
 * `compiler/codegen`, `runtime`, `data`, `eval`). ts-morph reads every static import, re-export,
 * dynamic `import()` and `require()` of those files.
 */
import * as path from 'node:path';
import { Node, Project, type SourceFile } from 'ts-morph';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const PURE = ['dsl', 'compiler/ir', 'compiler/passes', 'library'];
const IMPURE = ['compiler/lower', 'compiler/codegen', 'runtime', 'data', 'eval'];

/** Every module specifier a file imports, re-exports, `import()`s or `require()`s (string literals). */
const specifiers = (file: SourceFile): ReadonlyArray<string> => [
  ...file.getImportDeclarations().map((d) => d.getModuleSpecifierValue()),
  ...file.getExportDeclarations().flatMap((d) => d.getModuleSpecifierValue() ?? []),
  ...file.getDescendants().flatMap((n) => {
    if (!Node.isCallExpression(n)) return [];
    const callee = n.getExpression().getText();
    const arg = n.getArguments()[0];
    return (callee === 'import' || callee === 'require') && arg !== undefined && Node.isStringLiteral(arg) ? [arg.getLiteralValue()] : [];
  }),
];

/** Why `spec` imported from `file` breaks the dependency direction, or undefined. */
const violation = (file: string, spec: string, base: string): string | undefined => {
  if (spec.startsWith('@tensorflow/')) return `imports TF.js (${spec})`;
  if (!spec.startsWith('.')) return undefined;
  const target = path.relative(base, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
  const layer = IMPURE.find((dir) => target === dir || target.startsWith(`${dir}/`));
  return layer === undefined ? undefined : `imports ${layer} (${spec})`;
};

/** Every violation in the pure folders of a project rooted at `base`. */
const violations = (project: Project, base: string): ReadonlyArray<string> =>
  project.getSourceFiles().flatMap((f) => {
    const rel = path.relative(base, f.getFilePath()).split(path.sep).join('/');
    if (!PURE.some((dir) => rel.startsWith(`${dir}/`))) return [];
    return specifiers(f).flatMap((s) => {
      const why = violation(f.getFilePath(), s, base);
      return why === undefined ? [] : [`${rel} ${why}`];
    });
  });

describe('architecture', () => {
  it('keeps dsl, compiler/ir, compiler/passes and library free of TF.js and of the layers that use it', () => {
    const project = new Project({ skipAddingFilesFromTsConfig: true, skipFileDependencyResolution: true });
    for (const dir of PURE) project.addSourceFilesAtPaths(path.join(root, dir, '**/*.ts'));
    const files = project.getSourceFiles();
    expect(files.length).toBeGreaterThan(20);
    expect(files.some((f) => f.getFilePath().includes('/compiler/passes/resolve.ts'))).toBe(true);
    expect(violations(project, root)).toEqual([]);
  });

  it('catches every kind of forbidden import (checked on an in-memory project)', () => {
    const project = new Project({ useInMemoryFileSystem: true });
    const base = '/repo';
    project.createSourceFile(`${base}/dsl/a.ts`, "import * as tf from '@tensorflow/tfjs';\nimport { x } from '../runtime/rng.js';\n");
    project.createSourceFile(`${base}/compiler/ir/b.ts`, "export { y } from '../lower/nets/index.js';\nexport const ok = 1;\n");
    project.createSourceFile(`${base}/compiler/passes/c.ts`, "const m = await import('../../data/stats.js');\nconst r = require('../../eval/probe.js');\n");
    project.createSourceFile(`${base}/library/d.ts`, "import type { T } from '../compiler/codegen/emit.js';\nimport { ok } from '../compiler/ir/b.js';\n");
    project.createSourceFile(`${base}/runtime/e.ts`, "import * as tf from '@tensorflow/tfjs';\n");
    expect([...violations(project, base)].sort()).toEqual([
      'dsl/a.ts imports TF.js (@tensorflow/tfjs)',
      'dsl/a.ts imports runtime (../runtime/rng.js)',
      'compiler/ir/b.ts imports compiler/lower (../lower/nets/index.js)',
      'compiler/passes/c.ts imports data (../../data/stats.js)',
      'compiler/passes/c.ts imports eval (../../eval/probe.js)',
      'library/d.ts imports compiler/codegen (../compiler/codegen/emit.js)',
    ].sort());
  });
});
