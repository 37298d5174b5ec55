// Retrieval metrics with the BEIR / pytrec_eval definitions, as pure functions, so the figures Vitrine reports
// can be checked by hand and compared with published numbers. No I/O here.
//
// Example:
//   const run = { queryId: 'red shirt', ranked: [{ id: 'a', score: 0.9 }], relevant: new Set(['a']) };
//   evaluateRuns([run], { ks: [1, 5] }).means['recall@1']; // 1
import { rankScored } from '../domain/ranking.js';

/** A retrieved document and its similarity (higher is better). */
export interface ScoredDoc {
  id: string;
  score: number;
}

/** One query's retrieved list and its relevant documents (binary relevance). */
export interface QueryRun {
  queryId: string;
  ranked: readonly ScoredDoc[];
  relevant: ReadonlySet<string>;
}

export interface MetricOptions {
  /** Cut-offs for recall, precision, MRR and nDCG. */
  ks: readonly number[];
  /** Longest k of the mean recall curve (k = 1..curveDepth); defaults to the largest of `ks`. */
  curveDepth?: number;
}

/** Metric name -> value, keyed `recall@k`, `precision@k`, `mrr@k`, `ndcg@k` and `map`. */
export type MetricValues = Record<string, number>;

export interface EvaluationSummary {
  /** Queries with at least one relevant document: the ones averaged. */
  evaluatedQueries: number;
  /** Queries skipped because no document is relevant to them (pytrec_eval skips them too). */
  skippedQueries: number;
  /** Mean over evaluated queries; null for every metric when no query could be evaluated. */
  means: Record<string, number | null>;
  /** Mean recall@k for k = 1..curveDepth (empty when no query could be evaluated). */
  recallCurve: number[];
  perQuery: { queryId: string; values: MetricValues }[];
}

export const DEFAULT_KS: readonly number[] = [1, 5, 10];

/**
 * Orders documents by score descending, then id ascending. Stores may return tied scores in any order; this
 * fixed tie-break makes every metric reproducible. (trec_eval breaks ties by descending docno; we document
 * ascending id instead, which is what a reader expects when checking a table by hand.)
 */
export function rankDocuments(docs: readonly ScoredDoc[]): ScoredDoc[] {
  return rankScored(docs);
}

function relevantInTop(ranked: readonly ScoredDoc[], relevant: ReadonlySet<string>, k: number): number {
  let hits = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i].id)) hits++;
  return hits;
}

/** Relevant documents in the top k divided by all relevant documents. */
export function recallAt(ranked: readonly ScoredDoc[], relevant: ReadonlySet<string>, k: number): number {
  if (relevant.size === 0) return 0;
  return relevantInTop(ranked, relevant, k) / relevant.size;
}

/** Relevant documents in the top k divided by k (not by the list length, as in trec_eval's P_k). */
export function precisionAt(ranked: readonly ScoredDoc[], relevant: ReadonlySet<string>, k: number): number {
  return relevantInTop(ranked, relevant, k) / k;
}

/** Reciprocal rank of the first relevant document within the top k; 0 when there is none. */
export function reciprocalRankAt(ranked: readonly ScoredDoc[], relevant: ReadonlySet<string>, k: number): number {
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i].id)) return 1 / (i + 1);
  return 0;
}

/** nDCG@k with binary gains and log2(rank + 1) discount; the ideal list has min(|relevant|, k) relevant documents. */
export function ndcgAt(ranked: readonly ScoredDoc[], relevant: ReadonlySet<string>, k: number): number {
  if (relevant.size === 0) return 0;
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i].id)) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  const idealCount = Math.min(relevant.size, k);
  for (let i = 0; i < idealCount; i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

/**
 * Average precision over the whole retrieved list: the sum of precision at each rank holding a relevant
 * document, divided by the number of relevant documents (retrieved or not), as trec_eval's `map`.
 */
export function averagePrecision(ranked: readonly ScoredDoc[], relevant: ReadonlySet<string>): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  let sum = 0;
  for (let i = 0; i < ranked.length; i++) {
    if (relevant.has(ranked[i].id)) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return sum / relevant.size;
}

function validateKs(ks: readonly number[]): void {
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  }
}

/** Names of the metrics `evaluateRuns` reports for these cut-offs, in table order. */
export function metricNames(ks: readonly number[]): string[] {
  const sorted = [...new Set(ks)].sort((a, b) => a - b);
  const names: string[] = [];
  for (const family of ['recall', 'precision', 'mrr', 'ndcg']) for (const k of sorted) names.push(`${family}@${k}`);
  names.push('map');
  return names;
}

/** Every metric of one query. `ranked` is re-ordered with the documented tie-break first. */
export function evaluateQuery(ranked: readonly ScoredDoc[], relevant: ReadonlySet<string>, ks: readonly number[]): MetricValues {
  validateKs(ks);
  const ordered = rankDocuments(ranked);
  const values: MetricValues = {};
  const sorted = [...new Set(ks)].sort((a, b) => a - b);
  for (const k of sorted) values[`recall@${k}`] = recallAt(ordered, relevant, k);
  for (const k of sorted) values[`precision@${k}`] = precisionAt(ordered, relevant, k);
  for (const k of sorted) values[`mrr@${k}`] = reciprocalRankAt(ordered, relevant, k);
  for (const k of sorted) values[`ndcg@${k}`] = ndcgAt(ordered, relevant, k);
  values.map = averagePrecision(ordered, relevant);
  return values;
}

/** Evaluates every query and averages over those with at least one relevant document. */
export function evaluateRuns(runs: Iterable<QueryRun>, options: MetricOptions): EvaluationSummary {
  const ks = options.ks.length > 0 ? options.ks : DEFAULT_KS;
  validateKs(ks);
  const curveDepth = options.curveDepth ?? Math.max(...ks);
  validateKs([curveDepth]);
  const names = metricNames(ks);
  const sums: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const curveSums = new Array<number>(curveDepth).fill(0);
  const perQuery: EvaluationSummary['perQuery'] = [];
  let skipped = 0;
  for (const run of runs) {
    if (run.relevant.size === 0) {
      skipped++;
      continue;
    }
    const ordered = rankDocuments(run.ranked);
    const values = evaluateQuery(ordered, run.relevant, ks);
    for (const n of names) sums[n] += values[n];
    let hits = 0;
    for (let i = 0; i < curveDepth; i++) {
      if (i < ordered.length && run.relevant.has(ordered[i].id)) hits++;
      curveSums[i] += hits / run.relevant.size;
    }
    perQuery.push({ queryId: run.queryId, values });
  }
  const evaluated = perQuery.length;
  const means: Record<string, number | null> = {};
  for (const n of names) means[n] = evaluated === 0 ? null : sums[n] / evaluated;
  return {
    evaluatedQueries: evaluated,
    skippedQueries: skipped,
    means,
    recallCurve: evaluated === 0 ? [] : curveSums.map((s) => s / evaluated),
    perQuery,
  };
}
