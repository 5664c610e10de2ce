/**
 * The recursion limit of the checker. Decoding, resolving and shape inference follow a spec's
 * nesting recursively (a value inside an `Apply` inside a `StopGradient`...), so a spec nested a
 * thousand deep would overflow the stack. `nestingIssue` measures the nesting first, with an
 * explicit stack (it cannot overflow), and reports `E_TOO_DEEP` at the first path beyond the limit.
 */
import { issue, type Issue } from './issue.js';

/** Deepest nesting of objects and arrays a spec may have (the library's specs nest 16-20 deep). */
export const MAX_NESTING = 128;

/** `E_TOO_DEEP` at the first path nested deeper than `max`, or `undefined`. Never recurses. */
export const nestingIssue = (spec: unknown, max: number = MAX_NESTING): Issue | undefined => {
  const stack: Array<{ readonly value: unknown; readonly path: ReadonlyArray<string | number> }> = [
    { value: spec, path: [] },
  ];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (path.length >= max) {
      return issue(
        'E_TOO_DEEP',
        path.slice(0, 12),
        `the spec nests more than ${max} levels deep (objects inside objects)`,
        {
          expected: `at most ${max} levels`,
          got: `more, from ${path.slice(0, 12).join('.')}...`,
          hint: 'name intermediate results as values (the method\'s "values", Value.bind) instead of nesting Apply/StopGradient calls inline',
        },
      );
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value);
    for (const [k, v] of entries) stack.push({ value: v, path: [...path, k] });
  }
  return undefined;
};
