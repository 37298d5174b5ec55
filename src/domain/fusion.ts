// Hybrid search joins two rankings of one catalog, by meaning (the model's cosine) and by words (the keyword
// index's BM25), into one. The two scores live on unrelated scales (cosine in [-1, 1], BM25 unbounded and
// query-dependent), so they are fused by rank, not added raw: weighted reciprocal rank fusion (Cormack, Clarke and
// Buettcher, SIGIR 2009). Pure; the weights and the rank constant come from config, tuned on the val split.
//
// Example:
//   fuseRankings({ vector: [{ id: 'a', score: 0.31 }, { id: 'b', score: 0.30 }], keyword: [{ id: 'b', score: 7.2 }] },
//                { rankConstant: 60, vectorWeight: 1, keywordWeight: 2 });
//   // [{ id: 'b', score: 1/62 + 2/61 }, { id: 'a', score: 1/61 }]
import { byScoreThenId, type Scored } from './ranking.js';

export interface FusionParams {
  /**
   * RRF's k: a larger constant flattens the curve, so rank 1 and rank 10 of one list differ less and agreement
   * between the lists counts more. 60 is the value of the original paper.
   */
  rankConstant: number;
  vectorWeight: number;
  keywordWeight: number;
}

export interface RankedLists {
  /** Best first (the order is what counts; scores are not read). */
  vector: readonly Scored[];
  keyword: readonly Scored[];
}

/**
 * The defaults of `hybrid` in config, tuned on the val split of the shared catalog (titles, attribute, brand and
 * typo queries; grid k in {1, 5, 20, 60} x keyword weight in {1, 2, 3, 5, 10}, README "Search modes"): a small k and
 * a heavy keyword list put products whose words match first (a brand's own products), while the model's ranking
 * orders the rest and answers alone when no word matches. k = 60 with equal weights lost 0.17 of title precision@1.
 */
export const DEFAULT_FUSION: Readonly<FusionParams> = Object.freeze({ rankConstant: 5, vectorWeight: 1, keywordWeight: 5 });

/**
 * One ranking from both lists: each product scores the sum over the lists that hold it of weight / (k + rank), rank
 * counted from 1. A product in one list only gets that list's share. Ties: by id, as everywhere (ranking.ts).
 */
export function fuseRankings(lists: RankedLists, params: FusionParams): Scored[] {
  if (!(params.rankConstant >= 0) || !(params.vectorWeight >= 0) || !(params.keywordWeight >= 0)) {
    throw new RangeError('fusion parameters must be numbers of 0 or more');
  }
  const fused = new Map<string, number>();
  const add = (list: readonly Scored[], weight: number) => {
    if (weight === 0) return;
    list.forEach((item, i) => fused.set(item.id, (fused.get(item.id) ?? 0) + weight / (params.rankConstant + i + 1)));
  };
  add(lists.vector, params.vectorWeight);
  add(lists.keyword, params.keywordWeight);
  // A product that only a zero-weight list holds is still a result (the list found it), just ranked last.
  for (const item of [...lists.vector, ...lists.keyword]) if (!fused.has(item.id)) fused.set(item.id, 0);
  return [...fused].map(([id, score]) => ({ id, score })).sort(byScoreThenId);
}
