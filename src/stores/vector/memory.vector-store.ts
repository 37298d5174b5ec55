// An in-memory vector store: exact cosine search over records held in a Map, behind the same kernel as every
// other store, so it keeps the same rules (the contract suite runs against it too). It lets the services be tested
// fast, with no LanceDB or server; nothing is persisted.
//
// Example:
//   const store = MemoryVectorStore.create();
//   await store.bindModel(model, ['colour']);
import { countFacets, matchesFilters, type NormalizedFilters } from '../../domain/filters.js';
import type { StoreManifest } from '../../domain/manifest.js';
import { dot } from '../../domain/vector-math.js';
import type { Facets, IndexedRecord } from '../../domain/types.js';
import type { StoreLocation } from './model-guard.js';
import { VectorStoreKernel, type ManifestDecision, type NearestQuery, type VectorStoreDriver } from './store-kernel.js';
import type { StoredHit, StoredRecord } from './vector-store.js';
import { indexLockedError, writerHolder, type WriterHolder, type WriterLock } from './writer-lock.js';

/** The in-memory technology; exported so that kernel tests can share one between two stores or watch its calls. */
export class MemoryDriver implements VectorStoreDriver {
  readonly location: StoreLocation = {
    label: 'the in-memory store',
    reindexHint: 'open a new in-memory store for this model',
    indexFlags: '(an in-memory store is filled through its own API)',
  };
  private manifest: StoreManifest | null = null;
  private readonly records = new Map<string, IndexedRecord>();
  private generation = 0;
  private writer: WriterHolder | null = null;

  /** One writer at a time within the process that holds the store (what the write API's tests need). */
  async lockWriter(command: string): Promise<WriterLock> {
    if (this.writer) throw indexLockedError(this.location, this.writer);
    const holder = (this.writer = writerHolder(command));
    return { holder, release: async () => void (this.writer = this.writer === holder ? null : this.writer) };
  }

  async loadManifest(): Promise<StoreManifest | null> {
    return this.manifest && structuredClone(this.manifest);
  }

  async updateManifest(decide: ManifestDecision): Promise<StoreManifest> {
    const next = decide(await this.loadManifest());
    if (next) {
      this.manifest = structuredClone(next);
      this.generation++;
    }
    return (await this.loadManifest())!;
  }

  async write(records: IndexedRecord[]): Promise<void> {
    for (const r of records) this.records.set(r.id, { ...r, attributes: { ...r.attributes }, vector: Float32Array.from(r.vector) });
    this.generation++;
  }

  async remove(ids: string[]): Promise<number> {
    const removed = ids.filter((id) => this.records.delete(id)).length;
    if (removed > 0) this.generation++;
    return removed;
  }

  async contentHashes(ids: string[]): Promise<Map<string, string>> {
    return new Map(ids.filter((id) => this.records.has(id)).map((id) => [id, this.records.get(id)!.contentHash]));
  }

  private item(r: IndexedRecord, withVector: boolean): StoredRecord {
    const item: StoredRecord = { id: r.id, title: r.title, imageRef: r.imageRef, attributes: { ...r.attributes }, contentHash: r.contentHash };
    if (withVector) item.vector = Float32Array.from(r.vector);
    return item;
  }

  async get(id: string, withVector: boolean): Promise<StoredRecord | null> {
    const r = this.records.get(id);
    return r ? this.item(r, withVector) : null;
  }

  async vectorsOf(ids: readonly string[]): Promise<Map<string, Float32Array>> {
    return new Map(ids.filter((id) => this.records.has(id)).map((id) => [id, Float32Array.from(this.records.get(id)!.vector)]));
  }

  async nearest(query: NearestQuery): Promise<StoredHit[]> {
    const hits: StoredHit[] = [];
    for (const r of this.records.values()) {
      if (query.excludeIds.includes(r.id) || !matchesFilters(r.attributes, query.filters)) continue;
      hits.push({ id: r.id, score: dot(r.vector, query.vector), title: r.title, imageRef: r.imageRef, attributes: { ...r.attributes } });
    }
    // Exact: every candidate goes to the kernel, which ranks and keeps the page.
    return hits;
  }

  async count(filters: NormalizedFilters): Promise<number> {
    let n = 0;
    for (const r of this.records.values()) if (matchesFilters(r.attributes, filters)) n++;
    return n;
  }

  async facets(fields: string[], filters: NormalizedFilters): Promise<Facets> {
    return countFacets([...this.records.values()].map((r) => r.attributes), fields, filters);
  }

  async *scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<StoredRecord[]> {
    const all = [...this.records.values()].map((r) => this.item(r, options.withVector));
    for (let i = 0; i < all.length; i += options.batchSize) yield all.slice(i, i + options.batchSize);
  }

  async version(): Promise<string> {
    return `memory:${this.generation}`;
  }

  async close(): Promise<void> {
    // Nothing to release.
  }
}

export class MemoryVectorStore extends VectorStoreKernel {
  static create(driver: MemoryDriver = new MemoryDriver()): MemoryVectorStore {
    return new MemoryVectorStore(driver);
  }
}
