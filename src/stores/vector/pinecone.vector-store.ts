// Pinecone (serverless) as the shared store, through the official client. Products live in one namespace; the
// model manifest is a reserved record in its own namespace (__vitrine_manifest__), invisible to searches.
// Pinecone has no facet or filtered-count API, so count(filters) and facets() run over a local copy of every
// product's attributes, listed once and refreshed after `metadata_ttl` seconds (writes made through this store
// update it at once; writes by other processes show after the TTL). An unfiltered count asks Pinecone itself.
// Pinecone is eventually consistent: a record written is searchable after a short delay (seconds).
//
// Example:
//   const store = await PineconeVectorStore.open({ url: 'pinecone://vitrine?namespace=shop&cloud=aws&region=us-east-1', apiKey });
import { Pinecone, type Index, type RecordMetadata } from '@pinecone-database/pinecone';
import { AppError, errorMessage, isAppError } from '../../errors/app-error.js';
import { countFacets, normalizeFilters, type NormalizedFilters } from '../../domain/filters.js';
import type { Attributes, Facets, Filters, IndexedRecord } from '../../domain/types.js';
import type { ModelManifest } from '../../model/embedder.js';
import { DEFAULT_RETRY, retryingFetch, type RetryPolicy } from './rate-limit.js';
import { assertDimension, lastPerId, newAttributeFields } from './records.js';
import type { StoreManifest, StoredHit, StoredItem, VectorSearchOptions, VectorStore } from './vector-store.js';

export interface PineconeStoreOptions {
  /** pinecone://index-name?namespace=products&cloud=aws&region=us-east-1&metadata_ttl=60[&host=...&controller=...] */
  url: string;
  /** Default PINECONE_API_KEY from the environment. */
  apiKey?: string;
  retry?: RetryPolicy;
}

export interface PineconeSettings {
  index: string;
  namespace: string;
  cloud: string;
  region: string;
  /** Data-plane host; looked up from the control plane when absent. */
  host?: string;
  /** Control-plane URL (tests point it at a stand-in); Pinecone's own by default. */
  controller?: string;
  metadataTtlMs: number;
}

interface PineconeManifest extends StoreManifest {
  /** attribute field -> metadata key */
  columns: Record<string, string>;
}

type ProductMetadata = RecordMetadata & {
  vitrine_id: string;
  title: string;
  image_ref: string;
  content_hash: string;
  attributes_json: string;
};

const MANIFEST_NAMESPACE = '__vitrine_manifest__';
const MANIFEST_ID = 'manifest';
const WRITE_BATCH = 100;
/** Pinecone's list returns at most 100 ids a page; fetch takes ids in the query string. */
const READ_BATCH = 100;
const MAX_TOP_K = 10_000;

export function parsePineconeUrl(url: string): PineconeSettings {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AppError('CONFIG_ERROR', `invalid Pinecone store URL ${url}`);
  }
  const index = u.hostname;
  if (!/^[a-z0-9-]{1,45}$/.test(index)) {
    throw new AppError('CONFIG_ERROR', `the Pinecone store URL ${url} needs an index name (lower-case letters, digits, -): pinecone://<index>`);
  }
  const q = u.searchParams;
  const ttl = Number(q.get('metadata_ttl') ?? '60');
  if (!Number.isFinite(ttl) || ttl < 0) throw new AppError('CONFIG_ERROR', `Pinecone URL option metadata_ttl=${q.get('metadata_ttl')} must be seconds >= 0`);
  return {
    index,
    namespace: q.get('namespace') ?? 'products',
    cloud: q.get('cloud') ?? 'aws',
    region: q.get('region') ?? 'us-east-1',
    host: q.get('host') ?? undefined,
    controller: q.get('controller') ?? undefined,
    metadataTtlMs: ttl * 1000,
  };
}

