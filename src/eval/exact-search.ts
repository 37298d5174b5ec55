// Exact cosine top-k over vectors held in memory, for documents the store does not hold as such (a weighted mix
// of image and title embeddings). Vectors are unit length, so cosine is the dot product. Pure.
import { dot } from '../domain/vector-math.js';
import { rankPage } from '../domain/ranking.js';
import type { ScoredDoc } from './metrics.js';

export interface ExactIndex {
  ids: readonly string[];
  vectors: readonly Float32Array[];
}

/** Top k documents by cosine, ordered by score desc then id asc; `exclude` ids are never returned. */
export function exactSearch(index: ExactIndex, query: Float32Array, k: number, exclude?: ReadonlySet<string>): ScoredDoc[] {
  const scored: ScoredDoc[] = [];
  for (let i = 0; i < index.ids.length; i++) {
    if (exclude?.has(index.ids[i])) continue;
    scored.push({ id: index.ids[i], score: dot(index.vectors[i], query) });
  }
  return rankPage(scored, { k });
}

/** Cosine similarity matrix: rows[i] . columns[j]. */
export function similarityMatrix(rows: readonly Float32Array[], columns: readonly Float32Array[]): number[][] {
  return rows.map((r) => columns.map((c) => dot(r, c)));
}
