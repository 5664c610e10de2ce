/**
 * Dimension arithmetic for shape inference. A `Dim` is a literal size or a symbol such as `'B'`;
 * derived symbolic sizes are small expressions (`'4*B'`, `'B+B'`) that `evalDim` can evaluate
 * once the symbols have values (the batch, I-JEPA mask counts).
 */
import type { Dim } from '../../ir/types.js';

/** Values of symbolic dimensions, e.g. `{ B: 4096, Kctx: 92 }`. Unknown symbols evaluate to 0. */
export type DimEnv = Readonly<Record<string, number>>;

/** `a * b`: a number when both are literal, else the expression `'a*b'`. */
export const mulDim = (a: Dim, b: Dim): Dim =>
  typeof a === 'number' && typeof b === 'number'
    ? a * b
    : a === 1
      ? b
      : b === 1
        ? a
        : `${wrap(a)}*${wrap(b)}`;

/** `a + b`: a number when both are literal, `'2*B'` for `B + B`, else the expression `'a+b'`. */
export const addDim = (a: Dim, b: Dim): Dim =>
  typeof a === 'number' && typeof b === 'number' ? a + b : a === b ? mulDim(2, a) : `${a}+${b}`;

const wrap = (d: Dim): string => (typeof d === 'string' && d.includes('+') ? `(${d})` : `${d}`);

/**
 * Whether two dims can be equal: literal numbers compare strictly, identical expressions are
 * equal, and anything symbolic that differs cannot be decided, so it is accepted.
 */
export const dimsCompatible = (a: Dim, b: Dim): boolean =>
  typeof a === 'number' && typeof b === 'number' ? a === b : true;

/** Whether two shapes have the same rank and compatible dims. */
export const shapesCompatible = (a: ReadonlyArray<Dim>, b: ReadonlyArray<Dim>): boolean =>
  a.length === b.length && a.every((d, i) => dimsCompatible(d, b[i] as Dim));

/**
 * Evaluates a dim with symbol values from `env`: numbers, symbols, `*`, `/`, `+` and parentheses.
 * Unknown symbols count as 0 (FLOP counts then omit what depends on them).
 */
export const evalDim = (d: Dim, env: DimEnv): number => {
  if (typeof d === 'number') return d;
  const tokens = d.match(/\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_']*|[()*+/]/g) ?? [];
  let pos = 0;
  const atom = (): number => {
    const t = tokens[pos++];
    if (t === undefined) return 0;
    if (t === '(') {
      const v = sum();
      pos++; // ')'
      return v;
    }
    return /^\d/.test(t) ? Number(t) : (env[t] ?? 0);
  };
  const product = (): number => {
    let v = atom();
    while (tokens[pos] === '*' || tokens[pos] === '/') {
      const op = tokens[pos++];
      const r = atom();
      v = op === '*' ? v * r : r === 0 ? 0 : v / r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[pos] === '+') {
      pos++;
      v += product();
    }
    return v;
  };
  return sum();
};

/** The product of dims evaluated in `env` (the element count of a shape). */
export const evalSize = (shape: ReadonlyArray<Dim>, env: DimEnv): number =>
  shape.reduce<number>((acc, d) => acc * evalDim(d, env), 1);

/** Exact division of a dim when literal; symbolic dims divide to `'h/2'`-style expressions. */
export const divDim = (a: Dim, b: number): Dim => (typeof a === 'number' ? a / b : `${a}/${b}`);
