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
import { normalizeFilters, type NormalizedFilters } from '../../domain/filters.js';
import type { Attributes, Facets, Filters, IndexedRecord } from '../../domain/types.js';
import type { ModelManifest } from '../../model/embedder.js';
import { DEFAULT_RETRY, retryAfterMs, withRetry, type RetryDecision, type RetryPolicy } from './rate-limit.js';
import { assertDimension, lastPerId, newAttributeFields } from './records.js';
import type { StoreManifest, StoredHit, StoredItem, VectorSearchOptions, VectorStore } from './vector-store.js';

export interface QdrantStoreOptions {
  /** qdrant://host:6333/collection?shard_number=2&replication_factor=2&exact=1&hnsw_ef=128 (qdrants:// for TLS) */
  url: string;
  /** Qdrant Cloud API key; default QDRANT_API_KEY from the environment. */
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

interface QdrantManifest extends StoreManifest {
  /** attribute field -> payload key */
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

export class QdrantVectorStore implements VectorStore {
  private manifest: QdrantManifest | null = null;

  private constructor(
    private readonly settings: QdrantSettings,
    private readonly client: QdrantClient,
    private readonly retry: RetryPolicy,
  ) {}

  static async open(options: QdrantStoreOptions): Promise<QdrantVectorStore> {
    const settings = parseQdrantUrl(options.url);
    const client = new QdrantClient({
      url: settings.endpoint,
      apiKey: options.apiKey ?? process.env.QDRANT_API_KEY,
      checkCompatibility: false,
      timeout: 60_000,
    });
    const store = new QdrantVectorStore(settings, client, options.retry ?? DEFAULT_RETRY);
    store.manifest = await store.loadManifest();
    return store;
  }

  private get label(): string {
    return `Qdrant collection ${this.settings.collection} at ${this.settings.endpoint}`;
  }

