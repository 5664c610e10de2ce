/**
 * The namespace rewriting of `codegen` on small in-memory projects: imports through
 * `export *`, renamed and type re-exports, default and namespace imports, type-only generic
 * imports and load-time side effects become one module that type-checks and computes what the
 * original modules compute; unsupported patterns fail at emit time with a `CodegenError`.
 */
import { Project } from 'ts-morph';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { CodegenError, collectUnits } from '../../codegen/closure.js';
import { emitStepModule } from '../../codegen/emit.js';
import { isEmptyUnit, namespaceText } from '../../codegen/namespace.js';
import { prune, PRUNED_STAND_IN } from '../../codegen/prune.js';
import { compileGraph } from '../../runtime/compile.js';
import { mocoV3 } from '../../library/mocoV3.js';

const project = (files: Readonly<Record<string, string>>, folder = 'src'): Project => {
  const p = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
    },
  });
  for (const [name, text] of Object.entries(files))
    p.createSourceFile(`/repo/${folder}/${name}`, text);
  return p;
};

/** The namespaces of the closure of `src/main.ts` plus `tail`, as one module source. */
const emitModule = (p: Project, tail: string): { text: string; files: ReadonlyArray<string> } => {
  const { units } = collectUnits([p.getSourceFileOrThrow('/repo/src/main.ts')], '/repo');
  return { text: [...units.map(namespaceText), tail].join('\n'), files: units.map((u) => u.rel) };
};

const PATTERNS = {
  'main.ts': [
    "import { twice, type Shape } from './barrel.js';",
    "import square, { renamed } from './lib.js';",
    "import * as leaf from './leaf.js';",
    "import type { Box } from './types.js';",
    "import './effect.js';",
    'export const main = (): ReadonlyArray<unknown> => {',
    '  const b: Box<number> = { value: 2 };',
    '  const s: Shape = { side: 3 };',
    '  return [twice(b.value), square(s.side), renamed, leaf.three, { renamed }, (globalThis as Record<string, unknown>)["__effect"]];',
    '};',
  ].join('\n'),
  'barrel.ts': "export * from './math.js';\nexport { type Shape } from './shapes.js';\n",
  'math.ts': 'export const twice = (x: number): number => 2 * x;\n',
  'shapes.ts': 'export interface Shape { readonly side: number }\n',
  'lib.ts':
    'const inner = 5;\nexport { inner as renamed };\nexport default function square(x: number): number { return x * x; }\n',
  'leaf.ts': 'export const three = 3;\n',
  'types.ts': 'export interface Box<T> { readonly value: T }\n',
  'effect.ts': '(globalThis as Record<string, unknown>)["__effect"] = 7;\nexport {};\n',
};

