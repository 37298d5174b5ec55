// The in-memory search path: every vector of an index in one Float32Array matrix, attribute fields in
// dictionary-encoded columns with value bitmaps, so a query costs one SIMD pass over the matrix (usearch's exact
// search returning the best rows; ONNX Runtime's product for a filtered subset, or when that list would be too
// long), or an approximate HNSW lookup above a size, plus bitmap work, instead of a table scan. Results are exact and ranked
// as every store ranks them (score desc, then id asc): float32 scores pick the rows that can make the page, with
// a proven error margin, and those rows are scored again in float64.
//
// Example:
//   const index = await MemoryVectorIndex.create({ dim: 256 });
//   index.upsert([{ id: 'p1', vector, attributes: { gender: 'Men' } }]);
//   const hits = await index.search({ vector: query, k: 8, filters: normalizeFilters({ gender: 'Men' }, ['gender']) });
import type { NormalizedFilters } from '../../../domain/filters.js';
import type { Attributes, Facets } from '../../../domain/types.js';
import { AttributeColumns, type SavedColumn } from './attribute.columns.js';
import { MatrixScorer, dot64, float32ErrorBound } from './matrix.scorer.js';
import { cardinality, clearBit, forEachRow, grown, hasBit, newBitmap, rowsOf, setBit, type Bitmap } from './row.bitmap.js';
import type { AnnIndex, AnnIndexFactory } from './ann-index.js';
import usearch, { type Matches } from 'usearch';

export interface MemoryIndexRecord {
  id: string;
  vector: Float32Array;
  attributes: Attributes;
}

export interface MemorySearchOptions {
  vector: Float32Array;
  k: number;
  offset?: number;
  /** Already validated against the index's fields (domain/filters.ts normalizeFilters). */
  filters?: NormalizedFilters;
  /** Hits below this score are dropped (after paging, as the store kernel does). */
  minScore?: number;
  excludeIds?: readonly string[];
}

export interface MemoryHit {
  id: string;
  /** Cosine similarity (dot product of normalised vectors), computed in float64. */
  score: number;
}

/** How the last search found its candidates (for tests, `info` and `/readyz`). */
export type SearchPath = 'exact-all' | 'exact-subset' | 'ann' | 'empty';

export interface MemoryIndexOptions {
  dim: number;
  /** Rows to allocate at first (grows by doubling). */
  capacity?: number;
  /** ONNX Runtime threads per scoring run. */
  threads?: number;
  /**
   * Exact scoring of a filtered subset (gathered rows) instead of all rows when the filter keeps at most this
   * share of the rows.
   */
  subsetShare?: number;
  /** Builds the approximate index; without one, every search is exact. */
  ann?: AnnIndexFactory;
  /** With an ANN index: filters keeping fewer rows than this share are searched exactly (default 0.05). */
  annMinShare?: number;
}

/** The live rows of an index, compacted in row order: what a saved copy holds (memory-index/copy-file.ts). */
export interface SavedRows {
  ids: string[];
  /** ids.length x dim, row-major. */
  vectors: Float32Array;
  columns: SavedColumn[];
}

const INITIAL_CAPACITY = 1024;

/** The L2 norm of a vector. */
function norm(v: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < v.length; j++) sum += v[j] * v[j];
  return Math.sqrt(sum);
}

/** The m-th largest of the scores of `rows` (or -Infinity when there are fewer): a bounded min-heap, no sort. */
function mthLargest(scores: ArrayLike<number>, count: number, m: number, indexOf: (i: number) => number): number {
  if (m <= 0 || count < m) return Number.NEGATIVE_INFINITY;
  const heap = new Float64Array(m);
  let size = 0;
  for (let i = 0; i < count; i++) {
    const s = scores[indexOf(i)];
    if (size < m) {
      let c = size++;
      heap[c] = s;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (heap[p] <= heap[c]) break;
        [heap[p], heap[c]] = [heap[c], heap[p]];
        c = p;
      }
    } else if (s > heap[0]) {
      heap[0] = s;
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        const r = l + 1;
        let min = p;
        if (l < m && heap[l] < heap[min]) min = l;
        if (r < m && heap[r] < heap[min]) min = r;
        if (min === p) break;
        [heap[p], heap[min]] = [heap[min], heap[p]];
        p = min;
      }
    }
  }
  return heap[0];
}

