/**
 * The source closure of the lowered step: every tessera source file the lowering needs, found
 * with ts-morph from entry files by following imports *to the declaration they resolve to*
 * (re-exports, `export *` and renames are looked through, so barrel files that only re-export
 * are not needed). For each file it records the text edits that turn it into a namespace body
 * (`namespace.ts`): imports become `import X = Ns.Name` aliases (values) or qualified names
 * (types), re-exports are dropped, declarations that others import get an `export` keyword.
 *
 * Anything the namespace form cannot express fails here, loudly (`CodegenError`): imports of
 * packages other than TF.js, dynamic `import()`/`require`, `import.meta`, top-level `await`,
 * `declare global`, `export =`, anonymous default exports, value import cycles.
 */
import * as path from 'node:path';
import {
  Node,
  SyntaxKind,
  ts,
  type ImportDeclaration,
  type Identifier,
  type SourceFile,
  type Statement,
} from 'ts-morph';

/** An emit-time failure: the source pattern the namespace form does not support, and where. */
export class CodegenError extends Error {
  constructor(message: string) {
    super(`codegen: ${message}`);
    this.name = 'CodegenError';
  }
}

/** A replacement of `[start, end)` of a file's text by `text` (an insertion when start = end). */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** One source file of the closure. */
export interface Unit {
  readonly file: SourceFile;
  /** Repository-relative path, `/`-separated. */
  readonly rel: string;
  /** The namespace name it becomes, e.g. `compiler_lower_nets_index`. */
  readonly ns: string;
  /** Units whose values this one reads when it loads (must be declared before it). */
  readonly deps: Set<Unit>;
  readonly edits: Edit[];
  /** Value imports, each an `import local = target;` line in place of its import declaration. */
  readonly aliases: Alias[];
  /** Top-level statements pruning found unreachable (`prune.ts`). */
  readonly removed: Set<Statement>;
  /** Aliases no kept statement reads (`prune.ts`). */
  readonly unused: Set<Alias>;
}

/** A value import binding: `import <local> = <target>;` inside the namespace. */
export interface Alias {
  readonly decl: ImportDeclaration;
  readonly local: string;
  readonly target: string;
  /** The binding's symbol in the importing file (pruning tracks its uses). */
  readonly symbol: ts.Symbol | undefined;
}

/** Packages the emitted module may import, and how. */
export const TFJS = '@tensorflow/tfjs';
/** The wasm backend package: side-effect imports only. */
export const TFJS_WASM = '@tensorflow/tfjs-backend-wasm';

/** The namespace name of a repository-relative path: `compiler/lower/plan.ts` -> `compiler_lower_plan`. */
export const namespaceName = (rel: string): string =>
  rel.replace(/\.[cm]?tsx?$/, '').replace(/[^A-Za-z0-9_$]/g, '_');

const where = (node: Node): string =>
  `${node.getSourceFile().getBaseName()}:${node.getStartLineNumber()}`;

/** Fails on constructs that cannot live in a namespace of one standalone module. */
const checkSupported = (file: SourceFile, rel: string): void => {
  file.forEachDescendant((n) => {
    const at = `${rel}:${n.getStartLineNumber()}`;
    if (Node.isCallExpression(n)) {
      const callee = n.getExpression();
      if (callee.getKind() === SyntaxKind.ImportKeyword)
        throw new CodegenError(
          `${at}: dynamic import() is not supported\nhint: use a static import`,
        );
      if (Node.isIdentifier(callee) && callee.getText() === 'require')
        throw new CodegenError(`${at}: require() is not supported\nhint: use a static import`);
    }
    if (Node.isMetaProperty(n))
      throw new CodegenError(`${at}: ${n.getText()} is not supported in an emitted step`);
    if (
      Node.isAwaitExpression(n) &&
      n.getFirstAncestor((a) => Node.isFunctionLikeDeclaration(a)) === undefined
    ) {
      throw new CodegenError(
        `${at}: top-level await is not supported\nhint: move it into an async function`,
      );
    }
    if (Node.isModuleDeclaration(n) && n.getDeclarationKind() !== 'namespace') {
      throw new CodegenError(
        `${at}: module augmentation (${n.getText().split('{')[0]!.trim()}) is not supported`,
      );
    }
    if (
      Node.isImportEqualsDeclaration(n) &&
      Node.isExternalModuleReference(n.getModuleReference())
    ) {
      throw new CodegenError(`${at}: import = require() is not supported\nhint: use an ES import`);
    }
    if (Node.isExportAssignment(n) && n.isExportEquals())
      throw new CodegenError(
        `${at}: export = is not supported\nhint: use export default or named exports`,
      );
  });
};

