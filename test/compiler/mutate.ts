/** Test helper: a deep copy of a method (as loose JSON) changed by `edit`, for bad-spec tests. */
import type { Method } from '../../compiler/ir/node.js';

/** Loose JSON view of a spec, for editing any field in tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

/** Returns `edit` applied to a deep copy of `m` (the original is untouched). */
export const mutate = (m: Method, edit: (spec: Loose) => void): Loose => {
  const copy = JSON.parse(JSON.stringify(m)) as Loose;
  edit(copy);
  return copy;
};
