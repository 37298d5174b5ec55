// The store kernel's fast read path: a copy of an index in memory (MemoryVectorIndex plus each product's title,
// photo reference and content hash) that answers search, get, count and facets, kept in step with the store's
// version. The store stays the truth and its own search the reference: the copy is loaded from it, follows this
// process's writes as they are made, and catches up with another process's writes by comparing content hashes
// (only changed products are read again), swapping in each new state at once so a reader never sees a mix.
// Where the source can keep a saved copy (copy-file.ts), a first load reads that file instead of the store when it
// was saved at exactly the store's current version and fingerprint, and a copy loaded from the store is saved.
import type { NormalizedFilters } from '../../../domain/filters.js';
import type { Attributes, Facets } from '../../../domain/types.js';
import type { SavedKeywords } from '../keyword-index.js';
import type { StoredHit, StoredRecord } from '../vector-store.js';
import type { AnnIndexFactory } from './ann-index.js';
import type { CopyFile, SavedCopy } from './copy-file.js';
import { MemoryVectorIndex, type SearchPath } from './memory.vector-index.js';

/** What the read path needs from a store driver. */
export interface ReadPathSource {
  /** An opaque token that changes with every commit (another process's included). */
  version(): Promise<string>;
  /** Every record, with vectors when asked, in batches. */
  scan(options: { batchSize: number; withVector: boolean }): AsyncIterable<StoredRecord[]>;
  /** The records of these ids that exist, with vectors. */
  records(ids: readonly string[]): Promise<StoredRecord[]>;
  /** id -> content hash of every record. */
  hashes(): Promise<Map<string, string>>;
  /** Records held (to size the matrix once instead of growing it by doubling). */
  count(): Promise<number>;
  /**
   * Where the copy is saved between runs, and a fingerprint of the store's files that keys it together with the
   * version (a copy is used only when both match); absent: nothing is saved.
   */
  savedCopy?: { file: CopyFile; fingerprint(): Promise<string> };
}

export interface MemoryReadPathOptions {
  dim: number;
  /** Approximate search at and above this many products (exact below). */
  annMinProducts: number;
  /** Builds the approximate index; none: always exact. */
  ann?: AnnIndexFactory;
  /** ONNX Runtime threads for one scoring run. */
  threads?: number;
}

/** Where searches are answered, for `info` and `/readyz`. */
export interface ReadPathState {
  mode: 'exact' | 'ann' | 'loading';
  products: number;
  /** The ANN settings in words, while it is used. */
  ann?: string;
  /** Store version the copy reflects. */
  version: string | null;
}

interface Payload {
  title: string;
  imageRef: string;
  contentHash: string;
}

/** One consistent state: the index and its products' payloads at one store version. */
interface Snapshot {
  index: MemoryVectorIndex;
  payload: Map<string, Payload>;
  version: string;
}

const SCAN_BATCH = 10_000;
/** Above this share of changed products a catch-up reloads everything instead of reading products one by one. */
const RELOAD_SHARE = 0.25;

/** The key a saved copy of the store at `version` carries. */
const copyKey = (version: string, fingerprint: string) => `${version}|${fingerprint}`;

export class MemoryReadPath {
  private current: Snapshot | null = null;
  /** The version last saved to (or loaded from) the copy file, and whether that copy held the keyword index. */
  private savedVersion: string | null = null;
  private savedWithKeywords = false;
  /** The keyword index the loaded copy held, until the kernel takes it (keywordsSavedAt). */
  private loadedKeywords: { version: string; keywords: SavedKeywords } | null = null;
  private saving: Promise<void> | null = null;
  private syncing: Promise<void> | null = null;
  private lastError: unknown = null;

  constructor(
    private readonly source: ReadPathSource,
    private readonly options: MemoryReadPathOptions,
  ) {}

  /** The copy if it has been loaded (it may trail the store by one catch-up). */
  get loaded(): boolean {
    return this.current !== null;
  }

  state(): ReadPathState {
    const s = this.current;
    if (!s) return { mode: 'loading', products: 0, version: null };
    const ann = s.index.annDescription;
    return { mode: ann ? 'ann' : 'exact', products: s.index.size, version: s.version, ...(ann ? { ann } : {}) };
  }

  /** How the last search was answered (tests and benches). */
  get lastPath(): SearchPath | null {
    return this.current?.index.lastPath ?? null;
  }

  /**
   * Starts a catch-up when the store has moved on; resolves with the copy to read from, or null while there is
   * none yet. `wait`: resolve only once the copy reflects the version seen now (tests, first load).
   */
  async reader(options: { wait?: boolean } = {}): Promise<MemoryReadPath | null> {
    const version = await this.source.version();
    if (this.current?.version !== version) {
      this.syncing ??= this.catchUp(version).finally(() => (this.syncing = null));
      if (options.wait || !this.current) await this.syncing.catch(() => undefined);
      if (options.wait && this.lastError) throw this.lastError;
    }
    return this.current ? this : null;
  }