/** The top-level statement holding a declaration. */
const statementOf = (decl: Node): Statement => {
  const sf = decl.getSourceFile();
  const top = decl.getParent() === sf ? decl : decl.getFirstAncestor((a) => a.getParent() === sf);
  if (top === undefined)
    throw new CodegenError(`${where(decl)}: exported declaration is not at the top level`);
  return top as Statement;
};

/** The whole-program state of a collection. */
interface Collector {
  readonly root: string;
  readonly units: Map<SourceFile, Unit>;
  readonly queue: SourceFile[];
  /** Statements already given their `export` edit. */
  readonly exported: Set<Statement>;
}

const unitOf = (c: Collector, file: SourceFile): Unit => {
  const known = c.units.get(file);
  if (known !== undefined) return known;
  const rel = path.relative(c.root, file.getFilePath()).split(path.sep).join('/');
  if (rel.startsWith('..') || rel.includes('node_modules/')) {
    throw new CodegenError(
      `${file.getFilePath()} is outside the tessera sources\nhint: only repository files can be embedded`,
    );
  }
  const unit: Unit = {
    file,
    rel,
    ns: namespaceName(rel),
    deps: new Set(),
    edits: [],
    aliases: [],
    removed: new Set(),
    unused: new Set(),
  };
  c.units.set(file, unit);
  c.queue.push(file);
  return unit;
};

/**
 * The namespace member a declaration is reached by, adding the edits that export it from its own
 * namespace (an `export` keyword; `export default function f` -> `export function f`;
 * `export default expr` -> `export const __default = expr`).
 */
const exportedName = (c: Collector, decl: Node, symbolName: string): string => {
  const stmt = statementOf(decl);
  const unit = unitOf(c, stmt.getSourceFile());
  const first = !c.exported.has(stmt);
  c.exported.add(stmt);
  if (Node.isExportAssignment(stmt)) {
    if (first)
      unit.edits.push({
        start: stmt.getStart(),
        end: stmt.getExpression().getStart(),
        text: 'export const __default = ',
      });
    return '__default';
  }
  if (!Node.isModifierable(stmt))
    throw new CodegenError(`${where(stmt)}: cannot export a ${stmt.getKindName()}`);
  const def = stmt.getModifiers().find((m) => m.getKind() === SyntaxKind.DefaultKeyword);
  let name = symbolName;
  if (def !== undefined) {
    const named =
      Node.isFunctionDeclaration(stmt) || Node.isClassDeclaration(stmt)
        ? stmt.getName()
        : undefined;
    if (named === undefined)
      throw new CodegenError(
        `${where(stmt)}: anonymous default export\nhint: give the function or class a name`,
      );
    if (first) unit.edits.push({ start: def.getStart(), end: def.getEnd() + 1, text: '' });
    name = named;
  }
  const hasExport = stmt.getModifiers().some((m) => m.getKind() === SyntaxKind.ExportKeyword);
  if (first && !hasExport)
    unit.edits.push({ start: stmt.getStart(), end: stmt.getStart(), text: 'export ' });
  return name;
};

