/**
 * One collected source file as a TypeScript `namespace`: its text with the edits of `closure.ts`
 * applied (imports turned into aliases or qualified names, re-exports dropped, `export` added
 * where other namespaces read a declaration), wrapped in `namespace <ns> { ... }`. The body is
 * not re-indented: template literals keep their exact text.
 */
import { CodegenError, type Edit, type Unit } from './closure.js';

/** `text` with non-overlapping `edits` applied; throws `CodegenError` on an overlap. */
export const applyEdits = (text: string, edits: ReadonlyArray<Edit>, what = 'file'): string => {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let limit = text.length;
  for (const e of sorted) {
    if (e.end > limit) throw new CodegenError(`internal: overlapping edits in ${what} at ${e.start}`);
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    limit = e.start;
  }
  return out;
};

/** The namespace declaration of one unit. */
export const namespaceText = (unit: Unit): string => {
  const body = applyEdits(unit.file.getFullText(), unit.edits, unit.rel).trim();
  return `// ---- ${unit.rel} ----\nnamespace ${unit.ns} {\n${body}\n}\n`;
};
