// The VectorStore port: vectors plus product metadata, exact or approximate nearest-neighbour search with
// metadata filters, and a manifest of the model that produced the vectors.
import type { Facets, Filters, IndexedRecord, Attributes } from '../../domain/types.js';
import type { ModelManifest } from '../../model/embedder.js';

export interface StoreManifest {
  model: ModelManifest;
  /** Attribute fields known to the index, usable in filters and facets. */
  attributeFields: string[];
  metric: 'cosine';
  normalized: true;
  createdAt: string;
  updatedAt: string;
}

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

export interface VectorStore {
  /** The manifest, or null for an empty, never-written store. */
  readManifest(): Promise<StoreManifest | null>;
  /**
   * Binds the store to a model: creates the manifest on first use, refuses (MODEL_MISMATCH) a model whose
   * hash or dimension differs from the one the index was built with. New attribute fields are added.
   */
  bindModel(model: ModelManifest, attributeFields: string[]): Promise<StoreManifest>;
  upsert(records: IndexedRecord[]): Promise<void>;
  delete(ids: string[]): Promise<number>;
  /** id -> contentHash for the given ids that are present (used to skip unchanged items). */
  contentHashes(ids: string[]): Promise<Map<string, string>>;
  get(id: string, options?: { withVector?: boolean }): Promise<(StoredItem & { vector?: Float32Array }) | null>;
  search(options: VectorSearchOptions): Promise<StoredHit[]>;
  count(filters?: Filters): Promise<number>;
  /** Value counts per field over the products matching `filters` (each field ignores its own filter). */
  facets(fields: string[], filters?: Filters): Promise<Facets>;
  /** Streams every record in batches (for eval and migration). */
  scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<(StoredItem & { vector?: Float32Array })[]>;
  /**
   * An opaque token that changes whenever the index content changes (also by another process), so caches can
   * drop stale results. Optional: stores without it are not result-cached.
   */
  version?(): Promise<string>;
  close(): Promise<void>;
}
