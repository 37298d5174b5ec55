// Size-bounded LRU caches for query embeddings and search results, keyed exactly: the model hash plus the
// normalised text or the SHA-256 of the image bytes (never a perceptual hash: two different photos that look
// alike must not share results), and for results also filters, k, offset, minScore and the index version.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Filters } from '../domain/types.js';

export interface QueryCacheOptions {
  /** Bytes of embeddings kept. */
  maxEmbeddingBytes?: number;
  /** Result sets kept. */
  maxResults?: number;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whitespace and Unicode form do not change what a tokenizer sees. */
export function normalizeQueryText(text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/g, ' ');
}

export function canonicalFilters(filters?: Filters): [string, string[]][] {
  if (!filters) return [];
  return Object.entries(filters)
    .map(([field, v]): [string, string[]] => [field, [...new Set((Array.isArray(v) ? v : [v]).map(String))].sort()])
    .filter(([, v]) => v.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export class QueryCache<R extends object> {
  readonly embeddings: LRUCache<string, Float32Array>;
  readonly results: LRUCache<string, R>;
  private indexVersion: string | null = null;

  constructor(options: QueryCacheOptions = {}) {
    this.embeddings = new LRUCache<string, Float32Array>({ maxSize: options.maxEmbeddingBytes ?? 16 * 1024 * 1024, sizeCalculation: (v) => Math.max(1, v.byteLength) });
    this.results = new LRUCache<string, R>({ max: options.maxResults ?? 2000 });
  }

  /** Empties the result cache when the index changed since the last query (a re-index, an upsert, a delete). */
  observeIndexVersion(version: string): void {
    if (this.indexVersion !== null && this.indexVersion !== version) this.results.clear();
    this.indexVersion = version;
  }

  clear(): void {
    this.embeddings.clear();
    this.results.clear();
  }
}
