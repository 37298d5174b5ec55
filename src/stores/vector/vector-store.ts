// The VectorStore port: vectors plus product metadata, exact or approximate nearest-neighbour search with
// metadata filters, and a manifest of the model that produced the vectors. Every adapter is a VectorStoreKernel
// (store-kernel.ts) over a driver for its technology, so the rules behind this port hold alike for all of them.
import type { ModelManifest, StoreManifest } from '../../domain/manifest.js';
import type { ResolvedFilters } from '../../domain/filters.js';
import type { Scored } from '../../domain/ranking.js';
import type { Facets, Filters, IndexedRecord, Attributes } from '../../domain/types.js';
import type { StoreLocation } from './model-guard.js';
import type { WriterLock } from './writer-lock.js';
import type { ReadPathState } from './memory-index/memory.read-path.js';

export type { StoreManifest, WriterLock };

export interface VectorSearchOptions {
  vector: Float32Array;
  k: number;
  offset?: number;
  filters?: Filters;
  /** Results below this cosine similarity are dropped. */
  minScore?: number;
  /** Ids never returned (e.g. the query product itself). */
  excludeIds?: string[];
}

export interface KeywordSearchOptions {
  /** Words to look for in titles and attribute values (typos and word starts forgiven). */
  text: string;
  /** Ids never returned (e.g. the query product itself). */
  excludeIds?: string[];
  /** Only matches with these attribute values are ranked and counted in `matched`. */
  filters?: Filters;
  /** How many of the best matches to rank (default: all). Counting and testing matches needs none ranked. */
  limit?: number;
  /**
   * Keeps only the matches whose cosine with `vector` `keep` accepts (a minScore), in `ranked`, `matched`, `has` and
   * `ids` alike.
   */
  similarTo?: { vector: Float32Array; keep: (cosine: number) => boolean };
}

/** A keyword query's matches: the best few ranked, all of them counted and testable. */
export interface KeywordSearchResult {
  /** The best `limit` matches that pass the filters, best first (score: BM25; ties by id). */
  ranked: Scored[];
  /** How many matches pass the filters. */
  matched: number;
  /** Whether a product matches the words (filters aside; `similarTo` applied). */
  has(id: string): boolean;
  /** Every match's id, filters aside (facets count over them, each field ignoring its own filter; `similarTo` applied). */
  ids(): string[];
}

export interface StoredHit {
  id: string;
  score: number;
  title: string;
  imageRef: string;
  attributes: Attributes;
}

export interface StoredItem {
  id: string;
  title: string;
  imageRef: string;
  attributes: Attributes;
  contentHash: string;
}

/** A stored item, with its vector when asked for. */
export type StoredRecord = StoredItem & { vector?: Float32Array };

/** What `verify` found: problems make the index unusable (INDEX_CORRUPT); warnings are worth knowing. */
export interface IntegrityReport {
  ok: boolean;
  /** Products the store counts (and, deep, read). */
  count: number;
  problems: string[];
  warnings: string[];
}

