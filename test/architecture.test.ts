/**
 * The layers (README "How it works"), bottom to top; a folder may import only its own layer and
 * the layers below, never a folder above, and no two folders may import each other (directly or
 * through others). ts-morph reads every static import, re-export, dynamic `import()` and
 * `require()` of every source file outside `test/`. The pure layers also never import TF.js.
 */
import * as path from 'node:path';
import { Node, Project, SyntaxKind, type SourceFile } from 'ts-morph';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

/**
 * The layers, bottom to top, each a list of folders (`compiler` alone means the files directly in
 * `compiler/`, e.g. `check.ts`; a file belongs to the longest folder that contains it).
 */
const LAYERS: ReadonlyArray<ReadonlyArray<string>> = [
  ['compiler/ir'], // the IR and its shared pure utilities (issues, seeded RNG)
  ['dsl', 'compiler/passes', 'compiler'], // the DSL and the checking passes
  ['compiler/lower'], // the lowering: a pure compiled step (augmentation and masks included)
  ['runtime'], // the state: parameter store, optimizers, EMA, checkpoints, loop, backend, compile()
  ['codegen', 'data', 'eval'], // the standalone step emitter, datasets, probes
  ['library'], // the built-in methods
  ['index.ts'], // the package entry
  ['bench'],
  ['cli', 'examples', 'scripts', 'vitest.config.ts'],
];
/** Folders that must not import TF.js. */
const PURE = ['compiler/ir', 'dsl', 'compiler/passes', 'compiler', 'library'];

/** One import of a file: its specifier and line. */
interface Import {
  readonly spec: string;
  readonly line: number;
}

