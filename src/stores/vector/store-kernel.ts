// The vector-store kernel: every rule a store must keep, written once. An adapter is a driver that only
// translates to its technology (SQL, REST calls, Arrow tables); the kernel around it keeps the manifest, guards the
// model (model-guard.ts), answers NO_INDEX for a store that was never indexed, checks writes before they reach the
// driver (new fields bound, dimensions, one record per id), validates filters against the index's fields (looking
// again once when another process may have added a field) and resolves their values to the stored spelling (case
// and spaces forgiven), ranks and pages hits (domain/ranking.ts), and keeps the keyword index of hybrid search
// (keyword-index.ts) in step with the index version, for every store alike. Where a driver can feed it (a version
// token and reads by id), it also keeps the index in memory and answers reads from that copy
// (memory-index/memory.read-path.ts), with the driver's own search kept as the reference.
//
// Example (an adapter):
//   export class MyVectorStore extends VectorStoreKernel {
//     static async open(options: MyOptions) { return new MyVectorStore(await MyDriver.connect(options)).load(); }
//   }
import { isAppError } from '../../errors/app-error.js';
import { defaultFacetFields } from '../../domain/facets.js';
import { countFacets, matchesFilters, normalizeFilters, resolveFilterValues, type NormalizedFilters, type ResolvedFilters } from '../../domain/filters.js';
import { newStoreManifest, publicManifest, type ModelManifest, type StoreManifest } from '../../domain/manifest.js';
import { rankPage, type Scored } from '../../domain/ranking.js';
import { dot } from '../../domain/vector-math.js';
import type { Attributes, Facets, Filters, IndexedRecord } from '../../domain/types.js';
import { checkModel, checkQueryDimension, checkRecordDimensions, noIndexError, type StoreLocation } from './model-guard.js';
import { KeywordIndex } from './keyword-index.js';
import type { IntegrityReport, KeywordSearchOptions, KeywordSearchResult, StoredHit, StoredRecord, VectorSearchOptions, VectorStore } from './vector-store.js';
import { noWriterLock, type WriterLock } from './writer-lock.js';
import { MemoryReadPath, type MemoryReadPathOptions, type ReadPathSource, type ReadPathState } from './memory-index/memory.read-path.js';

/** What the kernel asks a driver for: the best `limit` candidates of a query, in any order. */
export interface NearestQuery {
  vector: Float32Array;
  /** offset + k of the caller's page: the kernel ranks and pages them. */
  limit: number;
  filters: NormalizedFilters;
  excludeIds: readonly string[];
}

/**
 * Decides a manifest change from the stored manifest (null: never indexed): the manifest to write, or null to leave
 * it as it is. Throws to refuse (MODEL_MISMATCH).
 */
export type ManifestDecision = (current: StoreManifest | null) => StoreManifest | null;

/**
 * One store technology, translated. Drivers hold no rule of their own: the kernel has already checked, normalised
 * and deduplicated what it passes, and ranks what they return. Methods that read records are called only once the
 * store holds a manifest.
 */
