/**
 * "Did you mean ...?": the closest known name to a misspelt one, for issue hints
 * (unknown tags, dangling references, unexpected fields).
 */

/**
 * Edit distance with adjacent transpositions (optimal string alignment): insertions, deletions,
 * substitutions and swaps of two neighbours each cost 1; case-insensitive.
 */
export const editDistance = (a: string, b: string): number => {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[x.length]![y.length]!;
};

/**
 * The known name closest to `name`, or `undefined` when none is close enough: at most a quarter
 * of the longer name's characters differ (at least 1 edit is always allowed), or one name contains
 * the other. Numbers (indices) get no suggestion.
 */
export const closestName = (name: string, known: ReadonlyArray<string>): string | undefined => {
  if (name.length === 0 || /^\d+$/.test(name)) return undefined;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    const contains =
      name.length > 0 &&
      candidate.length > 0 &&
      (candidate.toLowerCase().includes(name.toLowerCase()) ||
        name.toLowerCase().includes(candidate.toLowerCase()));
    const limit = Math.max(1, Math.floor(Math.max(name.length, candidate.length) / 4));
    const score = contains ? Math.min(d, 1) : d;
    if ((score <= limit || contains) && score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
};

/** A hint sentence `did you mean "x"?`, or `undefined` when nothing is close. */
export const didYouMean = (name: string, known: ReadonlyArray<string>): string | undefined => {
  const best = closestName(name, known);
  return best === undefined ? undefined : `did you mean "${best}"?`;
};

/** Quotes and joins names: `"a", "b", "c"`. */
export const quoteList = (names: ReadonlyArray<string>): string =>
  names.map((n) => `"${n}"`).join(', ');
