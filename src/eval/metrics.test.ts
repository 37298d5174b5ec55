import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  evaluateQuery,
  evaluateRuns,
  metricNames,
  ndcgAt,
  precisionAt,
  rankDocuments,
  recallAt,
  reciprocalRankAt,
  type ScoredDoc,
} from './metrics.js';

const docs = (...ids: string[]): ScoredDoc[] => ids.map((id, i) => ({ id, score: 1 - i / 10 }));

describe('metrics with several relevant documents', () => {
  // Ranked d1..d5; relevant d2 (rank 2), d4 (rank 4) and d9 (never retrieved).
  const ranked = docs('d1', 'd2', 'd3', 'd4', 'd5');
  const relevant = new Set(['d2', 'd4', 'd9']);

  it('recall divides by all relevant documents, retrieved or not', () => {
    expect(recallAt(ranked, relevant, 1)).toBe(0);
    expect(recallAt(ranked, relevant, 2)).toBeCloseTo(1 / 3, 12);
    expect(recallAt(ranked, relevant, 5)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(ranked, relevant, 10)).toBeCloseTo(2 / 3, 12);
  });

  it('precision divides by k', () => {
    expect(precisionAt(ranked, relevant, 1)).toBe(0);
    expect(precisionAt(ranked, relevant, 5)).toBeCloseTo(0.4, 12);
    expect(precisionAt(ranked, relevant, 10)).toBeCloseTo(0.2, 12);
  });

  it('MRR uses the first relevant rank within k', () => {
    expect(reciprocalRankAt(ranked, relevant, 1)).toBe(0);
    expect(reciprocalRankAt(ranked, relevant, 5)).toBe(0.5);
  });

  it('nDCG: binary gains, log2 discount, ideal of min(|rel|, k) ones', () => {
    // DCG@5 = 1/log2(3) + 1/log2(5); IDCG@5 = 1 + 1/log2(3) + 1/log2(4)
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 1 + 1 / Math.log2(3) + 0.5;
    expect(ndcgAt(ranked, relevant, 5)).toBeCloseTo(dcg / idcg, 12);
    expect(ndcgAt(ranked, relevant, 5)).toBeCloseTo(0.498193, 5);
    // IDCG@2 = 1 + 1/log2(3); DCG@2 = 1/log2(3)
    expect(ndcgAt(ranked, relevant, 2)).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
  });

  it('AP sums precision at relevant ranks and divides by the number of relevant', () => {
    // (1/2 + 2/4) / 3
    expect(averagePrecision(ranked, relevant)).toBeCloseTo(1 / 3, 12);
  });
});

describe('ties in scores', () => {
  // a and b tie at 0.5: the documented tie-break puts a (id ascending) before b.
  const ranked: ScoredDoc[] = [
    { id: 'b', score: 0.5 },
    { id: 'a', score: 0.5 },
    { id: 'c', score: 0.9 },
  ];

  it('ranks by score descending, then id ascending', () => {
    expect(rankDocuments(ranked).map((d) => d.id)).toEqual(['c', 'a', 'b']);
    expect(rankDocuments([...ranked].reverse()).map((d) => d.id)).toEqual(['c', 'a', 'b']);
  });

  it('metrics apply the tie-break whatever order the store returned', () => {
    const forA = evaluateQuery(ranked, new Set(['a']), [1, 2]);
    expect(forA['mrr@2']).toBe(0.5);
    expect(forA['recall@2']).toBe(1);
    const forB = evaluateQuery(ranked, new Set(['b']), [1, 2]);
    expect(forB['mrr@2']).toBe(0);
    expect(forB['recall@2']).toBe(0);
    expect(forB.map).toBeCloseTo(1 / 3, 12);
  });

  it('does not mutate the input list', () => {
    rankDocuments(ranked);
    expect(ranked.map((d) => d.id)).toEqual(['b', 'a', 'c']);
  });
});

describe('edge cases', () => {
  it('no relevant document retrieved gives zeros', () => {
    const values = evaluateQuery(docs('x', 'y', 'z'), new Set(['q']), [1, 5, 10]);
    for (const name of metricNames([1, 5, 10])) expect(values[name]).toBe(0);
  });

  it('k larger than the gallery', () => {
    const values = evaluateQuery(docs('a', 'b'), new Set(['a', 'b']), [10]);
    expect(values['recall@10']).toBe(1);
    expect(values['precision@10']).toBeCloseTo(0.2, 12);
    expect(values['mrr@10']).toBe(1);
    expect(values['ndcg@10']).toBeCloseTo(1, 12);
    expect(values.map).toBe(1);
  });

  it('an empty query set averages to null and an empty curve', () => {
    const summary = evaluateRuns([], { ks: [1, 5, 10] });
    expect(summary.evaluatedQueries).toBe(0);
    expect(summary.skippedQueries).toBe(0);
    expect(summary.recallCurve).toEqual([]);
    expect(Object.values(summary.means).every((v) => v === null)).toBe(true);
    expect(Object.keys(summary.means)).toEqual(metricNames([1, 5, 10]));
  });

  it('rejects a k that is not a positive integer', () => {
    expect(() => evaluateQuery(docs('a'), new Set(['a']), [0])).toThrow(RangeError);
    expect(() => evaluateRuns([], { ks: [1.5] })).toThrow(RangeError);
  });
});

describe('evaluateRuns', () => {
  it('averages over queries, skips queries without relevant documents and counts them', () => {
    const summary = evaluateRuns(
      [
        { queryId: 'q1', ranked: docs('a', 'b', 'c'), relevant: new Set(['a']) },
        { queryId: 'q2', ranked: docs('a', 'b', 'c'), relevant: new Set(['c', 'z']) },
        { queryId: 'q3', ranked: docs('a', 'b', 'c'), relevant: new Set() },
      ],
      { ks: [1, 3], curveDepth: 4 },
    );
    expect(summary.evaluatedQueries).toBe(2);
    expect(summary.skippedQueries).toBe(1);
    expect(summary.means['recall@1']).toBeCloseTo((1 + 0) / 2, 12);
    expect(summary.means['recall@3']).toBeCloseTo((1 + 0.5) / 2, 12);
    expect(summary.means['precision@3']).toBeCloseTo((1 / 3 + 1 / 3) / 2, 12);
    expect(summary.means['mrr@3']).toBeCloseTo((1 + 1 / 3) / 2, 12);
    // q2: DCG@3 = 1/log2(4) = 0.5; IDCG@3 = 1 + 1/log2(3)
    expect(summary.means['ndcg@3']).toBeCloseTo((1 + 0.5 / (1 + 1 / Math.log2(3))) / 2, 12);
    expect(summary.means.map).toBeCloseTo((1 + 1 / 3 / 2) / 2, 12);
    // Curve: k=1: (1+0)/2, k=2: (1+0)/2, k=3: (1+0.5)/2, k=4 (past the list): unchanged.
    expect(summary.recallCurve).toEqual([0.5, 0.5, 0.75, 0.75]);
    expect(summary.perQuery.map((q) => q.queryId)).toEqual(['q1', 'q2']);
  });

  it('uses the default cut-offs when none are given', () => {
    const summary = evaluateRuns([{ queryId: 'q', ranked: docs('a'), relevant: new Set(['a']) }], { ks: [] });
    expect(Object.keys(summary.means)).toEqual(metricNames([1, 5, 10]));
    expect(summary.recallCurve).toHaveLength(10);
  });
});