  /** One client call with retries; failures become STORE_ERROR with the cause. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(fn, classifyQdrantError, this.retry);
    } catch (e) {
      if (isAppError(e)) throw e;
      throw new AppError('STORE_ERROR', `${this.label}: ${what} failed: ${describeError(e)}`, { cause: e });
    }
  }

  private async exists(): Promise<boolean> {
    const r = await this.call('checking the collection', () => this.client.collectionExists(this.settings.collection));
    return r.exists;
  }

  private async loadManifest(): Promise<QdrantManifest | null> {
    if (!(await this.exists())) return null;
    const info = await this.call('reading the collection', () => this.client.getCollection(this.settings.collection));
    const metadata = (info.config as { metadata?: Record<string, unknown> | null }).metadata ?? {};
    const raw = metadata[METADATA_KEY];
    return typeof raw === 'string' ? (JSON.parse(raw) as QdrantManifest) : null;
  }

  private async saveManifest(manifest: QdrantManifest): Promise<void> {
    // Stored as a JSON string so Qdrant's metadata merge never mixes two manifests' fields.
    await this.call('writing the manifest', () =>
      this.client.updateCollection(this.settings.collection, { metadata: { [METADATA_KEY]: JSON.stringify(manifest) } } as never),
    );
    this.manifest = manifest;
  }

  private async requireManifest(): Promise<QdrantManifest> {
    this.manifest ??= await this.loadManifest();
    if (!this.manifest) throw new AppError('STORE_ERROR', `${this.label} holds no index yet: run vitrine index first`);
    return this.manifest;
  }

  async readManifest(): Promise<StoreManifest | null> {
    this.manifest = await this.loadManifest();
    if (!this.manifest) return null;
    const { columns: _columns, ...rest } = this.manifest;
    return rest;
  }

  async bindModel(model: ModelManifest, attributeFields: string[]): Promise<StoreManifest> {
    const current = await this.loadManifest();
    if (current && (current.model.hash !== model.hash || current.model.dimension !== model.dimension)) {
      throw new AppError(
        'MODEL_MISMATCH',
        `the index in ${this.label} was built with model ${current.model.id} (hash ${current.model.hash.slice(0, 12)}, ${current.model.dimension} dims), ` +
          `not ${model.id} (hash ${model.hash.slice(0, 12)}, ${model.dimension} dims): re-index with this model into another collection ` +
          `(qdrant://host:6333/${this.settings.collection}_v2), or delete the collection and index again`,
        { details: { indexModel: current.model.id, indexHash: current.model.hash, model: model.id, modelHash: model.hash } },
      );
    }
    const now = new Date().toISOString();
    if (!current) {
      if (!(await this.exists())) {
        await this.call('creating the collection', () =>
          this.client.createCollection(this.settings.collection, {
            vectors: { size: model.dimension, distance: 'Cosine' },
            shard_number: this.settings.shardNumber,
            replication_factor: this.settings.replicationFactor,
          }),
        );
      }
    }
    const manifest: QdrantManifest = current
      ? { ...current, columns: { ...current.columns } }
      : { model, attributeFields: [], columns: {}, metric: 'cosine', normalized: true, createdAt: now, updatedAt: now };
    const added = [...new Set(attributeFields)].filter((f) => !(f in manifest.columns));
    let next = Object.keys(manifest.columns).length;
    for (const field of added) {
      const column = `attr_${next++}`;
      manifest.columns[field] = column;
      await this.call(`indexing payload field ${field}`, () =>
        this.client.createPayloadIndex(this.settings.collection, { field_name: column, field_schema: 'keyword', wait: true }),
      );
    }
    manifest.attributeFields = Object.keys(manifest.columns);
    if (added.length > 0 || !current) {
      manifest.updatedAt = now;
      await this.saveManifest(manifest);
    }
    this.manifest = manifest;
    return (await this.readManifestCached())!;
  }

  private async readManifestCached(): Promise<StoreManifest | null> {
    if (!this.manifest) return null;
    const { columns: _columns, ...rest } = this.manifest;
    return rest;
  }

  private payload(manifest: QdrantManifest, r: IndexedRecord): ProductPayload {
    const p: ProductPayload = { id: r.id, title: r.title, image_ref: r.imageRef, content_hash: r.contentHash, attributes: r.attributes };
    for (const [field, column] of Object.entries(manifest.columns)) if (r.attributes[field] !== undefined) p[column] = r.attributes[field];
    return p;
  }

  async upsert(records: IndexedRecord[]): Promise<void> {
    if (records.length === 0) return;
    let manifest = await this.requireManifest();
    const unknown = newAttributeFields(records, (f) => f in manifest.columns);
    if (unknown.length > 0) {
      await this.bindModel(manifest.model, unknown);
      manifest = await this.requireManifest();
    }
    assertDimension(records, manifest.model.dimension);
    const unique = lastPerId(records);
    for (let i = 0; i < unique.length; i += WRITE_BATCH) {
      const batch = unique.slice(i, i + WRITE_BATCH);
      await this.call(`writing ${batch.length} records`, () =>
        this.client.upsert(this.settings.collection, {
          wait: true,
          points: batch.map((r) => ({ id: pointId(r.id), vector: Array.from(r.vector), payload: this.payload(manifest, r) })),
        }),
      );
    }
  }

  async delete(ids: string[]): Promise<number> {
    if (ids.length === 0 || !(this.manifest ?? (await this.loadManifest()))) return 0;
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
    if (ids.length === 0 || !(this.manifest ?? (await this.loadManifest()))) return out;
    for (const p of await this.retrieve(ids, false)) out.set(p.payload.id, p.payload.content_hash);
    return out;
  }

  private toItem(payload: ProductPayload, vector?: number[]): StoredItem & { vector?: Float32Array } {
    const item: StoredItem & { vector?: Float32Array } = {
      id: payload.id,
      title: payload.title,
      imageRef: payload.image_ref,
      attributes: payload.attributes,
      contentHash: payload.content_hash,
    };
    if (vector) item.vector = Float32Array.from(vector);
    return item;
  }

  async get(id: string, options: { withVector?: boolean } = {}): Promise<(StoredItem & { vector?: Float32Array }) | null> {
    if (!(this.manifest ?? (await this.loadManifest()))) return null;
    const [p] = await this.retrieve([id], options.withVector ?? false);
    return p ? this.toItem(p.payload, p.vector) : null;
  }

  private filter(manifest: QdrantManifest, filters: NormalizedFilters, options: { skipField?: string; excludeIds?: string[] } = {}): QdrantFilter | undefined {
    const must: unknown[] = [];
    for (const [field, values] of filters) {
      if (field === options.skipField) continue;
      must.push({ key: manifest.columns[field], match: values.length === 1 ? { value: values[0] } : { any: values } });
    }
    const mustNot = options.excludeIds && options.excludeIds.length > 0 ? [{ has_id: options.excludeIds.map(pointId) }] : [];
    if (must.length === 0 && mustNot.length === 0) return undefined;
    return { ...(must.length > 0 ? { must } : {}), ...(mustNot.length > 0 ? { must_not: mustNot } : {}) };
  }

  async search(options: VectorSearchOptions): Promise<StoredHit[]> {
    const manifest = await this.requireManifest();
    if (options.vector.length !== manifest.model.dimension) {
      throw new AppError('MODEL_MISMATCH', `query vector has ${options.vector.length} dims; the index has ${manifest.model.dimension}`);
    }
    const filters = normalizeFilters(options.filters, manifest.attributeFields);
    const offset = options.offset ?? 0;
    const limit = offset + options.k;
    // Fetch offset + k and page here, so ties order by id as in every other store.
    const result = await this.call('vector search', () =>
      this.client.query(this.settings.collection, {
        query: Array.from(options.vector),
        filter: this.filter(manifest, filters, { excludeIds: options.excludeIds }) as never,
        limit,
        with_payload: true,
        params: this.settings.exact ? { exact: true } : { hnsw_ef: Math.max(this.settings.hnswEf ?? 128, limit) },
      }),
    );
    const minScore = options.minScore ?? -Infinity;
    return result.points
      .map((p) => ({ ...this.toItem(p.payload as ProductPayload), score: p.score }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(offset, limit)
      .filter((h) => h.score >= minScore)
      .map(({ contentHash: _hash, vector: _vector, ...hit }) => hit);
  }

  async count(filters?: Filters): Promise<number> {
    const manifest = this.manifest ?? (await this.loadManifest());
    if (!manifest) return 0;
    const filter = this.filter(manifest, normalizeFilters(filters, manifest.attributeFields));
    const r = await this.call('counting', () => this.client.count(this.settings.collection, { filter: filter as never, exact: true }));
    return r.count;
  }

  /** Qdrant's facet API (>= 1.12) over the keyword-indexed attribute keys, one call per field (disjunctive). */
  async facets(fields: string[], filters?: Filters): Promise<Facets> {
    const manifest = this.manifest ?? (await this.loadManifest());
    const known = manifest?.attributeFields ?? [];
    normalizeFilters(Object.fromEntries(fields.map((f) => [f, []])), known);
    const normalized = normalizeFilters(filters, known);
    const facets: Facets = {};
    for (const field of fields) {
      if (!manifest) {
        facets[field] = [];
        continue;
      }
      const r = await this.call(`counting facet ${field}`, () =>
        this.client.facet(this.settings.collection, {
          key: manifest.columns[field],
          filter: this.filter(manifest, normalized, { skipField: field }) as never,
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

  async *scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<(StoredItem & { vector?: Float32Array })[]> {
    if (!(this.manifest ?? (await this.loadManifest()))) return;
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

  /** Deletes the collection (tests, and re-indexing from scratch). */
  async drop(): Promise<void> {
    if (await this.exists()) await this.call('deleting the collection', () => this.client.deleteCollection(this.settings.collection));
    this.manifest = null;
  }

  async close(): Promise<void> {
    // The REST client holds no connection that needs closing.
  }
}

export async function openQdrantStore(options: QdrantStoreOptions): Promise<QdrantVectorStore> {
  return QdrantVectorStore.open(options);
}
