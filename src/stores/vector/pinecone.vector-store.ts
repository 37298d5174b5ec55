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
import { countFacets, type NormalizedFilters } from '../../domain/filters.js';
import { publicManifest, type StoreManifest } from '../../domain/manifest.js';
import type { Attributes, Facets, IndexedRecord } from '../../domain/types.js';
import { checkModel, type StoreLocation } from './model-guard.js';
import { DEFAULT_RETRY, retryingFetch, type RetryPolicy } from './rate-limit.js';
import { attributeColumns, VectorStoreKernel, type ManifestDecision, type NearestQuery, type VectorStoreDriver } from './store-kernel.js';
import type { StoredHit, StoredRecord } from './vector-store.js';

export interface PineconeStoreOptions {
  /** pinecone://index-name?namespace=products&cloud=aws&region=us-east-1&metadata_ttl=60[&host=...&controller=...] */
  url: string;
  /** config's pineconeApiKey (from PINECONE_API_KEY). */
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

/** The manifest as saved in its reserved record: the metadata key of each attribute field beside it. */
interface PineconeManifest extends StoreManifest {
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

export function pineconeLocation(settings: PineconeSettings): StoreLocation {
  return {
    label: `Pinecone index ${settings.index} (namespace ${settings.namespace})`,
    reindexHint: 're-index with this model into another index (pinecone://<new index>) or namespace (?namespace=<new>)',
    indexFlags: `--store pinecone://${settings.index}?namespace=${encodeURIComponent(settings.namespace)}`,
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

class PineconeDriver implements VectorStoreDriver {
  readonly location: StoreLocation;
  private index: Index<RecordMetadata> | null = null;
  /** attribute field -> metadata key, from the manifest last read or written. */
  private columns: Record<string, string> = {};
  private mirror: { loadedAt: number; items: Map<string, Attributes> } | null = null;

  constructor(
    private readonly settings: PineconeSettings,
    private readonly client: Pinecone,
  ) {
    this.location = pineconeLocation(settings);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isAppError(e)) throw e;
      throw new AppError('STORE_ERROR', `${this.location.label}: ${what} failed: ${describeError(e)}`, { cause: e });
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
        throw new AppError('STORE_ERROR', `${this.location.label}: describing the index failed: ${describeError(e)}`, { cause: e });
      }
    }
    this.index = this.client.index({ name: this.settings.index, host });
    return this.index;
  }

  private async requireIndex(): Promise<Index<RecordMetadata>> {
    const index = await this.openIndex();
    if (!index) throw new AppError('STORE_ERROR', `${this.location.label} does not exist: run vitrine index first`);
    return index;
  }

  async loadManifest(): Promise<StoreManifest | null> {
    const index = await this.openIndex();
    let saved: PineconeManifest | null = null;
    if (index) {
      const r = await this.call('reading the manifest', () => index.fetch({ ids: [MANIFEST_ID], namespace: MANIFEST_NAMESPACE }));
      const raw = r.records[MANIFEST_ID]?.metadata?.manifest;
      if (typeof raw === 'string') saved = JSON.parse(raw) as PineconeManifest;
    }
    this.columns = saved ? (saved.columns ?? attributeColumns({}, saved.attributeFields)) : {};
    return saved && publicManifest(saved);
  }

  async updateManifest(decide: ManifestDecision): Promise<StoreManifest> {
    // The manifest lives in the index, so a first bind creates the index before it can read one.
    const existed = (await this.openIndex()) !== null;
    const current = await this.loadManifest();
    const next = decide(current);
    if (!next) return current!;
    if (!existed) {
      await this.call('creating the index', () =>
        this.client.createIndex({
          name: this.settings.index,
          dimension: next.model.dimension,
          metric: 'cosine',
          spec: { serverless: { cloud: this.settings.cloud, region: this.settings.region } },
          waitUntilReady: true,
          suppressConflicts: true,
        }),
      );
    }
    const index = await this.requireIndex();
    if (!current) {
      // An index made by someone else (or an earlier model) has a fixed dimension of its own.
      const description = await this.call('describing the index', () => this.client.describeIndex(this.settings.index));
      if (description.dimension !== undefined && description.dimension !== next.model.dimension) {
        checkModel({ ...next.model, id: `(an index of ${description.dimension} dims)`, hash: '-', dimension: description.dimension }, next.model, this.location);
      }
    }
    const columns = attributeColumns(this.columns, next.attributeFields);
    const saved: PineconeManifest = { ...next, columns };
    // A record needs a vector; a unit vector on the first axis is valid under the cosine metric.
    const values = new Array<number>(next.model.dimension).fill(0);
    values[0] = 1;
    await this.call('writing the manifest', () =>
      index.upsert({ records: [{ id: MANIFEST_ID, values, metadata: { manifest: JSON.stringify(saved) } }], namespace: MANIFEST_NAMESPACE }),
    );
    this.columns = columns;
    return next;
  }

  private metadata(r: IndexedRecord): ProductMetadata {
    const m: ProductMetadata = {
      vitrine_id: r.id,
      title: r.title,
      image_ref: r.imageRef,
      content_hash: r.contentHash,
      attributes_json: JSON.stringify(r.attributes),
    };
    for (const [field, column] of Object.entries(this.columns)) if (r.attributes[field] !== undefined) m[column] = r.attributes[field];
    return m;
  }

