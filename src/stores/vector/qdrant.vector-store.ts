// Qdrant as the shared store: a collection (sharded and replicated by Qdrant when the URL asks) holds the
// vectors with product metadata as payload; the model manifest lives in the collection's metadata (Qdrant >= 1.16).
// Attribute fields become flat payload keys attr_0, attr_1, ... (mapped in the manifest, as in the embedded store)
// so any field name filters and facets safely; each gets a keyword payload index.
//
// Example:
//   const store = await QdrantVectorStore.open({ url: 'qdrant://localhost:6333/products?shard_number=2&replication_factor=2' });
import { createHash } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import { AppError, errorMessage, isAppError } from '../../errors/app-error.js';
import type { NormalizedFilters } from '../../domain/filters.js';
import { publicManifest, type StoreManifest } from '../../domain/manifest.js';
import type { Attributes, Facets, IndexedRecord } from '../../domain/types.js';
import type { StoreLocation } from './model-guard.js';
import { DEFAULT_RETRY, retryAfterMs, withRetry, type RetryDecision, type RetryPolicy } from './rate-limit.js';
import { attributeColumns, VectorStoreKernel, type ManifestDecision, type NearestQuery, type VectorStoreDriver } from './store-kernel.js';
import type { StoredHit, StoredRecord } from './vector-store.js';

export interface QdrantStoreOptions {
  /** qdrant://host:6333/collection?shard_number=2&replication_factor=2&exact=1&hnsw_ef=128 (qdrants:// for TLS) */
  url: string;
  /** Qdrant Cloud API key (config's qdrantApiKey, from QDRANT_API_KEY). */
  apiKey?: string;
  retry?: RetryPolicy;
}

export interface QdrantSettings {
  endpoint: string;
  collection: string;
  shardNumber?: number;
  replicationFactor?: number;
  exact: boolean;
  hnswEf?: number;
}

/** The manifest as saved in the collection's metadata: the payload key of each attribute field beside it. */
interface QdrantManifest extends StoreManifest {
  columns: Record<string, string>;
}

interface ProductPayload {
  id: string;
  title: string;
  image_ref: string;
  content_hash: string;
  attributes: Attributes;
  [column: string]: unknown;
}

type QdrantFilter = { must?: unknown[]; must_not?: unknown[] };

const METADATA_KEY = 'vitrine_manifest';
const WRITE_BATCH = 256;
const FACET_LIMIT = 10_000;

export function parseQdrantUrl(url: string): QdrantSettings {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AppError('CONFIG_ERROR', `invalid Qdrant store URL ${url}`);
  }
  const collection = decodeURIComponent(u.pathname.replace(/^\/+/, ''));
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(collection)) {
    throw new AppError('CONFIG_ERROR', `the Qdrant store URL ${url} needs a collection name: qdrant://host:6333/<collection>`);
  }
  const int = (name: string): number | undefined => {
    const raw = u.searchParams.get(name);
    if (raw === null) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new AppError('CONFIG_ERROR', `Qdrant URL option ${name}=${raw} must be a positive integer`);
    return n;
  };
  const tls = u.protocol === 'qdrants:';
  return {
    endpoint: `${tls ? 'https' : 'http'}://${u.hostname}:${u.port || '6333'}`,
    collection,
    shardNumber: int('shard_number'),
    replicationFactor: int('replication_factor'),
    exact: ['1', 'true'].includes(u.searchParams.get('exact') ?? ''),
    hnswEf: int('hnsw_ef'),
  };
}

export function qdrantLocation(settings: QdrantSettings): StoreLocation {
  return {
    label: `Qdrant collection ${settings.collection} at ${settings.endpoint}`,
    reindexHint: 're-index with this model into another collection (qdrant://host:6333/<new collection>), or delete the collection and index again',
    indexFlags: `--store qdrant${settings.endpoint.startsWith('https:') ? 's' : ''}://${new URL(settings.endpoint).host}/${settings.collection}`,
  };
}

