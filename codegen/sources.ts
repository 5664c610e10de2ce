/**
 * Where `emitStep` reads tessera's own lowering sources, and which files those are. In a checkout
 * they are the repository's files; in the installed package the build copies them to
 * `dist/sources/` (`sourceFiles` lists them: everything the entry files import, found by
 * following their imports, so moving a folder needs no list to be updated).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Project, ts, type SourceFile } from 'ts-morph';
import { CodegenError } from './closure.js';

/** The files an emitted module starts from: the lowering entry and the graph's type. */
export const ENTRY = 'runtime/compiled.ts';
export const GRAPH = 'compiler/ir/graph.ts';

/** The folder, next to the bundled CLI in `dist/`, holding the copied sources. */
export const SOURCES_DIR = 'sources';

/** Compiler options of the source project (the repository's `tsconfig.json` is not shipped). */
const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: [],
};

/**
 * The folder holding tessera's sources, seen from `from` (default: this module's folder):
 * `from/sources` when this code runs bundled in `dist/`, else the nearest folder above `from`
 * that has `ENTRY` (a checkout).
 */
export const sourceRoot = (from: string = path.dirname(fileURLToPath(import.meta.url))): string => {
  const bundled = path.join(from, SOURCES_DIR);
  if (existsSync(path.join(bundled, ENTRY))) return bundled;
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, ENTRY))) return dir;
    if (path.dirname(dir) === dir) break;
  }
  throw new CodegenError(
    `tessera's lowering sources (${ENTRY}) are neither in ${bundled} nor in a folder above ${from}\nhint: reinstall tessera, or run \`npm run build\` in a checkout`,
  );
};

/** The source project under `root` with the entry files and everything they import. */
export const openSources = (
  root: string,
): { project: Project; entry: SourceFile; graph: SourceFile } => {
  const project = new Project({
    compilerOptions: COMPILER_OPTIONS,
    skipAddingFilesFromTsConfig: true,
  });
  let entry: SourceFile, graph: SourceFile;
  try {
    entry = project.addSourceFileAtPath(path.join(root, ENTRY));
    graph = project.addSourceFileAtPath(path.join(root, GRAPH));
  } catch (e) {
    throw new CodegenError(
      `tessera's sources are not under ${root} (${(e as Error).message})\nhint: reinstall tessera, or run \`npm run build\` in a checkout`,
    );
  }
  project.resolveSourceFileDependencies();
  return { project, entry, graph };
};

const posix = (rel: string): string => rel.split(path.sep).join('/');

/**
 * The `root`-relative paths (`/`-separated, sorted) of every tessera file the entry files import,
 * directly or not (imports, type imports and re-exports of relative `.js` paths; read, not type-checked).
 */
export const sourceFiles = (root: string): ReadonlyArray<string> => {
  const project = new Project({
    compilerOptions: COMPILER_OPTIONS,
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
  });
  const seen = new Set<string>();
  const queue = [ENTRY, GRAPH];
  for (let rel = queue.shift(); rel !== undefined; rel = queue.shift()) {
    if (seen.has(rel)) continue;
    seen.add(rel);
    const file = project.addSourceFileAtPathIfExists(path.join(root, rel));
    if (file === undefined)
      throw new CodegenError(`${rel}, imported by the lowering, is missing under ${root}`);
    for (const d of [...file.getImportDeclarations(), ...file.getExportDeclarations()]) {
      const spec = d.getModuleSpecifierValue();
      if (spec?.startsWith('.'))
        queue.push(
          posix(
            path.relative(
              root,
              path.resolve(path.dirname(file.getFilePath()), spec.replace(/\.js$/, '.ts')),
            ),
          ),
        );
    }
  }
  return [...seen].sort();
};