export class MemoryVectorIndex {
  private matrix: Float32Array;
  private capacity: number;
  /** Rows in use (live or freed); the matrix views handed to the scorer cover these. */
  private rows = 0;
  private ids: (string | undefined)[] = [];
  private readonly rowOf = new Map<string, number>();
  private alive: Bitmap;
  private readonly free: number[] = [];
  private readonly columns: AttributeColumns;
  private maxRowNorm = 0;
  private ann: AnnIndex | null = null;
  /** Rows written while an ANN index is being built, so the build can take them in before it is switched on. */
  private readonly annPending = new Set<number>();
  private annGeneration = 0;
  private annBuilding = false;
  /** The path the last search took. */
  lastPath: SearchPath = 'empty';

  private constructor(
    readonly dim: number,
    private readonly scorer: MatrixScorer,
    private readonly options: MemoryIndexOptions,
  ) {
    this.capacity = options.capacity ?? INITIAL_CAPACITY;
    this.matrix = new Float32Array(this.capacity * dim);
    this.alive = newBitmap(this.capacity);
    this.columns = new AttributeColumns(this.capacity);
  }

  static async create(options: MemoryIndexOptions): Promise<MemoryVectorIndex> {
    const scorer = await MatrixScorer.create({ dim: options.dim, threads: options.threads });
    return new MemoryVectorIndex(options.dim, scorer, options);
  }

  /**
   * An index holding `saved` (rows in its order), built in bulk: no per-row upsert (about 0.5 s on the 44k catalog).
   * It takes over the buffer of `saved.vectors` as its matrix when that starts at offset 0 and has room for
   * `capacity` rows (the caller must not write to it after); otherwise it copies. Throws on a repeated id or rows
   * that do not add up.
   */
  static async fromSaved(options: MemoryIndexOptions, saved: SavedRows): Promise<MemoryVectorIndex> {
    const n = saved.ids.length;
    const dim = options.dim;
    if (saved.vectors.length !== n * dim) throw new RangeError(`${saved.vectors.length} vector values for ${n} rows of ${dim} dims`);
    const capacity = Math.max(options.capacity ?? INITIAL_CAPACITY, n);
    const index = await MemoryVectorIndex.create({ ...options, capacity });
    const { buffer, byteOffset } = saved.vectors;
    // A buffer with room for every row (copy-file.ts reads the vectors into one) becomes the matrix as it is: the
    // 46 MB of the 44k catalog are not allocated and copied twice.
    if (byteOffset === 0 && buffer.byteLength >= capacity * dim * 4 && buffer instanceof ArrayBuffer) index.matrix = new Float32Array(buffer, 0, capacity * dim);
    else index.matrix.set(saved.vectors);
    for (let row = 0; row < n; row++) {
      const id = saved.ids[row];
      if (index.rowOf.has(id)) {
        await index.close();
        throw new RangeError(`id ${id} is saved twice`);
      }
      index.rowOf.set(id, row);
    }
    index.ids = saved.ids.slice();
    index.rows = n;
    for (let w = 0; w < n >>> 5; w++) index.alive[w] = 0xffffffff;
    for (let row = n & ~31; row < n; row++) setBit(index.alive, row);
    let maxSquared = 0;
    const m = index.matrix;
    for (let row = 0; row < n; row++) {
      let norm = 0;
      for (let j = row * dim, end = j + dim; j < end; j++) norm += m[j] * m[j];
      if (norm > maxSquared) maxSquared = norm;
    }
    index.maxRowNorm = Math.sqrt(maxSquared);
    try {
      index.columns.restore(saved.columns, n);
    } catch (e) {
      await index.close();
      throw e;
    }
    return index;
  }

  /** The live rows, compacted in row order (ids, vectors, columns), for a saved copy. */
  saved(): SavedRows {
    const live = rowsOf(this.alive).filter((row) => row < this.rows);
    const vectors = new Float32Array(live.length * this.dim);
    if (live.length === this.rows) vectors.set(this.matrix.subarray(0, this.rows * this.dim));
    else for (let i = 0; i < live.length; i++) vectors.set(this.matrix.subarray(live[i] * this.dim, (live[i] + 1) * this.dim), i * this.dim);
    return { ids: Array.from(live, (row) => this.ids[row]!), vectors, columns: this.columns.saved(live) };
  }

