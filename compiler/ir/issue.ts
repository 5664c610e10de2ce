/**
 * Issues: what the checker reports, as data. Every pass collects all the issues it finds;
 * only `compileOrThrow` throws. Codes are stable; each has a test of its rendered message.
 */

/** Stable issue codes. */
export type IssueCode =
  | 'E_JSON' // not parseable JSON / not an object
  | 'E_MISSING_FIELD' // a required field is absent
  | 'E_TYPE' // a field has the wrong JSON type
  | 'E_UNKNOWN_TAG' // an unknown layer / loss / augmentation / value / schedule / optimizer name
  | 'E_RANGE' // a number outside its domain (zero or negative size, probability > 1, ...)
  | 'E_DUPLICATE_NAME' // two modules / values / objectives / terms with one name
  | 'E_DANGLING_REF' // a Ref, module, EMA source or parameter list names nothing
  | 'E_CYCLE' // values refer to each other in a cycle
  | 'E_PORT' // a missing or unexpected input port
  | 'E_KIND' // a value of the wrong kind (tokens where a vector is expected, ...)
  | 'E_SHAPE' // dimensions do not match
  | 'E_DIVISIBILITY' // a size not divisible by a patch size, stride or head count
  | 'E_PARAMS_IN_FN' // a net with parameters used inline without a module
  | 'E_EMA_OPTIMIZED' // a module both EMA-updated and optimized
  | 'E_EMA_MISMATCH' // an EMA target is not structurally identical to its source
  | 'E_EMA_CHAIN' // EMA of an EMA / of itself
  | 'E_NO_GRADIENT' // an optimized module receives no gradient from its objective
  | 'E_UNUSED_MODULE' // a module nothing applies
  | 'E_REPRESENTATION' // a representation depends on random views, masks or loss-only values
  | 'E_PHASE' // an objective names an unknown phase, or a phase has no objective
  | 'E_FOLDS' // pseudo-domain folds missing for pairedImages, or fewer than 2
  | 'E_TOO_DEEP' // the spec nests deeper than the checker follows (recursion limit)
  | 'E_TOO_LARGE'; // a size, count or predicted parameter/activation total beyond what TF.js can hold

/** One finding, located by the path of the problem in the user's spec. */
export interface Issue {
  readonly code: IssueCode;
  /** Path in the spec, e.g. `['objectives', 0, 'terms', 1, 'loss', 'query']`. */
  readonly path: ReadonlyArray<string | number>;
  /** One-line description. */
  readonly message: string;
  readonly expected?: string;
  readonly got?: string;
  readonly hint?: string;
}

/** Builds an issue. */
export const issue = (
  code: IssueCode,
  path: ReadonlyArray<string | number>,
  message: string,
  extra: { readonly expected?: string; readonly got?: string; readonly hint?: string } = {},
): Issue => ({ code, path, message, ...extra });