  private async catchUp(version: string): Promise<void> {
    try {
      const s = this.current;
      const hashes = s ? await this.source.hashes() : new Map<string, string>();
      const changed = s ? [...hashes].filter(([id, hash]) => s.payload.get(id)?.contentHash !== hash).map(([id]) => id) : [];
      if (!s || changed.length > RELOAD_SHARE * Math.max(hashes.size, 1)) {
        this.current = await this.load(version);
      } else {
        const removed = [...s.payload.keys()].filter((id) => !hashes.has(id));
        const records = changed.length > 0 ? await this.source.records(changed) : [];
        // Applied in one synchronous step: a search sees the state before or after, never between.
        s.index.delete(removed);
        for (const id of removed) s.payload.delete(id);
        this.apply(s, records);
        s.version = version;
      }
      this.lastError = null;
    } catch (e) {
      this.lastError = e;
      throw e;
    }
  }

  private async load(version: string): Promise<Snapshot> {
    const snapshot = (await this.loadSaved(version)) ?? (await this.loadFromStore(version));
    const { index } = snapshot;
    if (this.options.ann && index.size >= this.options.annMinProducts) await index.buildAnn();
    const previous = this.current;
    if (previous && previous !== snapshot) setImmediate(() => void previous.index.close());
    return snapshot;
  }

  /** Every record read from the store. */
  private async loadFromStore(version: string): Promise<Snapshot> {
    // A few rows to spare for writes that land while loading; later writes grow the matrix by doubling.
    const capacity = Math.max(1024, Math.ceil((await this.source.count()) * 1.01));
    const index = await MemoryVectorIndex.create({ dim: this.options.dim, capacity, threads: this.options.threads, ann: this.options.ann });
    const snapshot: Snapshot = { index, payload: new Map(), version };
    for await (const batch of this.source.scan({ batchSize: SCAN_BATCH, withVector: true })) this.apply(snapshot, batch);
    return snapshot;
  }

  /** The saved copy, when there is one of the store at exactly this version and fingerprint; null otherwise. */
  private async loadSaved(version: string): Promise<Snapshot | null> {
    const saved = this.source.savedCopy;
    if (!saved) return null;
    // The same few rows to spare as a load from the store, read into the matrix's own buffer.
    const spare = (rows: number) => Math.max(1024, Math.ceil(rows * 1.01)) - rows;
    const key = copyKey(version, await saved.fingerprint());
    const copy = await saved.file.read({ key, dim: this.options.dim, spareRows: spare }).catch(() => null);
    if (!copy) return null;
    let index: MemoryVectorIndex;
    try {
      const capacity = copy.rows.ids.length + spare(copy.rows.ids.length);
      index = await MemoryVectorIndex.fromSaved({ dim: this.options.dim, capacity, threads: this.options.threads, ann: this.options.ann }, copy.rows);
    } catch {
      // Rows that do not add up (a file written by a faulty build): read the store instead.
      return null;
    }
    const { ids } = copy.rows;
    const { titles, imageRefs, contentHashes } = copy.payload;
    const payload = new Map<string, Payload>();
    for (let i = 0; i < ids.length; i++) payload.set(ids[i], { title: titles[i], imageRef: imageRefs[i], contentHash: contentHashes[i] });
    this.savedVersion = version;
    this.savedWithKeywords = copy.keywords !== undefined;
    this.loadedKeywords = copy.keywords ? { version, keywords: copy.keywords } : null;
    return { index, payload, version };
  }

  /**
   * Saves the copy as it is now, when the source keeps one and it was not saved at this version yet (a server calls
   * it once it is ready: a start that had to read the store leaves a copy for the next one). Best effort: a data dir
   * that cannot be written only means the next start reads the store again.
   *
   * `keywordsAt`: the keyword index as it is at this version, saved with the copy, or null when there is none at
   * exactly that version; called in the same synchronous step that takes the copy. A copy saved (or loaded) without
   * the keyword index is saved again once there is one.
   */
  async saveCopy(options: { keywordsAt?: (version: string) => SavedKeywords | null } = {}): Promise<void> {
    const saved = this.source.savedCopy;
    const s = this.current;
    const upToDate = s?.version === this.savedVersion && (this.savedWithKeywords || !options.keywordsAt);
    if (!saved || !s || this.saving || upToDate) return this.saving ?? undefined;
    const version = s.version;
    this.saving = (async () => {
      const fingerprint = await saved.fingerprint();
      // Taken in one synchronous step after the last await: the rows, payloads, keywords and version of one state.
      if (this.current !== s || s.version !== version) return;
      const keywords = options.keywordsAt?.(version) ?? null;
      if (version === this.savedVersion && (this.savedWithKeywords || !keywords)) return;
      const copy = this.copyOf(s, copyKey(version, fingerprint));
      await saved.file.write(keywords ? { ...copy, keywords } : copy);
      this.savedVersion = version;
      this.savedWithKeywords = keywords !== null;
    })()
      .catch(() => undefined)
      .finally(() => (this.saving = null));
    return this.saving;
  }