/**
 * Record ids: plain ASCII ids are kept; any other id (non-ASCII, or starting with the escape prefix) is sent as
 * b64:<base64url of its UTF-8>, so every product id round-trips. The original id also lives in the metadata.
 */
export function recordId(productId: string): string {
  return /^[A-Za-z0-9._:\-]{1,400}$/.test(productId) && !productId.startsWith('b64:') ? productId : `b64:${Buffer.from(productId, 'utf8').toString('base64url')}`;
}

function describeError(e: unknown): string {
  return `${(e as Error)?.name ?? 'Error'}: ${errorMessage(e)}`;
}

export class PineconeVectorStore implements VectorStore {
  private manifest: PineconeManifest | null = null;
  private index: Index<RecordMetadata> | null = null;
  private mirror: { loadedAt: number; items: Map<string, Attributes> } | null = null;

  private constructor(
    private readonly settings: PineconeSettings,
    private readonly client: Pinecone,
  ) {}

  static async open(options: PineconeStoreOptions): Promise<PineconeVectorStore> {
    const settings = parsePineconeUrl(options.url);
    const apiKey = options.apiKey ?? process.env.PINECONE_API_KEY;
    if (!apiKey) throw new AppError('CONFIG_ERROR', `the Pinecone store ${options.url} needs an API key: set PINECONE_API_KEY`);
    const policy = options.retry ?? DEFAULT_RETRY;
    const client = new Pinecone({
      apiKey,
      controllerHostUrl: settings.controller,
      // Rate limits (429 + Retry-After) are retried here; the client's own retries would not see Retry-After.
      fetchApi: retryingFetch(policy) as never,
      maxRetries: 0,
    });
    const store = new PineconeVectorStore(settings, client);
    store.manifest = await store.loadManifest();
    return store;
  }

