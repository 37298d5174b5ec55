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

/** Settings measured to hold recall@10 >= 0.99 at 200k and >= 0.95 at 1M (src/bench/stores.ts, 256 dims). */
export const DEFAULT_USEARCH_SETTINGS: UsearchAnnSettings = {
  connectivity: 16,
  expansionAdd: 96,
  expansionSearch: 192,
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