describe('namespace rewriting', () => {
  test('resolves re-exports, default, namespace and type imports; keeps side effects; type-checks and runs', () => {
    const p = project(PATTERNS);
    const { text, files } = emitModule(p, 'export const result = src_main.main();\n');
    // the barrel only re-exports: imports resolve through it, so it is not embedded
    expect([...files].sort()).toEqual([
      'src/effect.ts',
      'src/leaf.ts',
      'src/lib.ts',
      'src/main.ts',
      'src/math.ts',
      'src/shapes.ts',
      'src/types.ts',
    ]);
    expect(files.indexOf('src/effect.ts')).toBeLessThan(files.indexOf('src/main.ts'));
    expect(text).toContain('import twice = src_math.twice;');
    expect(text).toContain('const b: src_types.Box<number>');
    const out = p.createSourceFile('/repo/out.ts', text);
    expect(
      out
        .getPreEmitDiagnostics()
        .map((d) =>
          ts.flattenDiagnosticMessageText(
            d.getMessageText() as string | ts.DiagnosticMessageChain,
            '\n',
          ),
        ),
    ).toEqual([]);
    const js = ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const exports: { result?: unknown } = {};
    new Function('exports', js)(exports);
    expect(exports.result).toEqual([4, 9, 5, 3, { renamed: 5 }, 7]);
  });

  const failing: ReadonlyArray<readonly [string, Readonly<Record<string, string>>, RegExp]> = [
    [
      'a package other than TF.js',
      { 'main.ts': "import { pipe } from 'fp-ts/function';\nexport const f = pipe;\n" },
      /imports "fp-ts\/function"; an emitted step may import only @tensorflow\/tfjs/,
    ],
    [
      'a dynamic import',
      { 'main.ts': "export const f = () => import('./x.js');\n", 'x.ts': 'export const x = 1;\n' },
      /dynamic import\(\) is not supported/,
    ],
    [
      'top-level await',
      { 'main.ts': 'export const x = await Promise.resolve(1);\n' },
      /top-level await is not supported/,
    ],
    [
      'import.meta',
      { 'main.ts': 'export const u = import.meta.url;\n' },
      /import\.meta is not supported/,
    ],
    [
      'a value import cycle',
      {
        'main.ts': "import { y } from './y.js';\nexport const x = () => y;\n",
        'y.ts': "import { x } from './main.js';\nexport const y = () => x;\n",
      },
      /value import cycle: src\/main\.ts -> src\/y\.ts -> src\/main\.ts/,
    ],
    [
      'an anonymous default export',
      {
        'main.ts': "import f from './f.js';\nexport const g = f;\n",
        'f.ts': 'export default function () { return 1; }\n',
      },
      /anonymous default export/,
    ],
    [
      'import * of a re-exporting module',
      {
        'main.ts': "import * as b from './b.js';\nexport const g = b.x;\n",
        'b.ts': "export * from './x.js';\n",
        'x.ts': 'export const x = 1;\n',
      },
      /import \* as b from a module that re-exports/,
    ],
    [
      'declare global',
      { 'main.ts': 'declare global { var z: number }\nexport const g = 1;\n' },
      /module augmentation/,
    ],
  ];
  test.each(failing)('fails loudly on %s', (_what, files, message) => {
    const p = project(files);
    expect(() => emitModule(p, '')).toThrow(CodegenError);
    expect(() => emitModule(p, '')).toThrow(message);
  });

  test('a graph value JSON cannot hold is refused before emitting', () => {
    const g = compileGraph(mocoV3({ preset: 'tiny', backbone: 'vit', batch: 4 }));
    const broken = {
      ...g,
      nodes: g.nodes.map((n, i) => (i === 0 ? { ...n, flops: Number.POSITIVE_INFINITY } : n)),
    };
    expect(() => emitStepModule(broken)).toThrow(
      /graph\.nodes\[0\]\.flops is Infinity, which JSON cannot hold/,
    );
  });

  test('pruning keeps what the graph reaches, every effect, and throws on a pruned rule', () => {
    const p = project(
      {
        'index.ts': [
          "import { aRule, bRule } from './rules.js';",
          'export const netRules = { A: aRule, B: bRule };',
          'export const run = (tag: string, x: number): number => (netRules as Record<string, (x: number) => number>)[tag]!(x);',
        ].join('\n'),
        'rules.ts': [
          'const helperB = (x: number): number => x * 10;',
          'export const aRule = (x: number): number => x + HALF * 2;',
          'export const bRule = (x: number): number => helperB(x);',
          'export const HALF = Math.log(Math.E) / 2;',
          'export const unusedThing = 5;',
          'export const effectful = ((globalThis as Record<string, unknown>)["__pruneEffect"] = 11);',
        ].join('\n'),
        'main.ts':
          "import { run } from './index.js';\nexport const main = (): number => run('A', 1);\nexport function unused(): number { return 2; }\n",
      },
      'compiler/lower/nets',
    );
    const { units } = collectUnits(
      [p.getSourceFileOrThrow('/repo/compiler/lower/nets/main.ts')],
      '/repo',
    );
    const main = units.find((u) => u.rel.endsWith('main.ts'))!;
    const pruned = prune(
      units,
      { nets: [{ _tag: 'A' }] },
      main.file.getStatements().filter((s) => s.getText().includes('const main')),
    );
    expect(pruned.entries).toEqual(['netRules.B']);
    const text = [
      PRUNED_STAND_IN,
      ...units.filter((u) => !isEmptyUnit(u)).map(namespaceText),
      'export const result = compiler_lower_nets_main.main();',
      'export const runB = () => compiler_lower_nets_index.run("B", 1);',
    ].join('\n');
    expect(text).toContain('B: codegenPruned("net kind \\"B\\"")');
    for (const gone of ['helperB', 'bRule', 'unusedThing', 'function unused'])
      expect(text).not.toContain(gone);
    for (const kept of ['export const HALF', 'export const effectful', 'export const aRule'])
      expect(text).toContain(kept);
    const out = p.createSourceFile('/repo/out.ts', text);
    expect(
      out
        .getPreEmitDiagnostics()
        .map((d) =>
          ts.flattenDiagnosticMessageText(
            d.getMessageText() as string | ts.DiagnosticMessageChain,
            '\n',
          ),
        ),
    ).toEqual([]);
    const js = ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const exports: { result?: unknown; runB?: () => number } = {};
    new Function('exports', js)(exports);
    expect(exports.result).toBe(2);
    expect((globalThis as Record<string, unknown>)['__pruneEffect']).toBe(11);
    expect(() => exports.runB!()).toThrow('net kind "B" was pruned from this emitted step');
  });
});