  private get label(): string {
    return `Pinecone index ${this.settings.index} (namespace ${this.settings.namespace})`;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isAppError(e)) throw e;
      throw new AppError('STORE_ERROR', `${this.label}: ${what} failed: ${describeError(e)}`, { cause: e });
    }
  }

  /** The data-plane handle, or null while the index does not exist. */
  private async openIndex(): Promise<Index<RecordMetadata> | null> {
    if (this.index) return this.index;
    let host = this.settings.host;
    if (!host) {
      try {
        host = (await this.client.describeIndex(this.settings.index)).host;
      } catch (e) {
        if ((e as Error)?.name === 'PineconeNotFoundError') return null;
        throw new AppError('STORE_ERROR', `${this.label}: describing the index failed: ${describeError(e)}`, { cause: e });
      }
    }
    this.index = this.client.index({ name: this.settings.index, host });
    return this.index;
  }

  private async loadManifest(): Promise<PineconeManifest | null> {
    const index = await this.openIndex();
    if (!index) return null;
    const r = await this.call('reading the manifest', () => index.fetch({ ids: [MANIFEST_ID], namespace: MANIFEST_NAMESPACE }));
    const raw = r.records[MANIFEST_ID]?.metadata?.manifest;
    return typeof raw === 'string' ? (JSON.parse(raw) as PineconeManifest) : null;
  }

  private async saveManifest(index: Index<RecordMetadata>, manifest: PineconeManifest): Promise<void> {
    // A record needs a vector; a unit vector on the first axis is valid under the cosine metric.
    const values = new Array<number>(manifest.model.dimension).fill(0);
    values[0] = 1;
    await this.call('writing the manifest', () =>
      index.upsert({ records: [{ id: MANIFEST_ID, values, metadata: { manifest: JSON.stringify(manifest) } }], namespace: MANIFEST_NAMESPACE }),
    );
    this.manifest = manifest;
  }

  private async requireManifest(): Promise<PineconeManifest> {
    this.manifest ??= await this.loadManifest();
    if (!this.manifest) throw new AppError('STORE_ERROR', `${this.label} holds no index yet: run vitrine index first`);
    return this.manifest;
  }

  private publicManifest(): StoreManifest | null {
    if (!this.manifest) return null;
    const { columns: _columns, ...rest } = this.manifest;
    return rest;
  }

  async readManifest(): Promise<StoreManifest | null> {
    this.manifest = await this.loadManifest();
    return this.publicManifest();
  }

  private mismatch(existing: { id: string; hash: string; dimension: number }, model: ModelManifest): AppError {
    return new AppError(
      'MODEL_MISMATCH',
      `the index in ${this.label} was built with model ${existing.id} (hash ${existing.hash.slice(0, 12)}, ${existing.dimension} dims), ` +
        `not ${model.id} (hash ${model.hash.slice(0, 12)}, ${model.dimension} dims): re-index with this model into another index ` +
        `(pinecone://${this.settings.index}-v2) or namespace (?namespace=${this.settings.namespace}-v2)`,
      { details: { indexModel: existing.id, indexHash: existing.hash, model: model.id, modelHash: model.hash } },
    );
  }

  async bindModel(model: ModelManifest, attributeFields: string[]): Promise<StoreManifest> {
    let index = await this.openIndex();
    if (!index) {
      await this.call('creating the index', () =>
        this.client.createIndex({
          name: this.settings.index,
          dimension: model.dimension,
          metric: 'cosine',
          spec: { serverless: { cloud: this.settings.cloud, region: this.settings.region } },
          waitUntilReady: true,
          suppressConflicts: true,
        }),
      );
      index = await this.openIndex();
      if (!index) throw new AppError('STORE_ERROR', `${this.label}: the index was created but cannot be found`);
    }
    const current = await this.loadManifest();
    if (current && (current.model.hash !== model.hash || current.model.dimension !== model.dimension)) throw this.mismatch(current.model, model);
    if (!current) {
      const description = await this.call('describing the index', () => this.client.describeIndex(this.settings.index));
      if (description.dimension !== undefined && description.dimension !== model.dimension) {
        throw this.mismatch({ id: `(an index of ${description.dimension} dims)`, hash: '-', dimension: description.dimension }, model);
      }
    }
    const now = new Date().toISOString();
    const manifest: PineconeManifest = current
      ? { ...current, columns: { ...current.columns } }
      : { model, attributeFields: [], columns: {}, metric: 'cosine', normalized: true, createdAt: now, updatedAt: now };
    const added = [...new Set(attributeFields)].filter((f) => !(f in manifest.columns));
    let next = Object.keys(manifest.columns).length;
    for (const field of added) manifest.columns[field] = `attr_${next++}`;
    manifest.attributeFields = Object.keys(manifest.columns);
    if (added.length > 0 || !current) {
      manifest.updatedAt = now;
      await this.saveManifest(index, manifest);
    }
    this.manifest = manifest;
    return this.publicManifest()!;
  }

  private metadata(manifest: PineconeManifest, r: IndexedRecord): ProductMetadata {
    const m: ProductMetadata = {
      vitrine_id: r.id,
      title: r.title,
      image_ref: r.imageRef,
      content_hash: r.contentHash,
      attributes_json: JSON.stringify(r.attributes),
    };
    for (const [field, column] of Object.entries(manifest.columns)) if (r.attributes[field] !== undefined) m[column] = r.attributes[field];
    return m;
  }

  private async requireIndex(): Promise<Index<RecordMetadata>> {
    const index = await this.openIndex();
    if (!index) throw new AppError('STORE_ERROR', `${this.label} does not exist: run vitrine index first`);
    return index;
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
    const index = await this.requireIndex();
    const unique = lastPerId(records);
    for (let i = 0; i < unique.length; i += WRITE_BATCH) {
      const batch = unique.slice(i, i + WRITE_BATCH);
      await this.call(`writing ${batch.length} records`, () =>
        index.upsert({
          records: batch.map((r) => ({ id: recordId(r.id), values: Array.from(r.vector), metadata: this.metadata(manifest, r) })),
          namespace: this.settings.namespace,
        }),
      );
      for (const r of batch) this.mirror?.items.set(r.id, r.attributes);
    }
  }

  async delete(ids: string[]): Promise<number> {
    if (ids.length === 0 || !(this.manifest ?? (await this.loadManifest()))) return 0;
    const present = [...(await this.contentHashes(ids)).keys()];
    if (present.length === 0) return 0;
    const index = await this.requireIndex();
    for (let i = 0; i < present.length; i += 1000) {
      const batch = present.slice(i, i + 1000);
      await this.call('deleting', () => index.deleteMany({ ids: batch.map(recordId), namespace: this.settings.namespace }));
    }
    for (const id of present) this.mirror?.items.delete(id);
    return present.length;
  }

  private async fetchRecords(ids: string[]): Promise<{ metadata: ProductMetadata; values?: number[] }[]> {
    const index = await this.openIndex();
    if (!index) return [];
    const out: { metadata: ProductMetadata; values?: number[] }[] = [];
    for (let i = 0; i < ids.length; i += READ_BATCH) {
      const r = await this.call('reading records', () => index.fetch({ ids: ids.slice(i, i + READ_BATCH).map(recordId), namespace: this.settings.namespace }));
      for (const rec of Object.values(r.records)) {
        if (rec.metadata) out.push({ metadata: rec.metadata as ProductMetadata, values: rec.values });
      }
    }
    return out;
  }

  async contentHashes(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (ids.length === 0) return out;
    for (const r of await this.fetchRecords(ids)) out.set(r.metadata.vitrine_id, r.metadata.content_hash);
    return out;
  }

  private toItem(m: ProductMetadata, values?: number[]): StoredItem & { vector?: Float32Array } {
    const item: StoredItem & { vector?: Float32Array } = {
      id: m.vitrine_id,
      title: m.title,
      imageRef: m.image_ref,
      attributes: JSON.parse(m.attributes_json) as Attributes,
      contentHash: m.content_hash,
    };
    if (values) item.vector = Float32Array.from(values);
    return item;
  }

  async get(id: string, options: { withVector?: boolean } = {}): Promise<(StoredItem & { vector?: Float32Array }) | null> {
    const [r] = await this.fetchRecords([id]);
    return r ? this.toItem(r.metadata, options.withVector ? r.values : undefined) : null;
  }

  /** Pinecone's metadata filter language: $in on each attribute key, $nin on the product id, joined by $and. */
  private filter(manifest: PineconeManifest, filters: NormalizedFilters, excludeIds: string[] = []): object | undefined {
    const clauses: object[] = [];
    for (const [field, values] of filters) clauses.push({ [manifest.columns[field]]: { $in: values } });
    if (excludeIds.length > 0) clauses.push({ vitrine_id: { $nin: excludeIds } });
    if (clauses.length === 0) return undefined;
    return clauses.length === 1 ? clauses[0] : { $and: clauses };
  }

  async search(options: VectorSearchOptions): Promise<StoredHit[]> {
    const manifest = await this.requireManifest();
    if (options.vector.length !== manifest.model.dimension) {
      throw new AppError('MODEL_MISMATCH', `query vector has ${options.vector.length} dims; the index has ${manifest.model.dimension}`);
    }
    const filters = normalizeFilters(options.filters, manifest.attributeFields);
    const offset = options.offset ?? 0;
    const limit = offset + options.k;
    if (limit > MAX_TOP_K) throw new AppError('BAD_REQUEST', `Pinecone returns at most ${MAX_TOP_K} results: offset + k is ${limit}`);
    const index = await this.requireIndex();
    const r = await this.call('vector search', () =>
      index.query({
        vector: Array.from(options.vector),
        topK: limit,
        filter: this.filter(manifest, filters, options.excludeIds),
        includeMetadata: true,
        namespace: this.settings.namespace,
      }),
    );
    const minScore = options.minScore ?? -Infinity;
    return r.matches
      .filter((m) => m.metadata)
      .map((m) => ({ ...this.toItem(m.metadata as ProductMetadata), score: m.score ?? 0 }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(offset, limit)
      .filter((h) => h.score >= minScore)
      .map(({ contentHash: _hash, vector: _vector, ...hit }) => hit);
  }

  /** Every product's attributes, from the local copy while it is fresh. */
  private async attributesMirror(): Promise<Map<string, Attributes>> {
    if (this.mirror && Date.now() - this.mirror.loadedAt <= this.settings.metadataTtlMs) return this.mirror.items;
    const items = new Map<string, Attributes>();
    for await (const batch of this.scan({ batchSize: 1000, withVector: false })) for (const item of batch) items.set(item.id, item.attributes);
    this.mirror = { loadedAt: Date.now(), items };
    return items;
  }

  async count(filters?: Filters): Promise<number> {
    const manifest = this.manifest ?? (await this.loadManifest());
    if (!manifest) return 0;
    const normalized = normalizeFilters(filters, manifest.attributeFields);
    if (normalized.size === 0 && !this.mirror) {
      const index = await this.requireIndex();
      const stats = await this.call('reading index stats', () => index.describeIndexStats());
      return stats.namespaces?.[this.settings.namespace]?.recordCount ?? 0;
    }
    const items = await this.attributesMirror();
    if (normalized.size === 0) return items.size;
    let n = 0;
    for (const attributes of items.values()) if ([...normalized].every(([f, values]) => values.includes(attributes[f]))) n++;
    return n;
  }

  async facets(fields: string[], filters?: Filters): Promise<Facets> {
    const manifest = this.manifest ?? (await this.loadManifest());
    const known = manifest?.attributeFields ?? [];
    normalizeFilters(Object.fromEntries(fields.map((f) => [f, []])), known);
    const normalized = normalizeFilters(filters, known);
    const items = manifest ? await this.attributesMirror() : new Map<string, Attributes>();
    return countFacets(items.values(), fields, normalized);
  }

  /** Lists ids page by page (serverless indexes) and fetches their records. */
  async *scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<(StoredItem & { vector?: Float32Array })[]> {
    const index = await this.openIndex();
    if (!index || !(this.manifest ?? (await this.loadManifest()))) return;
    let token: string | undefined;
    let pending: (StoredItem & { vector?: Float32Array })[] = [];
    do {
      const page = await this.call('listing records', () =>
        index.listPaginated({ namespace: this.settings.namespace, limit: READ_BATCH, paginationToken: token }),
      );
      const ids = (page.vectors ?? []).map((v) => v.id).filter((id): id is string => typeof id === 'string');
      if (ids.length > 0) {
        const r = await this.call('reading records', () => index.fetch({ ids, namespace: this.settings.namespace }));
        for (const rec of Object.values(r.records)) {
          if (rec.metadata) pending.push(this.toItem(rec.metadata as ProductMetadata, options.withVector ? rec.values : undefined));
        }
      }
      while (pending.length >= options.batchSize) {
        yield pending.slice(0, options.batchSize);
        pending = pending.slice(options.batchSize);
      }
      token = page.pagination?.next;
    } while (token);
    if (pending.length > 0) yield pending;
  }

  /** Deletes the index (tests, and re-indexing from scratch). */
  async drop(): Promise<void> {
    if (await this.openIndex()) await this.call('deleting the index', () => this.client.deleteIndex(this.settings.index));
    this.index = null;
    this.manifest = null;
    this.mirror = null;
  }

  async close(): Promise<void> {
    // The REST client holds no connection that needs closing.
  }
}

export async function openPineconeStore(options: PineconeStoreOptions): Promise<PineconeVectorStore> {
  return PineconeVectorStore.open(options);
}