export interface VectorStore {
  /** Where the index lives, in the words of error messages (never a password). */
  readonly location: StoreLocation;
  /** The manifest, or null for a store that was never indexed. Reads it again from the store. */
  readManifest(): Promise<StoreManifest | null>;
  /**
   * For readers (serve, search): refuses (MODEL_MISMATCH) an index built with another model, now and whenever the
   * manifest is read again (an index written later by another process included). Returns the manifest, or null
   * while the store was never indexed. Writes nothing.
   */
  expectModel(model: ModelManifest): Promise<StoreManifest | null>;
  /**
   * For writers: binds the store to a model: creates the manifest on first use, refuses (MODEL_MISMATCH) a model
   * whose hash or dimension differs from the one the index was built with. New attribute fields are added.
   */
  bindModel(model: ModelManifest, attributeFields: string[]): Promise<StoreManifest>;
  /**
   * Takes this index's writer lock (one writer at a time, across processes) for `command` (`vitrine index`, ...), or
   * throws INDEX_LOCKED naming the holder. Readers never take it. Stores without a locking primitive (Qdrant,
   * Pinecone) return a lock that holds nothing. Every kernel store has it; optional for test fakes of the port.
   */
  lockWriter?(command: string): Promise<WriterLock>;
  /** Writes records (the last one wins for an id given twice); NO_INDEX before bindModel. */
  upsert(records: IndexedRecord[]): Promise<void>;
  delete(ids: string[]): Promise<number>;
  /** id -> contentHash for the given ids that are present (used to skip unchanged items). */
  contentHashes(ids: string[]): Promise<Map<string, string>>;
  get(id: string, options?: { withVector?: boolean }): Promise<StoredRecord | null>;
  /** Ranked hits (score desc, then id asc), paged; NO_INDEX on a store that was never indexed. */
  search(options: VectorSearchOptions): Promise<StoredHit[]>;
  /**
   * The products whose title or attribute values hold the query's words: the best `limit` that pass the filters
   * ranked (score: the keyword index's BM25, ties by id), all of them counted, without records (a common word
   * matches half the catalog): callers fetch `recordsOf` for what they show. NO_INDEX on a store never indexed.
   */
  keywordSearch(options: KeywordSearchOptions): Promise<KeywordSearchResult>;
  /** Title, image and attributes of the ids the index holds (from memory where the store keeps a copy). */
  recordsOf(ids: readonly string[]): Promise<Map<string, Omit<StoredHit, 'score'>>>;
  /** The cosine of `vector` with the stored vector of each of `ids` that the index holds. */
  similarities(vector: Float32Array, ids: readonly string[]): Promise<Map<string, number>>;
  /**
   * Filters in the index's own spelling (values compared trimmed and case-insensitively), with the values that
   * match no product and the closest known ones. UNKNOWN_FILTER_FIELD for a field the index lacks.
   */
  resolveFilters(filters?: Filters): Promise<ResolvedFilters>;
  count(filters?: Filters): Promise<number>;
  /**
   * Value counts per field over the products matching `filters` (each field ignores its own filter); over the
   * products `within` only when given (a query's result set, so facets follow the query).
   */
  facets(fields: string[], filters?: Filters, options?: { within?: readonly string[] }): Promise<Facets>;
  /** Streams every record in batches (for eval and migration). */
  scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<StoredRecord[]>;
  /**
   * An opaque token that changes whenever the index content changes (also by another process), so caches can
   * drop stale results. Optional: stores without it are not result-cached.
   */
  version?(): Promise<string>;
  /**
   * Checks the index against itself: the manifest against the stored data, the store's own verification (the
   * embedded store's file checksums) and, when deep, every record (each id once, vectors of the index's dimension
   * and unit length, as many records read as the store counts). NO_INDEX when never indexed. Every kernel store
   * has it; optional for test fakes of the port.
   */
  verify?(options?: { deep?: boolean }): Promise<IntegrityReport>;
  /** Upkeep after a bulk write (LanceDB compacts the fragments many small writes leave); absent where none is needed. */
  optimize?(): Promise<void>;
  /** Builds an approximate (HNSW) index on request; absent where the store builds one itself. */
  createAnnIndex?(): Promise<void>;
  /**
   * Loads the store's in-memory read path where it keeps one (a server calls it before it reports ready); returns
   * its state, or null where the store answers reads itself. `keywords`: also build the keyword index of hybrid
   * search and the known filter values now, so that no query pays for them.
   */
  prepareReads?(options?: { keywords?: boolean }): Promise<ReadPathState | null>;
  /** Where searches are answered now (for /readyz): the in-memory copy's state, or null. */
  readState?(): ReadPathState | null;
  /**
   * Saves the in-memory copy beside the index (where the store keeps one and can save it) when it changed since it
   * was saved or loaded, so that the next server start reads one file instead of the whole store. Best effort.
   */
  saveReadCopy?(): Promise<void>;
  /** The store's own search and its approximate-search settings, in words (for /readyz and `vitrine info`). */
  searchSettings?(): string | undefined;
  /** Deletes the whole index, manifest included (tests, benches, starting over); absent where a folder is simply removed. */
  drop?(): Promise<void>;
  close(): Promise<void>;
}