/** Qdrant point ids are integers or UUIDs: a product id maps to a stable UUID-shaped digest. */
export function pointId(productId: string): string {
  const h = createHash('sha256').update(productId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Rate limits (429, with or without Retry-After) and passing unavailability are retried; the rest is not. */
function classifyQdrantError(e: unknown): RetryDecision {
  const err = e as { name?: string; status?: number; retry_after?: number; headers?: Headers };
  if (err?.name === 'QdrantClientResourceExhaustedError') return { retry: true, afterMs: (err.retry_after ?? 0) * 1000 };
  if (err?.status === 429 || (err?.status !== undefined && err.status >= 502 && err.status <= 504)) {
    return { retry: true, afterMs: retryAfterMs(typeof err.headers?.get === 'function' ? err.headers.get('retry-after') : undefined) };
  }
  const code = (e as { cause?: { code?: string } })?.cause?.code;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return { retry: true };
  return { retry: false };
}

function describeError(e: unknown): string {
  const err = e as { status?: number; data?: { status?: { error?: string } } };
  const detail = err?.data?.status?.error;
  return `${errorMessage(e)}${err?.status ? ` (HTTP ${err.status})` : ''}${detail ? `: ${detail}` : ''}`;
}


class QdrantDriver implements VectorStoreDriver {
  readonly location: StoreLocation;
  /** attribute field -> payload key, from the manifest last read or written. */
  private columns: Record<string, string> = {};

  constructor(
    private readonly settings: QdrantSettings,
    private readonly client: QdrantClient,
    private readonly retry: RetryPolicy,
  ) {
    this.location = qdrantLocation(settings);
  }

  /** One client call with retries; failures become STORE_ERROR with the cause. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(fn, classifyQdrantError, this.retry);
    } catch (e) {
      if (isAppError(e)) throw e;
      throw new AppError('STORE_ERROR', `${this.location.label}: ${what} failed: ${describeError(e)}`, { cause: e });
    }
  }

  async exists(): Promise<boolean> {
    const r = await this.call('checking the collection', () => this.client.collectionExists(this.settings.collection));
    return r.exists;
  }

  async loadManifest(): Promise<StoreManifest | null> {
    let saved: QdrantManifest | null = null;
    if (await this.exists()) {
      const info = await this.call('reading the collection', () => this.client.getCollection(this.settings.collection));
      const raw = ((info.config as { metadata?: Record<string, unknown> | null }).metadata ?? {})[METADATA_KEY];
      if (typeof raw === 'string') saved = JSON.parse(raw) as QdrantManifest;
    }
    this.columns = saved ? (saved.columns ?? attributeColumns({}, saved.attributeFields)) : {};
    return saved && publicManifest(saved);
  }

  async updateManifest(decide: ManifestDecision): Promise<StoreManifest> {
    const current = await this.loadManifest();
    const next = decide(current);
    if (!next) return current!;
    if (!current && !(await this.exists())) {
      await this.call('creating the collection', () =>
        this.client.createCollection(this.settings.collection, {
          vectors: { size: next.model.dimension, distance: 'Cosine' },
          shard_number: this.settings.shardNumber,
          replication_factor: this.settings.replicationFactor,
        }),
      );
    }
    const columns = attributeColumns(this.columns, next.attributeFields);
    for (const field of next.attributeFields.filter((f) => !(f in this.columns))) {
      await this.call(`indexing payload field ${field}`, () =>
        this.client.createPayloadIndex(this.settings.collection, { field_name: columns[field], field_schema: 'keyword', wait: true }),
      );
    }
    // Stored as a JSON string so Qdrant's metadata merge never mixes two manifests' fields.
    const saved: QdrantManifest = { ...next, columns };
    await this.call('writing the manifest', () =>
      this.client.updateCollection(this.settings.collection, { metadata: { [METADATA_KEY]: JSON.stringify(saved) } } as never),
    );
    this.columns = columns;
    return next;
  }

  private payload(r: IndexedRecord): ProductPayload {
    const p: ProductPayload = { id: r.id, title: r.title, image_ref: r.imageRef, content_hash: r.contentHash, attributes: r.attributes };
    for (const [field, column] of Object.entries(this.columns)) if (r.attributes[field] !== undefined) p[column] = r.attributes[field];
    return p;
  }

  async write(records: IndexedRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += WRITE_BATCH) {
      const batch = records.slice(i, i + WRITE_BATCH);
      await this.call(`writing ${batch.length} records`, () =>
        this.client.upsert(this.settings.collection, {
          wait: true,
          points: batch.map((r) => ({ id: pointId(r.id), vector: Array.from(r.vector), payload: this.payload(r) })),
        }),
      );
    }
  }

  async remove(ids: string[]): Promise<number> {
    const present = await this.contentHashes(ids);
    if (present.size === 0) return 0;
    await this.call('deleting', () => this.client.delete(this.settings.collection, { wait: true, points: [...present.keys()].map(pointId) }));
    return present.size;
  }

  private async retrieve(ids: string[], withVector: boolean): Promise<{ payload: ProductPayload; vector?: number[] }[]> {
    const out: { payload: ProductPayload; vector?: number[] }[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const points = await this.call('reading points', () =>
        this.client.retrieve(this.settings.collection, { ids: ids.slice(i, i + 1000).map(pointId), with_payload: true, with_vector: withVector }),
      );
      for (const p of points) out.push({ payload: p.payload as ProductPayload, vector: Array.isArray(p.vector) ? (p.vector as number[]) : undefined });
    }
    return out;
  }

  async contentHashes(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const p of await this.retrieve(ids, false)) out.set(p.payload.id, p.payload.content_hash);
    return out;
  }

  private toItem(payload: ProductPayload, vector?: number[]): StoredRecord {
    const item: StoredRecord = {
      id: payload.id,
      title: payload.title,
      imageRef: payload.image_ref,
      attributes: payload.attributes,
      contentHash: payload.content_hash,
    };
    if (vector) item.vector = Float32Array.from(vector);
    return item;
  }

  async get(id: string, withVector: boolean): Promise<StoredRecord | null> {
    const [p] = await this.retrieve([id], withVector);
    return p ? this.toItem(p.payload, p.vector) : null;
  }

  private filter(filters: NormalizedFilters, options: { skipField?: string; excludeIds?: readonly string[] } = {}): QdrantFilter | undefined {
    const must: unknown[] = [];
    for (const [field, values] of filters) {
      if (field === options.skipField) continue;
      must.push({ key: this.columns[field], match: values.length === 1 ? { value: values[0] } : { any: values } });
    }
    const mustNot = options.excludeIds && options.excludeIds.length > 0 ? [{ has_id: options.excludeIds.map(pointId) }] : [];
    if (must.length === 0 && mustNot.length === 0) return undefined;
    return { ...(must.length > 0 ? { must } : {}), ...(mustNot.length > 0 ? { must_not: mustNot } : {}) };
  }

  async nearest(query: NearestQuery): Promise<StoredHit[]> {
    const result = await this.call('vector search', () =>
      this.client.query(this.settings.collection, {
        query: Array.from(query.vector),
        filter: this.filter(query.filters, { excludeIds: query.excludeIds }) as never,
        limit: query.limit,
        with_payload: true,
        params: this.settings.exact ? { exact: true } : { hnsw_ef: Math.max(this.settings.hnswEf ?? 128, query.limit) },
      }),
    );
    return result.points.map((p) => ({ ...this.toItem(p.payload as ProductPayload), score: p.score }));
  }

  async count(filters: NormalizedFilters): Promise<number> {
    const filter = this.filter(filters);
    const r = await this.call('counting', () => this.client.count(this.settings.collection, { filter: filter as never, exact: true }));
    return r.count;
  }

  /** Qdrant's facet API (>= 1.12) over the keyword-indexed attribute keys, one call per field (disjunctive). */
  async facets(fields: string[], filters: NormalizedFilters): Promise<Facets> {
    const facets: Facets = {};
    for (const field of fields) {
      const r = await this.call(`counting facet ${field}`, () =>
        this.client.facet(this.settings.collection, {
          key: this.columns[field],
          filter: this.filter(filters, { skipField: field }) as never,
          limit: FACET_LIMIT,
          exact: true,
        }),
      );
      facets[field] = r.hits
        .map((h) => ({ value: String(h.value), count: h.count }))
        .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    }
    return facets;
  }

  async *scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<StoredRecord[]> {
    let offset: string | number | undefined;
    for (;;) {
      const page = await this.call('scanning', () =>
        this.client.scroll(this.settings.collection, { limit: options.batchSize, offset, with_payload: true, with_vector: options.withVector }),
      );
      if (page.points.length > 0) {
        yield page.points.map((p) => this.toItem(p.payload as ProductPayload, Array.isArray(p.vector) ? (p.vector as number[]) : undefined));
      }
      const next = page.next_page_offset;
      if (next === null || next === undefined || typeof next === 'object') return;
      offset = next;
    }
  }

  async drop(): Promise<void> {
    if (await this.exists()) await this.call('deleting the collection', () => this.client.deleteCollection(this.settings.collection));
    this.columns = {};
  }

  async close(): Promise<void> {
    // The REST client holds no connection that needs closing.
  }
}

export class QdrantVectorStore extends VectorStoreKernel<QdrantDriver> {
  static async open(options: QdrantStoreOptions): Promise<QdrantVectorStore> {
    const settings = parseQdrantUrl(options.url);
    const client = new QdrantClient({ url: settings.endpoint, apiKey: options.apiKey, checkCompatibility: false, timeout: 60_000 });
    return new QdrantVectorStore(new QdrantDriver(settings, client, options.retry ?? DEFAULT_RETRY)).load();
  }

  /** Deletes the whole index (tests, and re-indexing from scratch). */
  declare readonly drop: () => Promise<void>;
}

export async function openQdrantStore(options: QdrantStoreOptions): Promise<QdrantVectorStore> {
  return QdrantVectorStore.open(options);
}
