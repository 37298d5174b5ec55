// The one ranking rule of every search in Vitrine (each vector store, eval's exact search, the metrics): order by
// score descending, ties by id ascending, so that pages and figures are the same whatever order a store returns
// tied scores in; then page with offset and k, and drop what scores below minScore. Pure.
//
// Example:
//   rankPage([{ id: 'b', score: 0.5 }, { id: 'a', score: 0.5 }, { id: 'c', score: 0.9 }], { k: 2 });
//   // [{ id: 'c', ... }, { id: 'a', ... }]

export interface Scored {
  id: string;
  score: number;
}

export interface PageOptions {
  k: number;
  /** Ranked results skipped before the page (default 0). */
  offset?: number;
  /** Results scoring below it are dropped (default: none). */
  minScore?: number;
}

/** Score descending, then id ascending (a fixed tie-break: a reader checking a table by hand expects it). */
export function byScoreThenId(a: Scored, b: Scored): number {
  if (b.score !== a.score) return b.score - a.score;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A sorted copy. */
export function rankScored<T extends Scored>(items: readonly T[]): T[] {
  return [...items].sort(byScoreThenId);
}

/**
 * One page of the ranking: sorted, `offset` skipped, at most `k` kept, those below `minScore` dropped. Dropping after
 * paging equals dropping before it, since what scores below the cut-off forms the tail of a sorted list.
 */
export function rankPage<T extends Scored>(items: readonly T[], page: PageOptions): T[] {
  const offset = page.offset ?? 0;
  const minScore = page.minScore ?? -Infinity;
  return rankScored(items)
    .slice(offset, offset + page.k)
    .filter((item) => item.score >= minScore);
}
