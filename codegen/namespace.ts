/**
 * One collected source file as a TypeScript `namespace`: its text with the edits of `closure.ts`
 * applied (imports turned into aliases or qualified names, re-exports dropped, `export` added
 * where other namespaces read a declaration) and the statements `prune.ts` found unreachable
 * removed, wrapped in `namespace <ns> { ... }`. The body is not re-indented: template literals
 * keep their exact text.
 */
import { CodegenError, removal, type Edit, type Unit } from './closure.js';

/** `text` with non-overlapping `edits` applied; throws `CodegenError` on an overlap. */
export const applyEdits = (text: string, edits: ReadonlyArray<Edit>, what = 'file'): string => {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let limit = text.length;
  for (const e of sorted) {
    if (e.end > limit)
      throw new CodegenError(`internal: overlapping edits in ${what} at ${e.start}`);
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    limit = e.start;
  }
  return out;
};

/** Each import declaration replaced by its kept alias lines (or deleted). */
const importEdits = (unit: Unit): ReadonlyArray<Edit> =>
  unit.file.getImportDeclarations().map((decl) => {
    const lines = unit.aliases
      .filter((a) => a.decl === decl && !unit.unused.has(a))
      .map((a) => `import ${a.local} = ${a.target};`);
    return lines.length > 0
      ? { start: decl.getStart(), end: decl.getEnd(), text: lines.join('\n') }
      : removal(decl);
  });

/** Removed statements (with their leading comments) replace every edit inside them. */
const withRemovals = (unit: Unit, edits: ReadonlyArray<Edit>): ReadonlyArray<Edit> => {
  const text = unit.file.getFullText();
  // from the line after the previous statement (its line break stays) to the statement's own line break
  const cuts = [...unit.removed].map((s) => ({
    start: text[s.getPos()] === '\n' ? s.getPos() + 1 : s.getPos(),
    end: text[s.getEnd()] === '\n' ? s.getEnd() + 1 : s.getEnd(),
    text: '',
  }));
  const inside = (e: Edit): boolean => cuts.some((c) => e.start >= c.start && e.end <= c.end);
  return [...edits.filter((e) => !inside(e)), ...cuts];
};

/** Whether pruning left anything of the unit but its imports. */
export const isEmptyUnit = (unit: Unit): boolean =>
  unit.file
    .getStatements()
    .every(
      (s) =>
        unit.removed.has(s) ||
        s.getKindName() === 'ImportDeclaration' ||
        s.getKindName() === 'ExportDeclaration',
    );

/** The namespace declaration of one unit. */
export const namespaceText = (unit: Unit): string => {
  const body = applyEdits(
    unit.file.getFullText(),
    withRemovals(unit, [...unit.edits, ...importEdits(unit)]),
    unit.rel,
  ).trim();
  return `// ---- ${unit.rel} ----\nnamespace ${unit.ns} {\n${body}\n}\n`;
};