/** Where an imported name really comes from: its unit, member name, and whether it is a value. */
const resolveName = (
  c: Collector,
  id: Identifier,
): { unit: Unit; name: string; value: boolean } => {
  let symbol = id.getSymbol();
  if (symbol === undefined)
    throw new CodegenError(`${where(id)}: cannot resolve "${id.getText()}"`);
  if (symbol.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
  const decls = symbol.getDeclarations();
  const decl = decls[0];
  if (decl === undefined)
    throw new CodegenError(`${where(id)}: "${id.getText()}" has no declaration`);
  if (Node.isSourceFile(decl))
    throw new CodegenError(
      `${where(id)}: "${id.getText()}" is a re-exported module (export * as)\nhint: import * as from the module itself`,
    );
  const files = new Set(decls.map((d) => d.getSourceFile()));
  if (files.size > 1)
    throw new CodegenError(
      `${where(id)}: "${id.getText()}" is declared in several files (declaration merging)`,
    );
  const name = exportedName(c, decl, symbol.getName());
  return {
    unit: unitOf(c, decl.getSourceFile()),
    name,
    value: (symbol.getFlags() & ts.SymbolFlags.Value) !== 0,
  };
};

/** Edits replacing every reference to an import binding by `qualified` (type positions). */
const qualify = (unit: Unit, local: Identifier, qualified: string): void => {
  const target = local.getSymbol()?.compilerSymbol;
  if (target === undefined) return;
  const decl = local.getFirstAncestorByKind(SyntaxKind.ImportDeclaration);
  for (const id of unit.file.getDescendantsOfKind(SyntaxKind.Identifier)) {
    if (
      id.getText() !== local.getText() ||
      id.getFirstAncestorByKind(SyntaxKind.ImportDeclaration) === decl
    )
      continue;
    if (id.getSymbol()?.compilerSymbol !== target) continue;
    if (Node.isShorthandPropertyAssignment(id.getParent()))
      throw new CodegenError(`${where(id)}: shorthand property of a type-only import`);
    unit.edits.push({ start: id.getStart(), end: id.getEnd(), text: qualified });
  }
};

/** One import binding: an alias for values, qualified references for types. */
const bind = (
  unit: Unit,
  decl: ImportDeclaration,
  local: Identifier,
  target: string,
  value: boolean,
): void => {
  if (!value) return qualify(unit, local, target);
  if (local.getText() !== target)
    unit.aliases.push({
      decl,
      local: local.getText(),
      target,
      symbol: local.getSymbol()?.compilerSymbol,
    });
};

/** The imports of TF.js itself: the module-level `tf` namespace stands for the package. */
const bindTfjs = (unit: Unit, decl: ImportDeclaration): void => {
  const clause = decl.getImportClause();
  if (clause === undefined) return;
  if (clause.getDefaultImport() !== undefined)
    throw new CodegenError(
      `${where(decl)}: default import of ${TFJS}\nhint: import * as tf from '${TFJS}'`,
    );
  const nsImport = clause.getNamespaceImport();
  if (nsImport !== undefined) bind(unit, decl, nsImport, 'tf', !decl.isTypeOnly());
  for (const spec of clause.getNamedImports()) {
    const local = spec.getAliasNode() ?? spec.getNameNode();
    if (!Node.isIdentifier(local))
      throw new CodegenError(`${where(spec)}: string import names are not supported`);
    bind(unit, decl, local, `tf.${spec.getName()}`, !decl.isTypeOnly() && !spec.isTypeOnly());
  }
};

/** Records the bindings of one relative import declaration of `unit`. */
const bindRelative = (c: Collector, unit: Unit, decl: ImportDeclaration, spec: string): void => {
  const target = decl.getModuleSpecifierSourceFile();
  if (target === undefined) throw new CodegenError(`${unit.rel}: cannot resolve "${spec}"`);
  const clause = decl.getImportClause();
  if (clause === undefined) unit.deps.add(unitOf(c, target));
  const nsImport = clause?.getNamespaceImport();
  if (nsImport !== undefined) {
    if (target.getExportDeclarations().some((d) => d.hasModuleSpecifier())) {
      throw new CodegenError(
        `${unit.rel}: import * as ${nsImport.getText()} from a module that re-exports ("${spec}")\nhint: import the names you need`,
      );
    }
    const t = unitOf(c, target);
    if (!decl.isTypeOnly()) unit.deps.add(t);
    bind(unit, decl, nsImport, t.ns, !decl.isTypeOnly());
  }
  const imported = [
    ...(clause?.getDefaultImport() !== undefined ? [clause.getDefaultImport()!] : []),
    ...(clause?.getNamedImports() ?? []).map((s) => s.getAliasNode() ?? s.getNameNode()),
  ];
  for (const local of imported) {
    if (!Node.isIdentifier(local))
      throw new CodegenError(`${where(local)}: string import names are not supported`);
    const typeOnly =
      decl.isTypeOnly() ||
      local.getFirstAncestorByKind(SyntaxKind.ImportSpecifier)?.isTypeOnly() === true;
    const r = resolveName(c, local);
    const value = r.value && !typeOnly;
    if (value) unit.deps.add(r.unit);
    bind(unit, decl, local, `${r.unit.ns}.${r.name}`, value);
  }
};

/** Records what one import declaration of `unit` becomes, and the packages it needs. */
const rewriteImport = (
  c: Collector,
  unit: Unit,
  decl: ImportDeclaration,
  packages: Set<string>,
): void => {
  const spec = decl.getModuleSpecifierValue();
  if (spec === TFJS) {
    packages.add(TFJS);
    bindTfjs(unit, decl);
  } else if (spec === TFJS_WASM && decl.getImportClause() === undefined) packages.add(TFJS_WASM);
  else if (spec.startsWith('.')) bindRelative(c, unit, decl, spec);
  else
    throw new CodegenError(
      `${unit.rel}:${decl.getStartLineNumber()} imports "${spec}"; an emitted step may import only ${TFJS}\nhint: move that dependency out of the lowering`,
    );
};

/** An edit deleting a statement and the line break after it. */
export const removal = (stmt: Node): Edit => {
  const text = stmt.getSourceFile().getFullText();
  const end = stmt.getEnd();
  return { start: stmt.getStart(), end: text[end] === '\n' ? end + 1 : end, text: '' };
};

/** Visits one file: checks it and records its edits. */
const visit = (c: Collector, unit: Unit, packages: Set<string>): void => {
  checkSupported(unit.file, unit.rel);
  for (const decl of unit.file.getImportDeclarations()) rewriteImport(c, unit, decl, packages);
  for (const decl of unit.file.getExportDeclarations()) unit.edits.push(removal(decl));
  for (const a of unit.file.getExportAssignments()) exportedName(c, a, 'default');
};

/** Orders units so each comes after the units whose values it reads at load time. */
const loadOrder = (units: ReadonlyArray<Unit>): ReadonlyArray<Unit> => {
  const done = new Set<Unit>();
  const active: Unit[] = [];
  const out: Unit[] = [];
  const go = (u: Unit): void => {
    if (done.has(u)) return;
    if (active.includes(u)) {
      const cycle = [...active.slice(active.indexOf(u)), u].map((x) => x.rel).join(' -> ');
      throw new CodegenError(
        `value import cycle: ${cycle}\nhint: namespaces load in order; break the cycle or make one import type-only`,
      );
    }
    active.push(u);
    [...u.deps].forEach(go);
    active.pop();
    done.add(u);
    out.push(u);
  };
  units.forEach(go);
  return out;
};

/** The closure of `entries`, in load order, and the packages it imports. */
export const collectUnits = (
  entries: ReadonlyArray<SourceFile>,
  root: string,
): { units: ReadonlyArray<Unit>; packages: ReadonlySet<string> } => {
  const c: Collector = { root, units: new Map(), queue: [], exported: new Set() };
  const packages = new Set<string>();
  entries.forEach((e) => unitOf(c, e));
  for (let file = c.queue.shift(); file !== undefined; file = c.queue.shift())
    visit(c, c.units.get(file)!, packages);
  return { units: loadOrder([...c.units.values()]), packages };
};