  async write(records: IndexedRecord[]): Promise<void> {
    const index = await this.requireIndex();
    for (let i = 0; i < records.length; i += WRITE_BATCH) {
      const batch = records.slice(i, i + WRITE_BATCH);
      await this.call(`writing ${batch.length} records`, () =>
        index.upsert({
          records: batch.map((r) => ({ id: recordId(r.id), values: Array.from(r.vector), metadata: this.metadata(r) })),
          namespace: this.settings.namespace,
        }),
      );
      for (const r of batch) this.mirror?.items.set(r.id, r.attributes);
    }
  }

  async remove(ids: string[]): Promise<number> {
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
    for (const r of await this.fetchRecords(ids)) out.set(r.metadata.vitrine_id, r.metadata.content_hash);
    return out;
  }

  private toItem(m: ProductMetadata, values?: number[]): StoredRecord {
    const item: StoredRecord = {
      id: m.vitrine_id,
      title: m.title,
      imageRef: m.image_ref,
      attributes: JSON.parse(m.attributes_json) as Attributes,
      contentHash: m.content_hash,
    };
    if (values) item.vector = Float32Array.from(values);
    return item;
  }

  async get(id: string, withVector: boolean): Promise<StoredRecord | null> {
    const [r] = await this.fetchRecords([id]);
    return r ? this.toItem(r.metadata, withVector ? r.values : undefined) : null;
  }

  /** Pinecone's metadata filter language: $in on each attribute key, $nin on the product id, joined by $and. */
  private filter(filters: NormalizedFilters, excludeIds: readonly string[] = []): object | undefined {
    const clauses: object[] = [];
    for (const [field, values] of filters) clauses.push({ [this.columns[field]]: { $in: values } });
    if (excludeIds.length > 0) clauses.push({ vitrine_id: { $nin: excludeIds } });
    if (clauses.length === 0) return undefined;
    return clauses.length === 1 ? clauses[0] : { $and: clauses };
  }

  async nearest(query: NearestQuery): Promise<StoredHit[]> {
    if (query.limit > MAX_TOP_K) throw new AppError('BAD_REQUEST', `Pinecone returns at most ${MAX_TOP_K} results: offset + k is ${query.limit}`);
    const index = await this.requireIndex();
    const r = await this.call('vector search', () =>
      index.query({
        vector: Array.from(query.vector),
        topK: query.limit,
        filter: this.filter(query.filters, query.excludeIds),
        includeMetadata: true,
        namespace: this.settings.namespace,
      }),
    );
    return r.matches.filter((m) => m.metadata).map((m) => ({ ...this.toItem(m.metadata as ProductMetadata), score: m.score ?? 0 }));
  }

  /** Every product's attributes, from the local copy while it is fresh. */
  private async attributesMirror(): Promise<Map<string, Attributes>> {
    if (this.mirror && Date.now() - this.mirror.loadedAt <= this.settings.metadataTtlMs) return this.mirror.items;
    const items = new Map<string, Attributes>();
    for await (const batch of this.scan({ batchSize: 1000, withVector: false })) for (const item of batch) items.set(item.id, item.attributes);
    this.mirror = { loadedAt: Date.now(), items };
    return items;
  }

  async count(filters: NormalizedFilters): Promise<number> {
    if (filters.size === 0 && !this.mirror) {
      const index = await this.requireIndex();
      const stats = await this.call('reading index stats', () => index.describeIndexStats());
      return stats.namespaces?.[this.settings.namespace]?.recordCount ?? 0;
    }
    const items = await this.attributesMirror();
    if (filters.size === 0) return items.size;
    let n = 0;
    for (const attributes of items.values()) if ([...filters].every(([f, values]) => values.includes(attributes[f]))) n++;
    return n;
  }

  async facets(fields: string[], filters: NormalizedFilters): Promise<Facets> {
    return countFacets((await this.attributesMirror()).values(), fields, filters);
  }

  /** Lists ids page by page (serverless indexes) and fetches their records. */
  async *scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<StoredRecord[]> {
    const index = await this.openIndex();
    if (!index) return;
    let token: string | undefined;
    let pending: StoredRecord[] = [];
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

  async drop(): Promise<void> {
    if (await this.openIndex()) await this.call('deleting the index', () => this.client.deleteIndex(this.settings.index));
    this.index = null;
    this.columns = {};
    this.mirror = null;
  }

  async close(): Promise<void> {
    // The REST client holds no connection that needs closing.
  }
}

export class PineconeVectorStore extends VectorStoreKernel<PineconeDriver> {
  static async open(options: PineconeStoreOptions): Promise<PineconeVectorStore> {
    const settings = parsePineconeUrl(options.url);
    if (!options.apiKey) throw new AppError('CONFIG_ERROR', `the Pinecone store ${options.url} needs an API key: set PINECONE_API_KEY`);
    const client = new Pinecone({
      apiKey: options.apiKey,
      controllerHostUrl: settings.controller,
      // Rate limits (429 + Retry-After) are retried here; the client's own retries would not see Retry-After.
      fetchApi: retryingFetch(options.retry ?? DEFAULT_RETRY) as never,
      maxRetries: 0,
    });
    return new PineconeVectorStore(new PineconeDriver(settings, client)).load();
  }

  /** Deletes the whole index (tests, and re-indexing from scratch). */
  declare readonly drop: () => Promise<void>;
}

export async function openPineconeStore(options: PineconeStoreOptions): Promise<PineconeVectorStore> {
  return PineconeVectorStore.open(options);
}