/** Every module specifier a file imports, re-exports, `import()`s or `require()`s (string literals). */
const imports = (file: SourceFile): ReadonlyArray<Import> => [
  ...file
    .getImportDeclarations()
    .map((d) => ({ spec: d.getModuleSpecifierValue(), line: d.getStartLineNumber() })),
  ...file.getExportDeclarations().flatMap((d) => {
    const spec = d.getModuleSpecifierValue();
    return spec === undefined ? [] : [{ spec, line: d.getStartLineNumber() }];
  }),
  ...(/\b(import|require)\s*\(/.test(file.getFullText())
    ? file.getDescendantsOfKind(SyntaxKind.CallExpression)
    : []
  ).flatMap((n) => {
    const callee = n.getExpression().getText();
    const arg = n.getArguments()[0];
    const isLoad =
      (callee === 'import' || callee === 'require') &&
      arg !== undefined &&
      Node.isStringLiteral(arg);
    return isLoad ? [{ spec: arg.getLiteralValue(), line: n.getStartLineNumber() }] : [];
  }),
];

/** The folder of the layer table a repository-relative path belongs to, or undefined. */
const folderOf = (rel: string): string | undefined => {
  const folders = LAYERS.flat().filter((f) => rel === f || rel.startsWith(`${f}/`));
  const nested = folders.filter(
    (f) => f !== 'compiler' || !rel.slice('compiler/'.length).includes('/'),
  );
  return [...nested].sort((a, b) => b.length - a.length)[0];
};

const layerOf = (folder: string): number => LAYERS.findIndex((l) => l.includes(folder));

/** One folder-to-folder import, with where it is written. */
interface Edge {
  readonly from: string;
  readonly to: string;
  readonly at: string;
}

/** Every import of the project's source files, as folder edges, and the files outside any folder. */
const edgesOf = (
  project: Project,
  base: string,
): { edges: ReadonlyArray<Edge>; tfjs: ReadonlyArray<string>; unplaced: ReadonlyArray<string> } => {
  const edges: Edge[] = [];
  const tfjs: string[] = [];
  const unplaced: string[] = [];
  for (const file of project.getSourceFiles()) {
    const rel = path.relative(base, file.getFilePath()).split(path.sep).join('/');
    const from = folderOf(rel);
    if (from === undefined) {
      unplaced.push(rel);
      continue;
    }
    for (const { spec, line } of imports(file)) {
      const at = `${rel}:${line} imports ${spec}`;
      if (spec.startsWith('@tensorflow/') && PURE.includes(from))
        tfjs.push(`${at} (TF.js in a pure layer)`);
      if (!spec.startsWith('.')) continue;
      const target = path
        .relative(base, path.resolve(path.dirname(file.getFilePath()), spec))
        .split(path.sep)
        .join('/');
      const to = folderOf(target.replace(/\.js$/, '.ts'));
      if (to !== undefined && to !== from) edges.push({ from, to, at });
    }
  }
  return { edges, tfjs, unplaced };
};

/** The folder cycles (strongly connected components of more than one folder), each with its imports. */
const cycles = (edges: ReadonlyArray<Edge>): ReadonlyArray<string> => {
  const next = new Map<string, Set<string>>();
  for (const e of edges) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
  const reaches = (a: string, b: string): boolean => {
    const seen = new Set<string>();
    const todo = [a];
    while (todo.length > 0) {
      const x = todo.pop()!;
      if (x === b) return true;
      if (seen.has(x)) continue;
      seen.add(x);
      todo.push(...(next.get(x) ?? []));
    }
    return false;
  };
  return edges
    .filter((e) => reaches(e.to, e.from))
    .map((e) => `${e.at} (cycle ${e.from} -> ${e.to} -> ... -> ${e.from})`);
};

/** Every violation of the layer rules in a project rooted at `base`, one line each with its file and line. */
const violations = (project: Project, base: string): ReadonlyArray<string> => {
  const { edges, tfjs, unplaced } = edgesOf(project, base);
  const upward = edges
    .filter((e) => layerOf(e.to) > layerOf(e.from))
    .map(
      (e) =>
        `${e.at} (${e.from}, layer ${layerOf(e.from)}, imports ${e.to}, layer ${layerOf(e.to)} above it)`,
    );
  return [
    ...unplaced.map((f) => `${f} is in no layer (add its folder to LAYERS)`),
    ...tfjs,
    ...upward,
    ...cycles(edges),
  ];
};

describe('architecture', () => {
  it('every source folder imports only its layer and those below, with no cycles between folders', () => {
    const project = new Project({
      skipAddingFilesFromTsConfig: true,
      skipFileDependencyResolution: true,
    });
    project.addSourceFilesAtPaths([
      path.join(root, '**/*.ts'),
      `!${path.join(root, 'node_modules/**')}`,
      `!${path.join(root, 'test/**')}`,
      `!${path.join(root, 'dist/**')}`,
    ]);
    const files = project.getSourceFiles().map((f) => path.relative(root, f.getFilePath()));
    expect(files.length).toBeGreaterThan(150);
    expect(files).toContain(path.join('compiler', 'passes', 'resolve.ts'));
    expect(files).toContain(path.join('runtime', 'compiled.ts'));
    expect(violations(project, root)).toEqual([]);
  });

  it('lists every kind of violation with its file and line (checked on an in-memory project)', () => {
    const project = new Project({ useInMemoryFileSystem: true });
    const base = '/repo';
    const file = (rel: string, text: string): void =>
      void project.createSourceFile(`${base}/${rel}`, text);
    file(
      'dsl/a.ts',
      "import * as tf from '@tensorflow/tfjs';\nimport { x } from '../runtime/x.js';\n",
    );
    file('compiler/ir/b.ts', "export const ok = 1;\nexport { y } from '../lower/nets/index.js';\n");
    file(
      'compiler/passes/c.ts',
      "const m = await import('../../data/stats.js');\nconst r = require('../../eval/probe.js');\n",
    );
    file(
      'compiler/check.ts',
      "import { ok } from './ir/b.js';\nimport { s } from './lower/step.js';\n",
    );
    file('data/d.ts', "import { e } from '../eval/e.js';\n");
    file('eval/e.ts', "import { d } from '../data/d.js';\nimport { z } from '../runtime/z.js';\n");
    file('runtime/x.ts', "import * as tf from '@tensorflow/tfjs';\n");
    file('tools/f.ts', 'export const f = 1;\n');
    expect([...violations(project, base)].sort()).toEqual(
      [
        'tools/f.ts is in no layer (add its folder to LAYERS)',
        'dsl/a.ts:1 imports @tensorflow/tfjs (TF.js in a pure layer)',
        'dsl/a.ts:2 imports ../runtime/x.js (dsl, layer 1, imports runtime, layer 3 above it)',
        'compiler/ir/b.ts:2 imports ../lower/nets/index.js (compiler/ir, layer 0, imports compiler/lower, layer 2 above it)',
        'compiler/passes/c.ts:1 imports ../../data/stats.js (compiler/passes, layer 1, imports data, layer 4 above it)',
        'compiler/passes/c.ts:2 imports ../../eval/probe.js (compiler/passes, layer 1, imports eval, layer 4 above it)',
        'compiler/check.ts:2 imports ./lower/step.js (compiler, layer 1, imports compiler/lower, layer 2 above it)',
        'data/d.ts:1 imports ../eval/e.js (cycle data -> eval -> ... -> data)',
        'eval/e.ts:1 imports ../data/d.js (cycle eval -> data -> ... -> eval)',
      ].sort(),
    );
  });
});
