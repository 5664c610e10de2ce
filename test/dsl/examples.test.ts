/**
 * Every `@example` in the DSL sources is type-checked (with ts-morph, against the real sources) and
 * run, so examples cannot rot; every exported value of the DSL has one.
 */
import { pipe } from 'fp-ts/lib/function.js';
import { Node, Project, ts } from 'ts-morph';
import { beforeAll, describe, expect, test } from 'vitest';
import * as dsl from '../../dsl/index.js';

interface Example {
  readonly where: string;
  readonly code: string;
}

const root = new URL('../../', import.meta.url).pathname;
const project = new Project({
  tsConfigFilePath: `${root}tsconfig.json`,
  skipAddingFilesFromTsConfig: true,
});
const sources = project.addSourceFilesAtPaths(`${root}dsl/**/*.ts`);

const fenced = (text: string): string =>
  text.replace(/^\s*```ts\s*\n?/, '').replace(/\n?\s*```\s*$/, '');

/** Exported consts / functions (all overloads together) of the DSL with their `@example` code. */
const exported = sources.flatMap((sf) =>
  [...sf.getExportedDeclarations()].flatMap(([name, decls]) => {
    const own = decls.filter(
      (d) =>
        d.getSourceFile() === sf &&
        (Node.isVariableDeclaration(d) || Node.isFunctionDeclaration(d)),
    );
    if (own.length === 0) return [];
    const where = `${sf.getFilePath().slice(root.length)}:${name}`;
    const tags = own.flatMap((d) => {
      const host = Node.isVariableDeclaration(d) ? d.getVariableStatementOrThrow() : d;
      const overloads = Node.isFunctionDeclaration(d) ? d.getOverloads() : [];
      return [host, ...overloads]
        .flatMap((h) => (Node.isJSDocable(h) ? h.getJsDocs() : []))
        .flatMap((doc) => doc.getTags());
    });
    const examples = tags
      .filter((t) => t.getTagName() === 'example')
      .map((t): Example => ({ where, code: fenced(t.getCommentText() ?? '') }));
    return [{ where, examples: [...new Map(examples.map((e) => [e.code, e])).values()] }];
  }),
);
const examples = exported.flatMap((e) => e.examples);
const internal = new Set(['dsl/types.ts']);

describe('DSL examples', () => {
  test('every exported DSL value has an @example', () => {
    const missing = exported.filter(
      (e) => e.examples.length === 0 && !internal.has(e.where.split(':')[0] ?? ''),
    );
    expect(missing.map((e) => e.where)).toEqual([]);
    expect(examples.length).toBeGreaterThan(80);
  });

  let diagnostics: ReadonlyArray<string> = [];
  beforeAll(() => {
    const names = Object.keys(dsl).join(', ');
    const header = [
      `import { pipe } from 'fp-ts/lib/function.js';`,
      `import { ${names} } from '../../../dsl/index.js';`,
      `import type { Img, Tok, Vec, Idx } from '../../../dsl/index.js';`,
      'export {};',
    ];
    const body = examples.map((e) => `// ${e.where}\n{\n${e.code}\n}`);
    const file = project.createSourceFile(
      `${root}test/dsl/__examples__/all.ts`,
      [...header, ...body].join('\n'),
      { overwrite: true },
    );
    diagnostics = file.getPreEmitDiagnostics().map((d) => {
      const line = d.getLineNumber() ?? 0;
      const owner =
        file
          .getFullText()
          .split('\n')
          .slice(0, line)
          .reverse()
          .find((l) => l.startsWith('// dsl/')) ?? '?';
      return `${owner}: ${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, '\n')}`;
    });
  }, 120_000);

  test('every example type-checks', () => {
    expect(diagnostics).toEqual([]);
  });

  test.each(examples.map((e, i) => [`${i} ${e.where}`, e] as const))('runs: %s', (_name, e) => {
    const js = ts.transpileModule(e.code, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None },
    }).outputText;
    const names = Object.keys(dsl);
    const run = new Function('pipe', ...names, `${js}`);
    expect(() => run(pipe, ...names.map((n) => (dsl as Record<string, unknown>)[n]))).not.toThrow();
  });
});