export interface VectorStoreDriver extends Pick<VectorStore, 'location' | 'scan' | 'version' | 'optimize' | 'createAnnIndex' | 'drop' | 'close'> {
  /** The stored manifest (read again from the store), or null when the store was never indexed. */
  loadManifest(): Promise<StoreManifest | null>;
  /**
   * How long one answer of `version()` may serve the kernel while this process writes nothing (default 0: asked
   * every time), for stores whose reads are only consistent to an interval anyway.
   */
  readonly versionReuseMs?: number;
  /**
   * Reads the stored manifest, asks `decide`, and writes its answer: on the first bind it creates the storage (table,
   * collection, index) for the model's dimension, and it adds what new attribute fields need (columns, payload
   * indexes). Drivers whose technology can, do this atomically (Postgres: one transaction under a lock).
   */
  updateManifest(decide: ManifestDecision): Promise<StoreManifest>;
  /** The technology's own integrity checks (file checksums, manifest against schema); absent where it has none. */
  verify?(manifest: StoreManifest): Promise<{ problems: string[]; warnings: string[] }>;
  /** The technology's writer lock (INDEX_LOCKED when held); absent where it has none. */
  lockWriter?(command: string): Promise<WriterLock>;
  /** Writes checked records: one per id, of the index's dimension, with known fields only. */
  write(records: IndexedRecord[], manifest: StoreManifest): Promise<void>;
  /** Deletes the ids present; returns how many were. */
  remove(ids: string[]): Promise<number>;
  contentHashes(ids: string[]): Promise<Map<string, string>>;
  get(id: string, withVector: boolean): Promise<StoredRecord | null>;
  /** The best `limit` candidates (at least those, when the technology is approximate), in any order. */
  nearest(query: NearestQuery, manifest: StoreManifest): Promise<StoredHit[]>;
  count(filters: NormalizedFilters, manifest: StoreManifest): Promise<number>;
  /** Disjunctive value counts (each field ignores its own filter), values by count desc then name. */
  facets(fields: string[], filters: NormalizedFilters, manifest: StoreManifest): Promise<Facets>;
  /** Stored vectors of the ids present, in one round trip; without it the kernel asks `get` once per id. */
  vectorsOf?(ids: readonly string[]): Promise<Map<string, Float32Array>>;
  /** The records of these ids that exist, with vectors; with version(), it lets the kernel keep a copy in memory. */
  recordsById?(ids: readonly string[]): Promise<StoredRecord[]>;
  /** id -> content hash of every record, read cheaply (else the kernel scans). */
  allContentHashes?(): Promise<Map<string, string>>;
  /** The store's own search and its approximate-search settings, in words. */
  searchSettings?(): string;
  /** Where a server's in-memory copy is saved between runs (memory-index/copy-file.ts); absent: never saved. */
  savedCopy?(): NonNullable<ReadPathSource['savedCopy']>;
}

/**
 * What the keyword side searches: the words of every product, and (for stores without an in-memory copy) its record
 * to answer with.
 */
interface KeywordSnapshot {
  version: string;
  index: KeywordIndex;
  records: Map<string, Omit<StoredHit, 'score'>> | null;
}

/**
 * Stores without a version token (Qdrant, Pinecone) see another process's writes in their keyword index and filter
 * values after at most this long; their own writes at once.
 */
const UNVERSIONED_REFRESH_MS = 60_000;

/** Attribute fields the records use that the index does not know yet. */
export function newAttributeFields(records: readonly IndexedRecord[], known: readonly string[]): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r.attributes)))].filter((f) => !known.includes(f));
}

/** One record per id, the last one winning, as sequential writes would leave it. */
export function lastPerId(records: readonly IndexedRecord[]): IndexedRecord[] {
  return [...new Map(records.map((r) => [r.id, r])).values()];
}

/**
 * Column (or payload key) names for attribute fields, for stores that give each field a column of its own: attr_0,
 * attr_1, ... in the order fields were added, so any field name is a safe column. Existing names are kept.
 */
export function attributeColumns(existing: Readonly<Record<string, string>>, fields: readonly string[]): Record<string, string> {
  const columns = { ...existing };
  let next = Object.keys(columns).length;
  for (const field of fields) if (!(field in columns)) columns[field] = `attr_${next++}`;
  return columns;
}

/** The kernel's answer to a bind: the manifest to write (null: unchanged), given the stored one. */
export function decideBind(current: StoreManifest | null, model: ModelManifest, fields: readonly string[], where: StoreLocation, now: string): StoreManifest | null {
  if (current) checkModel(current.model, model, where);
  const added = [...new Set(fields)].filter((f) => !(current?.attributeFields ?? []).includes(f));
  if (!current) return newStoreManifest(model, added, now);
  if (added.length === 0) return null;
  return { ...current, attributeFields: [...current.attributeFields, ...added], updatedAt: now };
}

/** The in-memory read path's settings (memory-index/memory.read-path.ts), for drivers that can feed one. */
export type InMemoryReads = Omit<MemoryReadPathOptions, 'dim'>;