  private copyOf(s: Snapshot, key: string): SavedCopy {
    const rows = s.index.saved();
    const payloads = rows.ids.map((id) => s.payload.get(id)!);
    return {
      key,
      dim: this.options.dim,
      rows,
      payload: { titles: payloads.map((p) => p.title), imageRefs: payloads.map((p) => p.imageRef), contentHashes: payloads.map((p) => p.contentHash) },
    };
  }

  private apply(s: Snapshot, records: readonly StoredRecord[]): void {
    s.index.upsert(records.map((r) => ({ id: r.id, vector: r.vector!, attributes: r.attributes })));
    for (const r of records) s.payload.set(r.id, { title: r.title, imageRef: r.imageRef, contentHash: r.contentHash });
  }

  /**
   * The keyword index the loaded copy held, when the copy is still at `version` (it was saved with the same key);
   * handed over once, null otherwise.
   */
  keywordsSavedAt(version: string): SavedKeywords | null {
    const loaded = this.loadedKeywords;
    this.loadedKeywords = null;
    return loaded && loaded.version === version && this.current?.version === version ? loaded.keywords : null;
  }

  /** The saved keyword index did not fit this build (keywordsSavedAt): the next saveCopy saves the one built instead. */
  savedKeywordsUnusable(): void {
    this.savedWithKeywords = false;
  }

  /** Every product's id, title and attributes, in row order (the keyword index is built from them). */
  forEachDocument(fn: (id: string, title: string, attributes: Attributes) => void): void {
    const s = this.snapshot();
    s.index.forEachProduct((id, attributes) => fn(id, s.payload.get(id)!.title, attributes));
  }

  /** This process's own write, made to the store just now: the copy follows it at once. */
  wrote(records: readonly StoredRecord[], version: string): void {
    const s = this.current;
    if (!s) return;
    this.apply(s, records);
    s.version = version;
  }

  /** This process's own delete, made to the store just now. */
  removed(ids: readonly string[], version: string): void {
    const s = this.current;
    if (!s) return;
    s.index.delete(ids);
    for (const id of ids) s.payload.delete(id);
    s.version = version;
  }

  private snapshot(): Snapshot {
    if (!this.current) throw new Error('the in-memory copy is not loaded');
    return this.current;
  }

  /** Ranked and paged hits, as the kernel ranks a driver's candidates. */
  async search(query: { vector: Float32Array; k: number; offset?: number; filters: NormalizedFilters; minScore?: number; excludeIds: readonly string[] }): Promise<StoredHit[]> {
    const s = this.snapshot();
    const hits = await s.index.search({ vector: query.vector, k: query.k, offset: query.offset, filters: query.filters, minScore: query.minScore, excludeIds: query.excludeIds });
    return hits.map((h) => {
      const p = s.payload.get(h.id)!;
      return { id: h.id, score: h.score, title: p.title, imageRef: p.imageRef, attributes: s.index.attributesOf(h.id)! };
    });
  }

  get(id: string, withVector: boolean): StoredRecord | null {
    const s = this.snapshot();
    const p = s.payload.get(id);
    if (!p) return null;
    const stored = s.index.get(id)!;
    return { id, title: p.title, imageRef: p.imageRef, contentHash: p.contentHash, attributes: stored.attributes, ...(withVector ? { vector: stored.vector } : {}) };
  }

  count(filters: NormalizedFilters): number {
    return this.snapshot().index.count(filters);
  }

  /** Whether a product matches `filters`, from the bitmap columns. */
  matcher(filters: NormalizedFilters): (id: string) => boolean {
    return this.snapshot().index.matcher(filters);
  }

  /** A product's cosine with `query`, from the in-memory matrix. */
  cosineTo(query: Float32Array): (id: string) => number | undefined {
    return this.snapshot().index.cosineTo(query);
  }

  /** Disjunctive facet counts; over `ids` only when given (a query's matches). */
  facets(fields: readonly string[], filters: NormalizedFilters, ids?: Iterable<string>): Facets {
    return this.snapshot().index.facets(fields, filters, ids);
  }

  async close(): Promise<void> {
    await this.syncing?.catch(() => undefined);
    await this.saving;
    await this.current?.index.close();
    this.current = null;
  }
}
