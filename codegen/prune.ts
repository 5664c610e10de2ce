/**
 * Pruning of an emitted step to what its graph can reach, in two sound steps:
 *
 * 1. rule tables: entries of the net-rule and loss-kernel tables whose kind (`_tag`) appears
 *    nowhere in the graph nor as a `_tag: '...'` literal in the lowering sources (rules that build
 *    nodes themselves) are replaced by `codegenPruned(...)`, a stand-in that throws when used;
 * 2. reachability: top-level statements are kept when a root reads them (the factory's entry
 *    declarations, and every statement that is not a side-effect-free declaration), following
 *    identifiers through imports to the declarations they resolve to. Unread import aliases go.
 *
 * A statement whose initialiser might have an effect (a call, `new` of anything but a Map/Set) is
 * a root, so removal never drops an effect.
 */
import { Node, SyntaxKind, ts, type Statement } from 'ts-morph';
import type { Alias, Unit } from './closure.js';

/** The stand-in for a pruned table entry (declared once at module scope by `emit.ts`). */
export const PRUNED_HELPER = 'codegenPruned';

/** The stand-in for pruned rule-table entries: a value that throws whenever it is used. */
export const PRUNED_STAND_IN = `/** Stands for a lowering rule this graph never uses (pruned at emit time): any use throws. */
function ${PRUNED_HELPER}<T>(what: string): T {
  const fail = (): never => {
    throw new Error(\`\${what} was pruned from this emitted step: its graph does not use it (emit with prune: false to keep every rule)\`);
  };
  return new Proxy(function pruned() {}, { get: fail, apply: fail }) as unknown as T;
}
`;

/** The dispatch tables pruning may thin: file, variable, and what its keys are. */
const TABLES: ReadonlyArray<{
  readonly rel: string;
  readonly name: string;
  readonly what: string;
}> = [
  { rel: 'compiler/lower/nets/index.ts', name: 'netRules', what: 'net kind' },
  { rel: 'compiler/lower/losses/index.ts', name: 'lossKernels', what: 'loss kind' },
];

/** What pruning removed. */
export interface Pruned {
  /** Table entries replaced by the stand-in, as `table.Key`. */
  readonly entries: ReadonlyArray<string>;
  /** Top-level statements removed. */
  readonly statements: number;
}

/** Every `_tag` value in a JSON-like value. */
export const tagsIn = (value: unknown, out = new Set<string>()): Set<string> => {
  if (Array.isArray(value)) value.forEach((v) => tagsIn(v, out));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '_tag' && typeof v === 'string') out.add(v);
      else tagsIn(v, out);
    }
  }
  return out;
};

/** `_tag: 'X'` literals in the sources: node kinds the lowering builds itself. */
const builtTags = (units: ReadonlyArray<Unit>): ReadonlySet<string> => {
  const out = new Set<string>();
  for (const u of units) {
    for (const p of u.file.getDescendantsOfKind(SyntaxKind.PropertyAssignment)) {
      const init = p.getInitializer();
      const literal = Node.isAsExpression(init) ? init.getExpression() : init;
      if (p.getName() === '_tag' && Node.isStringLiteral(literal))
        out.add(literal.getLiteralValue());
    }
  }
  return out;
};

/** Replaces unused table entries; returns their names and the ranges whose references no longer count. */
const pruneTables = (
  units: ReadonlyArray<Unit>,
  keep: ReadonlySet<string>,
): { entries: string[]; cut: Map<Unit, Array<readonly [number, number]>> } => {
  const entries: string[] = [];
  const cut = new Map<Unit, Array<readonly [number, number]>>();
  for (const t of TABLES) {
    const unit = units.find((u) => u.rel === t.rel);
    const init = unit?.file.getVariableDeclaration(t.name)?.getInitializer();
    if (unit === undefined || !Node.isObjectLiteralExpression(init)) continue;
    for (const p of init.getProperties()) {
      if (!Node.isPropertyAssignment(p) || keep.has(p.getName())) continue;
      const value = p.getInitializerOrThrow();
      unit.edits.push({
        start: value.getStart(),
        end: value.getEnd(),
        text: `${PRUNED_HELPER}(${JSON.stringify(`${t.what} "${p.getName()}"`)})`,
      });
      cut.set(unit, [...(cut.get(unit) ?? []), [value.getStart(), value.getEnd()]]);
      entries.push(`${t.name}.${p.getName()}`);
    }
  }
  return { entries, cut };
};