  /** Live products. */
  get size(): number {
    return this.rowOf.size;
  }

  /** Whether searches may use the approximate index (it exists and is in step with the rows). */
  get annActive(): boolean {
    return this.ann !== null;
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  private grow(rows: number): void {
    if (rows <= this.capacity) return;
    let capacity = this.capacity;
    // Grows by half: a server adding products now and then should not double a large matrix for a few rows.
    while (capacity < rows) capacity = Math.ceil(capacity * 1.5);
    const matrix = new Float32Array(capacity * this.dim);
    matrix.set(this.matrix.subarray(0, this.rows * this.dim));
    this.matrix = matrix;
    this.alive = grown(this.alive, capacity);
    this.columns.reserve(capacity);
    this.capacity = capacity;
  }

  /** Adds or replaces products by id. */
  upsert(records: readonly MemoryIndexRecord[]): void {
    for (const r of records) {
      if (r.vector.length !== this.dim) throw new RangeError(`vector of ${r.id} has ${r.vector.length} dims; the index has ${this.dim}`);
    }
    const added = new Set(records.filter((r) => !this.rowOf.has(r.id)).map((r) => r.id)).size;
    this.grow(this.rows + Math.max(0, added - this.free.length));
    const changed: number[] = [];
    for (const r of records) {
      let row = this.rowOf.get(r.id);
      if (row === undefined) {
        row = this.free.pop() ?? this.rows++;
        this.rowOf.set(r.id, row);
        this.ids[row] = r.id;
        setBit(this.alive, row);
      }
      this.matrix.set(r.vector, row * this.dim);
      let norm = 0;
      for (let j = 0; j < this.dim; j++) norm += r.vector[j] * r.vector[j];
      this.maxRowNorm = Math.max(this.maxRowNorm, Math.sqrt(norm));
      this.columns.set(row, r.attributes);
      changed.push(row);
    }
    this.ann?.upsert(changed, this.matrix);
    if (this.annBuilding) for (const row of changed) this.annPending.add(row);
  }

  /** Removes products by id; returns how many were present. */
  delete(ids: readonly string[]): number {
    const removed: number[] = [];
    for (const id of ids) {
      const row = this.rowOf.get(id);
      if (row === undefined) continue;
      this.rowOf.delete(id);
      this.ids[row] = undefined;
      clearBit(this.alive, row);
      this.columns.clear(row);
      this.matrix.fill(0, row * this.dim, (row + 1) * this.dim);
      this.free.push(row);
      removed.push(row);
    }
    this.ann?.remove(removed);
    if (this.annBuilding) for (const row of removed) this.annPending.add(row);
    return removed.length;
  }

  /**
   * Builds (or rebuilds) the approximate index over the live rows with the configured factory, in chunks that give
   * the event loop back in between (a server keeps answering, exactly, while it builds). Rows written meanwhile
   * are taken in before it is switched on.
   */
  async buildAnn(options: { chunk?: number } = {}): Promise<void> {
    if (!this.options.ann) throw new Error('this index has no ANN factory');
    const ann = await this.options.ann({ dim: this.dim, capacity: this.capacity });
    const chunk = options.chunk ?? 20_000;
    const generation = ++this.annGeneration;
    this.annPending.clear();
    this.annBuilding = true;
    try {
      const rows = rowsOf(this.alive);
      for (let done = 0; done < rows.length; done += chunk) {
        ann.upsert(rows.subarray(done, done + chunk), this.matrix);
        await new Promise((resolve) => setImmediate(resolve));
        if (generation !== this.annGeneration) {
          ann.close();
          return;
        }
      }
      // Writes made while building, taken in synchronously so that none slips between this and the switch.
      const pending = [...this.annPending];
      ann.remove(pending);
      ann.upsert(pending.filter((r) => hasBit(this.alive, r)), this.matrix);
      this.ann?.close();
      this.ann = ann;
    } finally {
      if (generation === this.annGeneration) this.annBuilding = false;
      this.annPending.clear();
    }
  }

  dropAnn(): void {
    this.annGeneration++;
    this.annBuilding = false;
    this.ann?.close();
    this.ann = null;
  }

  /** The approximate index's settings in words, while searches use one. */
  get annDescription(): string | undefined {
    return this.ann?.description;
  }

  /** Live rows matching the filters, minus excluded ids: a fresh bitmap. */
  private eligible(filters: NormalizedFilters | undefined, excludeIds: readonly string[] | undefined): Bitmap {
    const mask = filters && filters.size > 0 ? this.columns.mask(filters, this.alive, this.rows) : this.alive.slice(0, Math.ceil(this.rows / 32));
    for (const id of excludeIds ?? []) {
      const row = this.rowOf.get(id);
      if (row !== undefined) clearBit(mask, row);
    }
    return mask;
  }

  /** The page of the exact ranking (or the ANN's, above its size): score desc, id asc, offset, k, minScore. */
  async search(options: MemorySearchOptions): Promise<MemoryHit[]> {
    const offset = options.offset ?? 0;
    const m = offset + options.k;
    const query = options.vector;
    if (query.length !== this.dim) throw new RangeError(`query vector has ${query.length} dims; the index has ${this.dim}`);
    const mask = this.eligible(options.filters, options.excludeIds);
    const count = cardinality(mask);
    if (count === 0 || m === 0) {
      this.lastPath = 'empty';
      return [];
    }
    let candidates: number[] | null = null;
    const share = count / Math.max(1, this.size);
    if (this.ann && share >= (this.options.annMinShare ?? 0.05)) {
      this.lastPath = 'ann';
      candidates = this.ann.search({ query, wanted: m, share, accept: (row) => hasBit(mask, row) });
    }
    if (!candidates && share > (this.options.subsetShare ?? 0.25)) {
      this.lastPath = 'exact-all';
      candidates = this.topByExactSearch(mask, m, share, query);
      if (!candidates) {
        const scores = await this.scorer.scoreAll(this.matrix, this.rows, query);
        const eligibleRows = rowsOf(mask, count);
        candidates = this.nearCutoff(scores, eligibleRows, (i) => eligibleRows[i], m, query);
      }
    } else if (!candidates) {
      this.lastPath = 'exact-subset';
      const picks = rowsOf(mask, count);
      const scores = await this.scorer.scoreRows(this.matrix, this.rows, picks, query);
      candidates = this.nearCutoff(scores, picks, (i) => i, m, query);
    }
    const ranked = candidates
      .map((row) => ({ id: this.ids[row]!, score: dot64(this.matrix, this.dim, row, query) }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const minScore = options.minScore ?? Number.NEGATIVE_INFINITY;
    return ranked.slice(offset, m).filter((h) => h.score >= minScore);
  }

  /**
   * The same superset as `nearCutoff` over every row, from usearch's SIMD exact search, which returns only the
   * best `count` rows (no score per row to allocate and select from): the list is long enough when its last
   * score falls below the cut-off (the m-th best eligible score minus the error margin), so that no row left out
   * can be within the margin; otherwise it asks again for four times as many, and above a quarter of the rows it
   * gives up (null) for the full scan.
   */
  private topByExactSearch(mask: Bitmap, m: number, share: number, query: Float32Array): number[] | null {
    const rows = this.rows;
    // IP distances are 1 - dot in float32: the subtraction adds up to two float32 roundings of values <= 2.
    const margin = float32ErrorBound(this.dim, norm(query), this.maxRowNorm) + 2 * 2 ** -23;
    // The rows in use, as a view from the matrix's start (usearch ignores a view's offset, not its length).
    const matrix = this.matrix.subarray(0, rows * this.dim);
    for (let count = Math.min(rows, Math.ceil((2 * m + 32) / share)); ; count = Math.min(rows, count * 4)) {
      if (count > Math.max(1024, rows / 4) && count < rows) return null;
      const found = usearch.exactSearch(matrix, query, this.dim, count, usearch.MetricKind.IP, 1) as Matches;
      const scores = found.distances;
      const eligible: number[] = [];
      const eligibleScores: number[] = [];
      for (let i = 0; i < found.keys.length; i++) {
        const row = Number(found.keys[i]);
        if (row < rows && hasBit(mask, row)) {
          eligible.push(row);
          eligibleScores.push(1 - scores[i]);
        }
      }
      const complete = found.keys.length >= rows;
      if (eligible.length < m && !complete) continue;
      // Distances come in ascending order, so the m-th eligible score is the m-th best.
      const cutoff = eligible.length >= m ? eligibleScores[m - 1] - margin : Number.NEGATIVE_INFINITY;
      const last = found.keys.length > 0 ? 1 - scores[found.keys.length - 1] : Number.NEGATIVE_INFINITY;
      if (!complete && last >= cutoff) continue;
      const out: number[] = [];
      for (let i = 0; i < eligible.length; i++) if (eligibleScores[i] >= cutoff) out.push(eligible[i]);
      return out;
    }
  }

  /**
   * Rows whose float32 score is within the float32 error margin of the m-th best: a superset of the exact top m
   * (ties included), to be scored again in float64.
   */
  private nearCutoff(scores: Float32Array, rows: Int32Array, scoreIndex: (i: number) => number, m: number, query: Float32Array): number[] {
    const cutoff = mthLargest(scores, rows.length, m, scoreIndex) - float32ErrorBound(this.dim, norm(query), this.maxRowNorm);
    const out: number[] = [];
    for (let i = 0; i < rows.length; i++) if (scores[scoreIndex(i)] >= cutoff) out.push(rows[i]);
    return out;
  }

  /** Live products matching the filters. */
  count(filters?: NormalizedFilters): number {
    return cardinality(this.eligible(filters, undefined));
  }

  /** Whether a product is live and matches `filters`, one bitmap built per call (a keyword query's matches test it). */
  matcher(filters: NormalizedFilters): (id: string) => boolean {
    const mask = this.eligible(filters, undefined);
    return (id) => {
      const row = this.rowOf.get(id);
      return row !== undefined && hasBit(mask, row);
    };
  }

  /** The cosine of `query` with a product's vector (rows are unit length), read in place: no copy of the row. */
  cosineTo(query: Float32Array): (id: string) => number | undefined {
    if (query.length !== this.dim) throw new RangeError(`query vector has ${query.length} dims; the index has ${this.dim}`);
    return (id) => {
      const row = this.rowOf.get(id);
      return row === undefined ? undefined : dot64(this.matrix, this.dim, row, query);
    };
  }

  /** Disjunctive facet counts over the live products (or only `ids`, e.g. a query's matches). */
  facets(fields: readonly string[], filters?: NormalizedFilters, ids?: Iterable<string>): Facets {
    let base = this.alive;
    if (ids) {
      base = newBitmap(this.rows);
      for (const id of ids) {
        const row = this.rowOf.get(id);
        if (row !== undefined) setBit(base, row);
      }
    }
    return this.columns.facets(fields, filters ?? new Map(), base, this.rows);
  }

  /** The stored vector and attributes of a product, or null. */
  get(id: string): { vector: Float32Array; attributes: Attributes } | null {
    const row = this.rowOf.get(id);
    if (row === undefined) return null;
    return { vector: this.matrix.slice(row * this.dim, (row + 1) * this.dim), attributes: this.columns.get(row) };
  }

  /** A product's attributes as the columns hold them, or null. */
  attributesOf(id: string): Attributes | null {
    const row = this.rowOf.get(id);
    return row === undefined ? null : this.columns.get(row);
  }

  /** Every live product's id and attributes, in row order (faster than attributesOf per id for all of them). */
  forEachProduct(fn: (id: string, attributes: Attributes) => void): void {
    const attributesOf = this.columns.rowReader();
    forEachRow(this.alive, (row) => {
      if (row < this.rows) fn(this.ids[row]!, attributesOf(row));
    });
  }

  /** Ids of the live products, in row order. */
  forEachId(fn: (id: string) => void): void {
    forEachRow(this.alive, (row) => {
      if (row < this.rows) fn(this.ids[row]!);
    });
  }

  /** Approximate bytes held by the matrix (the dominant cost). */
  get matrixBytes(): number {
    return this.matrix.byteLength;
  }

  async close(): Promise<void> {
    this.ann?.close();
    this.ann = null;
    await this.scorer.close();
  }
}