export interface KernelOptions {
  /** Answer searches, gets, counts and facets from a copy in memory, kept in step with the store's version. */
  inMemory?: InMemoryReads;
}

export class VectorStoreKernel<D extends VectorStoreDriver = VectorStoreDriver> implements VectorStore {
  private manifest: StoreManifest | null = null;
  /** Writes made through this kernel: the version of stores that have no version token of their own. */
  private localWrites = 0;
  private keyword: { version: string; snapshot: Promise<KeywordSnapshot> } | null = null;
  private versionMemo: { token: Promise<string>; at: number; writes: number } | null = null;
  /** field -> the distinct stored values, for resolving filter values; per index version. */
  private knownValues: { version: string; values: Promise<Map<string, string[]>> } | null = null;
  private readPath: MemoryReadPath | null = null;
  /** The model readers expect (expectModel): every manifest read is checked against it. */
  private expected: ModelManifest | null = null;
  readonly version?: () => Promise<string>;
  readonly optimize?: () => Promise<void>;
  readonly createAnnIndex?: () => Promise<void>;
  readonly drop?: () => Promise<void>;

  constructor(
    protected readonly driver: D,
    private readonly options: KernelOptions = {},
  ) {
    const { version, optimize, createAnnIndex, drop } = driver;
    // Through the short-lived memo of versionToken: the search service asks once per query for its cache key.
    if (version) this.version = () => this.versionToken();
    if (optimize) this.optimize = async () => ((await this.current()) ? optimize.call(driver) : undefined);
    if (createAnnIndex)
      this.createAnnIndex = async () => {
        await this.required();
        await createAnnIndex.call(driver);
      };
    if (drop)
      this.drop = async () => {
        await this.readPath?.close();
        this.readPath = null;
        await drop.call(driver);
        this.manifest = null;
      };
  }

  /**
   * The in-memory copy to read from, when this store keeps one and it is loaded (it catches up with the store's
   * version in the background; null while it loads for the first time, so the driver answers meanwhile).
   */
  private async reads(manifest: StoreManifest, wait = false): Promise<MemoryReadPath | null> {
    const { driver } = this;
    if (!this.options.inMemory || !driver.version || !driver.recordsById) return null;
    this.readPath ??= new MemoryReadPath(
      {
        version: () => this.versionToken(),
        scan: (o) => driver.scan(o),
        records: (ids) => driver.recordsById!(ids),
        count: () => driver.count(new Map(), manifest),
        hashes: async () => {
          if (driver.allContentHashes) return driver.allContentHashes();
          const out = new Map<string, string>();
          for await (const batch of driver.scan({ batchSize: 10_000, withVector: false })) for (const r of batch) out.set(r.id, r.contentHash);
          return out;
        },
        savedCopy: driver.savedCopy?.(),
      },
      { ...this.options.inMemory, dim: manifest.model.dimension },
    );
    return this.readPath.reader({ wait });
  }

  /** Loads the in-memory copy (a server calls it before it reports ready); null where the store keeps none. */
  async prepareReads(options: { keywords?: boolean } = {}): Promise<ReadPathState | null> {
    const manifest = await this.current();
    if (!manifest) return null;
    const state = (await this.reads(manifest, true))?.state() ?? null;
    // Hybrid search (the default mode) and forgiving filters need the keyword index and the stored values: a server
    // builds them before it reports ready rather than in its first query (1.2-1.6 s on the full catalog).
    if (options.keywords) await Promise.all([this.keywordSnapshot(), this.storedValues(manifest)]);
    return state;
  }

  /**
   * Saves the in-memory copy beside the index when the store keeps one and it changed since it was last saved or
   * loaded (a server calls it once ready, so that the next start reads one file instead of the whole store).
   */
  async saveReadCopy(): Promise<void> {
    const current = this.keyword;
    const snapshot = current ? await current.snapshot.catch(() => null) : null;
    // The keyword index goes with the copy when it is at the copy's version and no write has moved it since (a write
    // replaces this.keyword before it changes the index).
    const keywordsAt = (version: string) => (this.keyword === current && snapshot?.version === version && snapshot.records === null ? snapshot.index.saved() : null);
    await this.readPath?.saveCopy({ keywordsAt });
  }

