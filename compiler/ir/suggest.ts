/**
 * "Did you mean ...?": the closest known name to a misspelt one, for issue hints
 * (unknown tags, dangling references, unexpected fields).
 */

/** Edit distance (insertions, deletions, substitutions, each cost 1), case-insensitive. */
export const editDistance = (a: string, b: string): number => {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[y.length] ?? 0;
};

/**
 * The known name closest to `name`, or `undefined` when none is close enough: at most a third of
 * the longer name's characters differ (at least 2 edits are always allowed), or one name contains
 * the other.
 */
export const closestName = (name: string, known: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    const contains =
      name.length > 0 &&
      candidate.length > 0 &&
      (candidate.toLowerCase().includes(name.toLowerCase()) || name.toLowerCase().includes(candidate.toLowerCase()));
    const limit = Math.max(2, Math.floor(Math.max(name.length, candidate.length) / 3));
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
export const quoteList = (names: ReadonlyArray<string>): string => names.map((n) => `"${n}"`).join(', ');
