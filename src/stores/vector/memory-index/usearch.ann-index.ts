// The approximate index above the exact path's size: usearch's HNSW (SIMD distance kernels, multi-threaded
// inserts; 2.25.3 is the newest release that supports Node 20). It holds its own compact (f16) copy of the
// vectors and only proposes rows: the in-memory index filters them and scores them exactly. Filters are met by
// asking for more neighbours (about wanted / share), and a query the graph cannot answer from a few thousand
// neighbours goes back to exact search.
import usearch, { type Index as UsearchIndex, type ScalarKind } from 'usearch';
import type { AnnIndex, AnnIndexFactory, AnnSearch } from './ann-index.js';

export interface UsearchAnnSettings {
  /** Graph degree (HNSW M). */
  connectivity: number;
  /** Beam width while inserting (efConstruction). */
  expansionAdd: number;
  /** Beam width while searching (ef); a search for more neighbours than this widens it to their number. */
  expansionSearch: number;
  /** Neighbours asked for per wanted row before filtering, so that exact re-scoring can fix the ANN's order. */
  oversample: number;
  /** Most neighbours one query may ask for before it is answered exactly instead. */
  maxCandidates: number;
  quantization: 'f32' | 'f16' | 'i8';
  /** Threads for batch inserts (searches run on the calling thread). */
  threads: number;
}

/**
 * Chosen on the bench's synthetic vectors (seeded, clustered 256-d unit vectors: a hard case, neighbours nearly
 * random within a cluster), 200,000 x 256, 200 queries of each kind, usearch alone with this module's candidate
 * rule and exact re-scoring, on a 2-core machine at load average 8-11 (wall times inflated 2-4x):
 *
 *   M 16, efConstruction 96, f16 (the old default): build 244 s; ef 192: recall@10 0.962 plain / 0.975 broad
 *     filter; ef 512: 0.989 / 0.985 (the graph, not the beam, is the limit).
 *   M 16, efConstruction 128, f32: build 466 s, 224 MiB; ef 512: 0.998 / 0.994, p50 3.2 / 4.3 ms.
 *   M 24, efConstruction 128, f16: build 351 s, 138 MiB; ef 256: 0.999 / 0.996, ef 384: 1.000 / 0.998,
 *     p50 1.1-1.8 / 1.8-3.4 ms.  <- these
 *
 * Oversample 8 lifts a broad filter to 0.999 but costs p95; selective filters (under annMinShare) are exact.
 * Through the product path (npm run bench:stores -- --n 200000, quiet machine): recall@10 1.000 / 0.997 / 1.000
 * (plain / broad / selective), p50 2.8 / 3.1 / 1.1 ms against exact 15.7 / 5.8 / 1.0 ms; build 74 s (138 CPU-s).
 *
 * At 1,000,000 x 256 (npm run bench:stores -- --n 1000000, 100 queries of each kind, load average 5-10): recall@10
 * 0.961 plain at p50 6.1 ms, 0.923 with a broad filter (p50 9.1 ms), 1.000 selective (exact subset, 8.0 ms), against
 * exact in memory at p50 191 / 69 / 4.9 ms. The build took 1,561 s (28.5 CPU-minutes) on that loaded machine, and
 * `serve` builds it before it is ready: a real cost at that size. Not yet tried at 1M: a wider beam (ef) or
 * oversample 8 for broad filters.
 */
export const DEFAULT_USEARCH_SETTINGS: UsearchAnnSettings = {
  connectivity: 24,
  expansionAdd: 128,
  expansionSearch: 384,
  oversample: 4,
  maxCandidates: 4096,
  quantization: 'f16',
  threads: 2,
};

/** The HNSW's settings in words (for /readyz and `vitrine info`). */
export function usearchDescription(s: UsearchAnnSettings = DEFAULT_USEARCH_SETTINGS): string {
  return `usearch HNSW (M ${s.connectivity}, ef ${s.expansionSearch}, efConstruction ${s.expansionAdd}, ${s.quantization}, x${s.oversample} candidates re-scored exactly)`;
}

class UsearchAnnIndex implements AnnIndex {
  private readonly index: UsearchIndex;
  private readonly present = new Set<number>();

  constructor(
    private readonly dim: number,
    private readonly settings: UsearchAnnSettings,
  ) {
    this.index = new usearch.Index({
      dimensions: dim,
      // Cosine rather than inner product: quantised (f16, i8) vectors are compared correctly only by angle.
      metric: usearch.MetricKind.Cos,
      quantization: settings.quantization as ScalarKind,
      connectivity: settings.connectivity,
      expansion_add: settings.expansionAdd,
      expansion_search: settings.expansionSearch,
      multi: false,
    });
  }

  get size(): number {
    return this.present.size;
  }

  get description(): string {
    return usearchDescription(this.settings);
  }

  upsert(rows: ArrayLike<number>, matrix: Float32Array): void {
    const replaced = Array.from(rows).filter((r) => this.present.has(r));
    if (replaced.length > 0) this.remove(replaced);
    const keys = new BigUint64Array(rows.length);
    // A copy, not a subarray view: usearch reads a view from the start of its buffer (DEPENDENCIES.md).
    const vectors = new Float32Array(rows.length * this.dim);
    for (let i = 0; i < rows.length; i++) {
      keys[i] = BigInt(rows[i]);
      vectors.set(matrix.subarray(rows[i] * this.dim, (rows[i] + 1) * this.dim), i * this.dim);
      this.present.add(rows[i]);
    }
    if (rows.length > 0) this.index.add(keys, vectors, this.settings.threads);
  }

  remove(rows: ArrayLike<number>): void {
    const keys = Array.from(rows).filter((r) => this.present.has(r));
    if (keys.length === 0) return;
    this.index.remove(BigUint64Array.from(keys, (r) => BigInt(r)));
    for (const r of keys) this.present.delete(r);
  }

  search(request: AnnSearch): number[] | null {
    const { query, wanted, share, accept } = request;
    const { oversample, maxCandidates } = this.settings;
    const size = this.present.size;
    let ask = Math.min(size, Math.ceil((wanted * oversample) / Math.max(share, 1e-6)));
    for (;;) {
      if (ask > maxCandidates && ask < size) return null;
      const found = this.index.search(query, ask, 1);
      const rows: number[] = [];
      let depth = 0;
      for (let p = 0; p < found.keys.length; p++) {
        const row = Number(found.keys[p]);
        if (!accept(row)) continue;
        rows.push(row);
        if (rows.length === wanted) depth = p + 1;
      }
      // Every row the index holds has been looked at.
      if (ask >= size) return rows;
      // The graph gave fewer neighbours than asked for (not all reachable): exact search answers instead.
      if (found.keys.length < ask) return null;
      // A graph search is reliable near the query and less so at the far end of a long list: trust the page
      // only when it was filled within 1/oversample of the list, as an unfiltered page is. A filter that leaves
      // the query's neighbourhood empty pushes the page out until exact search takes over.
      if (rows.length >= wanted && depth * oversample <= ask) return rows;
      ask = Math.min(size, rows.length >= wanted ? depth * oversample : ask * 4);
    }
  }

  close(): void {
    // The native index is freed with its object; nothing else to release.
    this.present.clear();
  }
}

export function usearchAnnFactory(settings: Partial<UsearchAnnSettings> = {}): AnnIndexFactory {
  const s = { ...DEFAULT_USEARCH_SETTINGS, ...settings };
  return async ({ dim }) => new UsearchAnnIndex(dim, s);
}