  /** Where searches are answered now: the in-memory copy's state, or null when the store answers them itself. */
  readState(): ReadPathState | null {
    return this.readPath?.state() ?? null;
  }

  /** The store's own search and its approximate-search settings, in words; undefined where the adapter says none. */
  searchSettings(): string | undefined {
    return this.driver.searchSettings?.();
  }

  get location(): StoreLocation {
    return this.driver.location;
  }

  /** Reads the manifest once; adapters' open() ends with it. */
  protected async load(): Promise<this> {
    await this.readManifest();
    return this;
  }

  private remember(manifest: StoreManifest | null): StoreManifest | null {
    if (manifest && this.expected) checkModel(manifest.model, this.expected, this.location);
    this.manifest = manifest;
    return manifest;
  }

  /** The cached manifest, looked up again while there is none (another process may index the store meanwhile). */
  private async current(): Promise<StoreManifest | null> {
    return this.manifest ?? this.remember(await this.driver.loadManifest());
  }

  private async required(): Promise<StoreManifest> {
    const manifest = await this.current();
    if (!manifest) throw noIndexError(this.location);
    return manifest;
  }

  /**
   * Filters checked against the index's fields; a field unknown to the cached manifest is looked up once more,
   * since another process (an indexer) may have added it since.
   */
  private async normalized(filters: Filters | undefined, manifest: StoreManifest): Promise<{ manifest: StoreManifest; filters: NormalizedFilters; unmatched: ResolvedFilters['unmatched'] }> {
    let checked: { manifest: StoreManifest; filters: NormalizedFilters };
    try {
      checked = { manifest, filters: normalizeFilters(filters, manifest.attributeFields) };
    } catch (e) {
      if (!isAppError(e) || e.code !== 'UNKNOWN_FILTER_FIELD') throw e;
      const fresh = (await this.readManifest()) ?? manifest;
      checked = { manifest: fresh, filters: normalizeFilters(filters, fresh.attributeFields) };
    }
    if (checked.filters.size === 0) return { ...checked, unmatched: [] };
    const resolved = resolveFilterValues(checked.filters, await this.storedValues(checked.manifest));
    return { manifest: checked.manifest, ...resolved };
  }

  /** A token that changes with the index content: the driver's, or this kernel's own writes plus a clock. */
  private async versionToken(): Promise<string> {
    if (!this.driver.version) return `local:${this.localWrites}:${Math.floor(Date.now() / UNVERSIONED_REFRESH_MS)}`;
    // One query asks several times (read path, keyword index, filter values, counts): a driver that allows it is
    // asked at most once per versionReuseMs while this process writes nothing, so another process's commit shows
    // within that (on top of the store's own read consistency) and this process's own writes at once.
    const ttl = this.driver.versionReuseMs ?? 0;
    if (ttl <= 0) return this.driver.version();
    const now = performance.now();
    const memo = this.versionMemo;
    if (memo && memo.writes === this.localWrites && now - memo.at < ttl) return memo.token;
    const token = this.driver.version();
    this.versionMemo = { token, at: now, writes: this.localWrites };
    token.catch(() => {
      if (this.versionMemo?.token === token) this.versionMemo = null;
    });
    return token;
  }

  /** Distinct stored values of every field (from the driver's facet counts), once per index version. */
  private async storedValues(manifest: StoreManifest): Promise<Map<string, string[]>> {
    const version = await this.versionToken();
    if (this.knownValues?.version !== version) {
      const values = this.reads(manifest)
        .then((reads) => (reads ? reads.facets(manifest.attributeFields, new Map()) : this.driver.facets(manifest.attributeFields, new Map(), manifest)))
        .then((facets) => new Map(Object.entries(facets).map(([field, counts]) => [field, counts.map((c) => c.value)])));
      // A failed read is not kept: the next call tries again.
      values.catch(() => {
        if (this.knownValues?.values === values) this.knownValues = null;
      });
      this.knownValues = { version, values };
    }
    return this.knownValues.values;
  }