/** Whether evaluating an expression at load time can have no effect. */
const isPureExpression = (e: ts.Node): boolean => {
  if (
    ts.isArrowFunction(e) ||
    ts.isFunctionExpression(e) ||
    ts.isLiteralExpression(e) ||
    ts.isIdentifier(e)
  )
    return true;
  if (
    [ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword, ts.SyntaxKind.NullKeyword].includes(
      e.kind,
    )
  )
    return true;
  if (
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isParenthesizedExpression(e) ||
    ts.isPrefixUnaryExpression(e)
  )
    return isPureExpression(
      e.kind === ts.SyntaxKind.PrefixUnaryExpression
        ? (e as ts.PrefixUnaryExpression).operand
        : (e as ts.AsExpression).expression,
    );
  if (ts.isBinaryExpression(e))
    return (
      isPureExpression(e.left) &&
      isPureExpression(e.right) &&
      e.operatorToken.kind !== ts.SyntaxKind.EqualsToken
    );
  if (ts.isArrayLiteralExpression(e)) return e.elements.every(isPureExpression);
  if (ts.isSpreadElement(e) || ts.isSpreadAssignment(e)) return isPureExpression(e.expression);
  if (ts.isObjectLiteralExpression(e)) {
    return e.properties.every(
      (p) =>
        ts.isShorthandPropertyAssignment(p) ||
        ts.isMethodDeclaration(p) ||
        (ts.isPropertyAssignment(p) &&
          !ts.isComputedPropertyName(p.name) &&
          isPureExpression(p.initializer)) ||
        (ts.isSpreadAssignment(p) && isPureExpression(p.expression)),
    );
  }
  if (ts.isNewExpression(e))
    return (
      ts.isIdentifier(e.expression) &&
      ['Map', 'Set'].includes(e.expression.text) &&
      (e.arguments ?? []).length === 0
    );
  if (ts.isPropertyAccessExpression(e)) return isPureExpression(e.expression);
  // Math functions have no effects
  if (ts.isCallExpression(e))
    return (
      ts.isPropertyAccessExpression(e.expression) &&
      e.expression.expression.getText() === 'Math' &&
      e.arguments.every(isPureExpression)
    );
  if (ts.isTemplateExpression(e))
    return e.templateSpans.every((s) => isPureExpression(s.expression));
  return false;
};

/** Whether a top-level statement only declares (removing it drops no effect). */
const isDeclarationOnly = (s: Statement): boolean => {
  const n = s.compilerNode;
  if (ts.isFunctionDeclaration(n) || ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n))
    return true;
  if (ts.isClassDeclaration(n)) {
    const decorated = (ts.getDecorators(n) ?? []).length > 0;
    const isStatic = (m: ts.ClassElement): boolean =>
      (ts.getCombinedModifierFlags(m as ts.Declaration) & ts.ModifierFlags.Static) !== 0;
    const effect = (m: ts.ClassElement): boolean =>
      ts.isClassStaticBlockDeclaration(m) ||
      (ts.isPropertyDeclaration(m) &&
        isStatic(m) &&
        m.initializer !== undefined &&
        !isPureExpression(m.initializer));
    return !decorated && !n.members.some(effect);
  }
  if (ts.isVariableStatement(n))
    return n.declarationList.declarations.every(
      (d) => d.initializer === undefined || isPureExpression(d.initializer),
    );
  return false;
};

/** Removes what the graph cannot reach. `roots`: the declarations the module's footer reads. */
export const prune = (
  units: ReadonlyArray<Unit>,
  graph: unknown,
  roots: ReadonlyArray<Statement>,
): Pruned => {
  const keep = new Set([...tagsIn(graph), ...builtTags(units)]);
  const { entries, cut } = pruneTables(units, keep);
  const checker = units[0]!.file.getProject().getTypeChecker().compilerObject;
  const unitOf = new Map(units.map((u) => [u.file.compilerNode, u]));
  const aliasOf = new Map<ts.Symbol, { unit: Unit; alias: Alias }>();
  units.forEach((unit) =>
    unit.aliases.forEach(
      (alias) => alias.symbol !== undefined && aliasOf.set(alias.symbol, { unit, alias }),
    ),
  );
  const used = new Set<Alias>();
  const reached = new Set<ts.Node>();
  const stack: Statement[] = [];
  const statementOf = new Map<ts.Node, Statement>();
  for (const u of units) for (const s of u.file.getStatements()) statementOf.set(s.compilerNode, s);
  const reach = (s: Statement | undefined): void => {
    if (s !== undefined && !reached.has(s.compilerNode))
      (reached.add(s.compilerNode), stack.push(s));
  };
  const topOf = (decl: ts.Node): Statement | undefined => {
    let n: ts.Node | undefined = decl;
    while (n !== undefined && !(n.parent !== undefined && ts.isSourceFile(n.parent))) n = n.parent;
    return n === undefined || !unitOf.has(n.parent as ts.SourceFile)
      ? undefined
      : statementOf.get(n);
  };
  const follow = (symbol: ts.Symbol | undefined): void => {
    if (symbol === undefined) return;
    const a = aliasOf.get(symbol);
    if (a !== undefined) used.add(a.alias);
    const target =
      (symbol.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(symbol) : symbol;
    for (const d of target.declarations ?? []) reach(topOf(d));
  };
  const visit = (unit: Unit, n: ts.Node): void => {
    const ranges = cut.get(unit) ?? [];
    const walk = (x: ts.Node): void => {
      if (ranges.some(([a, b]) => x.getStart() >= a && x.getEnd() <= b)) return;
      if (ts.isIdentifier(x)) {
        follow(checker.getSymbolAtLocation(x));
        if (ts.isShorthandPropertyAssignment(x.parent))
          follow(checker.getShorthandAssignmentValueSymbol(x.parent));
      }
      ts.forEachChild(x, walk);
    };
    walk(n);
  };
  roots.forEach(reach);
  for (const u of units)
    for (const s of u.file.getStatements())
      if (!isDeclarationOnly(s) && !Node.isImportDeclaration(s) && !Node.isExportDeclaration(s))
        reach(s);
  for (let s = stack.pop(); s !== undefined; s = stack.pop())
    visit(unitOf.get(s.getSourceFile().compilerNode)!, s.compilerNode);
  let statements = 0;
  for (const u of units) {
    for (const s of u.file.getStatements()) {
      if (reached.has(s.compilerNode) || Node.isImportDeclaration(s) || Node.isExportDeclaration(s))
        continue;
      u.removed.add(s);
      statements++;
    }
    u.aliases.forEach((a) => used.has(a) || u.unused.add(a));
  }
  return { entries, statements };
};
