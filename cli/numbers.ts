/**
 * Strict parsing of numeric command-line values. `Number()` accepts `0x2`, `1e3`, `" 7 "`, `""` (0)
 * and `1e20` (not a safe integer); these parsers accept plain decimal notation only, inside a range
 * that each option states, and return the error line (for a usage error) instead of guessing.
 */

/** An accepted range: inclusive bounds. */
export interface IntRange {
  readonly min: number;
  readonly max: number;
}

/** Common ranges of the CLI's integer options. */
export const RANGES = {
  /** 0 saves the untrained weights (to evaluate or export them). */
  steps: { min: 0, max: 1_000_000_000 },
  epochs: { min: 1, max: 1_000_000 },
  batch: { min: 1, max: 65_536 },
  /** The seed is a uint32 (the RNG's state). */
  seed: { min: 0, max: 2 ** 32 - 1 },
  checkpointEvery: { min: 1, max: 1_000_000_000 },
  maxNonFinite: { min: 1, max: 1_000_000 },
  /** 0: no online evaluation. */
  evalEvery: { min: 0, max: 1_000_000_000 },
  evalSamples: { min: 4, max: 1_000_000 },
} as const satisfies Record<string, IntRange>;

const DECIMAL_INT = /^[0-9]+$/;
const DECIMAL = /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$|^\.[0-9]+([eE][-+]?[0-9]+)?$/;

/** Parses `raw` as a decimal integer in `range`; returns the number, or the error line for `--name`. */
export const parseIntOption = (name: string, raw: string, range: IntRange): number | string => {
  const bad = `--${name} ${JSON.stringify(raw)}: expected a whole number from ${range.min} to ${range.max}`;
  if (!DECIMAL_INT.test(raw) || raw.length > 16) return bad;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= range.min && n <= range.max ? n : bad;
};

/** Parses `raw` as a decimal number (`0.1`, `1e-3`) with `min < x <= max`; returns it or the error line. */
export const parseFractionOption = (
  name: string,
  raw: string,
  min: number,
  max: number,
): number | string => {
  const n = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  return Number.isFinite(n) && n > min && n <= max
    ? n
    : `--${name} ${JSON.stringify(raw)}: expected a number in (${min}, ${max}]`;
};