  /** The keyword index and records of the index as it is now, built again (once, shared) when its version moved. */
  private async keywordSnapshot(): Promise<KeywordSnapshot> {
    const version = await this.versionToken();
    if (this.keyword?.version !== version) {
      const manifest = await this.required();
      const inMemory = (await this.reads(manifest)) !== null;
      const snapshot = this.buildKeywordSnapshot(version, !inMemory);
      snapshot.catch(() => {
        if (this.keyword?.snapshot === snapshot) this.keyword = null;
      });
      this.keyword = { version, snapshot };
    }
    return this.keyword.snapshot;
  }

  private async buildKeywordSnapshot(version: string, keepRecords: boolean): Promise<KeywordSnapshot> {
    const records = new Map<string, Omit<StoredHit, 'score'>>();
    const documents: { id: string; title: string; attributes: Attributes }[] = [];
    const distinct = new Map<string, Set<string>>();
    const add = (id: string, title: string, attributes: Attributes) => {
      documents.push({ id, title, attributes });
      for (const [field, value] of Object.entries(attributes)) {
        let values = distinct.get(field);
        if (!values) distinct.set(field, (values = new Set()));
        values.add(value);
      }
    };
    // The in-memory copy at this very version holds every word already: no second pass over the store.
    const copy = keepRecords ? null : this.readPath;
    const loaded = copy?.loaded && copy.state().version === version ? await this.savedKeywordIndex(copy, version) : null;
    if (loaded) return { version, index: loaded, records: null };
    if (copy?.loaded && copy.state().version === version) copy.forEachDocument(add);
    else
      for await (const batch of this.driver.scan({ batchSize: 5000, withVector: false })) {
        for (const { id, title, imageRef, attributes } of batch) {
          add(id, title, attributes);
          if (keepRecords) records.set(id, { id, title, imageRef, attributes });
        }
      }
    // The words of the fields a shopper would filter by: not the split, a year or identifiers.
    const fields = defaultFacetFields({
      fields: [...distinct.keys()],
      distinctValues: Object.fromEntries([...distinct].map(([field, values]) => [field, values.size])),
      products: documents.length,
    });
    return { version, index: KeywordIndex.build(documents, fields), records: keepRecords ? records : null };
  }

  /**
   * The keyword index saved with the in-memory copy when that copy was read from its file at `version`: the same
   * words and scores as one built from the copy, for a fraction of the time (0.8 s on the full catalog), provided
   * the fields chosen from the copy's columns are the ones it was saved with; null otherwise.
   */
  private async savedKeywordIndex(copy: MemoryReadPath, version: string): Promise<KeywordIndex | null> {
    const saved = copy.keywordsSavedAt(version);
    if (!saved) return null;
    const manifest = await this.required();
    if (copy.state().version !== version) return null;
    // The statistics buildKeywordSnapshot chooses the fields by, from the columns: fields holding a value, their
    // distinct values, live products.
    const facets = copy.facets(manifest.attributeFields, new Map());
    const held = Object.entries(facets).filter(([, values]) => values.length > 0);
    const fields = defaultFacetFields({
      fields: held.map(([field]) => field),
      distinctValues: Object.fromEntries(held.map(([field, values]) => [field, values.length])),
      products: copy.state().products,
    });
    const index = KeywordIndex.fromSaved(saved, { fields });
    if (!index) copy.savedKeywordsUnusable();
    return index;
  }

  async readManifest(): Promise<StoreManifest | null> {
    const manifest = this.remember(await this.driver.loadManifest());
    return manifest && publicManifest(manifest);
  }

  async expectModel(model: ModelManifest): Promise<StoreManifest | null> {
    this.expected = model;
    return this.readManifest();
  }

  async bindModel(model: ModelManifest, attributeFields: string[]): Promise<StoreManifest> {
    const manifest = await this.driver.updateManifest((current) => decideBind(current, model, attributeFields, this.location, new Date().toISOString()));
    return publicManifest(this.remember(manifest)!);
  }

  async lockWriter(command: string): Promise<WriterLock> {
    return this.driver.lockWriter ? this.driver.lockWriter(command) : noWriterLock(command);
  }

  async upsert(records: IndexedRecord[]): Promise<void> {
    if (records.length === 0) return;
    let manifest = await this.required();
    const unknown = newAttributeFields(records, manifest.attributeFields);
    if (unknown.length > 0) {
      await this.bindModel(manifest.model, unknown);
      manifest = await this.required();
    }
    checkRecordDimensions(records, manifest.model.dimension);
    const unique = lastPerId(records);
    await this.ownWrite(
      () => this.driver.write(unique, manifest),
      (before, after) => {
        if (this.readPath?.loaded) this.readPath.wrote(unique, after);
        this.keywordFollows(before, after, { upserted: unique });
      },
    );
  }

  /**
   * A write by this process: counted (the memo of versionToken and stores without a version see it), and followed by
   * a server's copies (in-memory read path, keyword index) given the versions just before and after it; an indexer
   * keeps none, so it asks for no version.
   */
  private async ownWrite<T>(write: () => Promise<T>, follow: (before: string, after: string) => void): Promise<T> {
    const following = this.keyword !== null || this.readPath?.loaded === true;
    const before = following ? await this.freshVersion() : '';
    let result: T;
    try {
      result = await write();
    } finally {
      this.localWrites++;
    }
    if (following) follow(before, await this.freshVersion());
    return result;
  }

  /** The driver's version now (not the memo), or the kernel's own token for stores without one. */
  private async freshVersion(): Promise<string> {
    this.versionMemo = null;
    return this.versionToken();
  }

  /**
   * This process's own write, applied in place to the keyword index when that reflects the version just before it
   * (a write through the write API costs a few postings instead of a rebuild from a scan of the whole store);
   * otherwise the index is built again on its next use.
   */
  private keywordFollows(before: string, after: string, change: { upserted?: readonly IndexedRecord[]; removed?: readonly string[] }): void {
    const current = this.keyword;
    if (!current || current.version !== before) return;
    const snapshot = current.snapshot.then((s) => {
      if (change.removed) {
        s.index.remove(change.removed);
        for (const id of change.removed) s.records?.delete(id);
      }
      if (change.upserted) {
        s.index.upsert(change.upserted.map(({ id, title, attributes }) => ({ id, title, attributes })));
        for (const { id, title, imageRef, attributes } of change.upserted) s.records?.set(id, { id, title, imageRef, attributes });
      }
      return { ...s, version: after };
    });
    snapshot.catch(() => {
      if (this.keyword?.snapshot === snapshot) this.keyword = null;
    });
    this.keyword = { version: after, snapshot };
  }

  async delete(ids: string[]): Promise<number> {
    if (ids.length === 0 || !(await this.current())) return 0;
    return this.ownWrite(
      () => this.driver.remove(ids),
      (before, after) => {
        if (this.readPath?.loaded) this.readPath.removed(ids, after);
        this.keywordFollows(before, after, { removed: ids });
      },
    );
  }

  async contentHashes(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0 || !(await this.current())) return new Map();
    return this.driver.contentHashes(ids);
  }

  async get(id: string, options: { withVector?: boolean } = {}): Promise<StoredRecord | null> {
    const manifest = await this.current();
    if (!manifest) return null;
    const reads = await this.reads(manifest);
    if (reads) return reads.get(id, options.withVector ?? false);
    return this.driver.get(id, options.withVector ?? false);
  }

  async search(options: VectorSearchOptions): Promise<StoredHit[]> {
    const bound = await this.required();
    checkQueryDimension(options.vector, bound.model.dimension);
    const { manifest, filters } = await this.normalized(options.filters, bound);
    const offset = options.offset ?? 0;
    const reads = await this.reads(manifest);
    if (reads) return reads.search({ vector: options.vector, k: options.k, offset, filters, minScore: options.minScore, excludeIds: options.excludeIds ?? [] });
    const candidates = await this.driver.nearest({ vector: options.vector, limit: offset + options.k, filters, excludeIds: options.excludeIds ?? [] }, manifest);
    return rankPage(candidates, { offset, k: options.k, minScore: options.minScore }).map(({ id, score, title, imageRef, attributes }) => ({
      id,
      score,
      title,
      imageRef,
      attributes,
    }));
  }

  async keywordSearch(options: KeywordSearchOptions): Promise<KeywordSearchResult> {
    const current = await this.required();
    const snapshot = await this.keywordSnapshot();
    const { manifest, filters } = await this.normalized(options.filters, current);
    const matches = snapshot.index.match(options.text, { exclude: options.excludeIds });
    let accept: ((id: string) => boolean) | undefined;
    if (filters.size > 0) {
      // The in-memory columns test a match by its row; otherwise the keyword side's own records do.
      const reads = await this.reads(manifest);
      const records = snapshot.records;
      accept = reads
        ? reads.matcher(filters)
        : (id) => {
            const record = records?.get(id);
            return record !== undefined && matchesFilters(record.attributes, filters);
          };
    }
    if (!options.similarTo) {
      const { ranked, accepted } = matches.top({ limit: options.limit ?? Infinity, accept });
      return { ranked, matched: accepted, has: (id) => matches.has(id), ids: () => matches.ids() };
    }
    // A similarity cut: every match's cosine decides whether it stays (from the in-memory matrix where there is one).
    const { vector, keep } = options.similarTo;
    const cosineOf = await this.cosineLookup(manifest, vector, matches.ids());
    const close = (id: string) => {
      const cosine = cosineOf(id);
      return cosine !== undefined && keep(cosine);
    };
    const { ranked, accepted } = matches.top({ limit: options.limit ?? Infinity, accept: accept ? (id) => close(id) && accept(id) : close });
    return { ranked, matched: accepted, has: (id) => matches.has(id) && close(id), ids: () => matches.ids().filter(close) };
  }

  /** Cosines of `vector` with the products `ids` (unit-length vectors): read in place in memory, else fetched once. */
  private async cosineLookup(manifest: StoreManifest, vector: Float32Array, ids: readonly string[]): Promise<(id: string) => number | undefined> {
    checkQueryDimension(vector, manifest.model.dimension);
    const reads = await this.reads(manifest);
    if (reads) return reads.cosineTo(vector);
    const cosines = await this.similarities(vector, ids);
    return (id) => cosines.get(id);
  }

  async recordsOf(ids: readonly string[]): Promise<Map<string, Omit<StoredHit, 'score'>>> {
    const out = new Map<string, Omit<StoredHit, 'score'>>();
    const manifest = await this.current();
    if (!manifest || ids.length === 0) return out;
    // The in-memory copy where the store keeps one (no second copy of the records), else the keyword side's own.
    const reads = await this.reads(manifest);
    const snapshot = reads ? null : await this.keywordSnapshot();
    for (const id of ids) {
      const record = reads ? reads.get(id, false) : snapshot?.records?.get(id);
      if (record) out.set(id, { id, title: record.title, imageRef: record.imageRef, attributes: record.attributes });
    }
    return out;
  }

  async similarities(vector: Float32Array, ids: readonly string[]): Promise<Map<string, number>> {
    const manifest = await this.required();
    checkQueryDimension(vector, manifest.model.dimension);
    const unique = [...new Set(ids)];
    let vectors: Map<string, Float32Array>;
    const reads = await this.reads(manifest);
    if (reads) {
      const cosineOf = reads.cosineTo(vector);
      const out = new Map<string, number>();
      for (const id of unique) {
        const cosine = cosineOf(id);
        if (cosine !== undefined) out.set(id, cosine);
      }
      return out;
    }
    if (this.driver.vectorsOf) vectors = await this.driver.vectorsOf(unique);
    else {
      vectors = new Map();
      for (const id of unique) {
        const record = await this.driver.get(id, true);
        if (record?.vector) vectors.set(id, record.vector);
      }
    }
    // Stored vectors are unit length (the manifest says normalized), so the cosine is the dot product.
    return new Map([...vectors].map(([id, stored]) => [id, dot(stored, vector)]));
  }

  async resolveFilters(filters?: Filters): Promise<ResolvedFilters> {
    const current = await this.current();
    if (!current) return { filters: normalizeFilters(filters, []), unmatched: [] };
    const { filters: resolved, unmatched } = await this.normalized(filters, current);
    return { filters: resolved, unmatched };
  }

  async count(filters?: Filters): Promise<number> {
    const current = await this.current();
    if (!current) return 0;
    const { manifest, filters: normalized } = await this.normalized(filters, current);
    const reads = await this.reads(manifest);
    if (reads) return reads.count(normalized);
    return this.driver.count(normalized, manifest);
  }

  async facets(fields: string[], filters?: Filters, options: { within?: readonly string[] } = {}): Promise<Facets> {
    const current = await this.current();
    // Every asked field must be known, like a filter on it would have to be.
    const asFilters = Object.fromEntries(fields.map((f) => [f, []]));
    if (!current) {
      normalizeFilters(asFilters, []);
      return {};
    }
    const { manifest } = await this.normalized(asFilters, current);
    const { filters: normalized } = await this.normalized(filters, manifest);
    const reads = await this.reads(manifest);
    if (options.within) {
      // A query's result set: the in-memory columns count it; otherwise the keyword side's records do.
      if (reads) return reads.facets(fields, normalized, options.within);
      const snapshot = await this.keywordSnapshot();
      const attributes: Attributes[] = [];
      for (const id of options.within) {
        const record = snapshot.records?.get(id);
        if (record) attributes.push(record.attributes);
      }
      return countFacets(attributes, fields, normalized);
    }
    if (reads) return reads.facets(fields, normalized);
    return this.driver.facets(fields, normalized, this.manifest ?? manifest);
  }

  async verify(options: { deep?: boolean } = {}): Promise<IntegrityReport> {
    let manifest: StoreManifest | null;
    try {
      manifest = await this.driver.loadManifest();
    } catch (e) {
      if (isAppError(e) && e.code === 'INDEX_CORRUPT') return { ok: false, count: 0, problems: [e.message], warnings: [] };
      throw e;
    }
    if (!manifest) throw noIndexError(this.location);
    const own = (await this.driver.verify?.(manifest)) ?? { problems: [], warnings: [] };
    const problems = [...own.problems];
    const count = await this.driver.count(new Map(), manifest);
    if (options.deep) problems.push(...(await this.checkRecords(manifest, count)));
    return { ok: problems.length === 0, count, problems, warnings: own.warnings };
  }

  /** Reads every record: ids once, vectors of the index's dimension and unit length, and as many as the store counts. */
  private async checkRecords(manifest: StoreManifest, counted: number): Promise<string[]> {
    const problems: string[] = [];
    const note = (problem: string) => {
      if (problems.length < 20) problems.push(problem);
    };
    const seen = new Set<string>();
    let read = 0;
    try {
      for await (const batch of this.driver.scan({ batchSize: 2000, withVector: true })) {
        for (const r of batch) {
          read++;
          if (seen.has(r.id)) note(`product ${r.id} is stored more than once`);
          seen.add(r.id);
          const v = r.vector;
          if (!v || v.length !== manifest.model.dimension) {
            note(`product ${r.id} has a vector of ${v?.length ?? 0} dims; the index has ${manifest.model.dimension}`);
            continue;
          }
          let norm = 0;
          for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
          // Vectors are stored normalised; a flipped bit in one moves its length (or makes it NaN).
          if (!(Math.abs(Math.sqrt(norm) - 1) < 1e-3)) note(`product ${r.id} has a vector of length ${Math.sqrt(norm).toFixed(4)}, not 1`);
        }
      }
    } catch (e) {
      note(`reading the records failed after ${read}: ${isAppError(e) ? e.message : String(e)}`);
      return problems;
    }
    if (read !== counted) note(`the store counts ${counted} products but ${read} could be read`);
    return problems;
  }

  async *scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<StoredRecord[]> {
    if (!(await this.current())) return;
    yield* this.driver.scan(options);
  }

  async close(): Promise<void> {
    await this.readPath?.close();
    this.readPath = null;
    await this.driver.close();
  }
}
