// The index service: catalog entries -> vectors in the store, in named stages that can be timed, traced and tested
// alone: read (the catalog, once) -> load (photo bytes) -> check (skip unchanged) -> upload (optional) -> decode
// (pixels) -> embed (the model) -> write (the store). Every item ends ok / skipped / failed with its reason; one bad
// photo never aborts a run, and a killed run resumes because unchanged items (same id and content hash) are skipped.
//
// The stages live on an IndexRun, begun once per run (or per batch of a write API): begin() binds the model once,
// with every field the products use, so writes never re-check it. Writers hold the store's writer lock through
// exclusive(): `vitrine index` for its whole run, the write API per batch. run() pipelines them: the next batches
// are loaded and decoded while this one is embedded, and the store writes while the next are embedded. decode is a
// function of its own (options.decode) so that a worker pool can do it.
//
// Example:
//   const indexer = new IndexService({ embedder, store, loadImage }, { instrumentation, batchSize: 32 });
//   const report = await indexer.run({ entries: readCatalog({ source: 'catalog.csv' }) });
import { createHash } from 'node:crypto';
import { AppError, errorMessage, isAppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import type { IndexedRecord, Product } from '../domain/types.js';
import type { Embedder, PixelValues } from '../model/embedder.js';
import type { CatalogEntry } from '../stores/catalog/read-catalog.js';
import type { ImageStore } from '../stores/images/image-store.js';
import { uploadAwareHash, uploadProductImage } from '../stores/images/upload-images.js';
import type { VectorStore } from '../stores/vector/vector-store.js';
import { withWriterLock } from '../stores/vector/writer-lock.js';
import { noInstrumentation, type IndexStage, type Instrumentation, type ItemOutcome, type StageAttributes } from './instrumentation.js';

export type { IndexStage, ItemOutcome };
export const STAGES: IndexStage[] = ['read', 'load', 'check', 'upload', 'decode', 'embed', 'write'];

export interface ItemFailure {
  id?: string;
  row?: number;
  reason: string;
}

export interface IndexProgress {
  processed: number;
  ok: number;
  skipped: number;
  failed: number;
}

export interface IndexReport extends IndexProgress {
  /** Catalog entries read (products and rows that could not be read). */
  total: number;
  /** True when the run stopped early on its abort signal (what was embedded so far is written). */
  interrupted: boolean;
  /**
   * Wall-clock seconds during which each stage had work in flight (several batches of one stage at once count
   * once). Each is at most wallSeconds; together they exceed it, because the stages run side by side.
   */
  stageSeconds: Record<IndexStage, number>;
  wallSeconds: number;
  /** CPU seconds of this process during the run (all threads: ONNX Runtime, sharp, the store): cpu / wall = cores busy. */
  cpuSeconds: number;
  failures: ItemFailure[];
}

/** A product with its photo bytes and the hash that decides whether it must be embedded again. */
export interface LoadedItem {
  product: Product;
  bytes: Uint8Array;
  contentHash: string;
}

export interface DecodedItem {
  product: Product;
  contentHash: string;
  pixels: PixelValues;
}

/** What a stage passed on, and what failed in it (with the reason). */
export interface StageResult<T> {
  items: T[];
  failures: ItemFailure[];
}

/** A batch of the catalog write API: products to write (their photos already in the image store) and ids to delete. */
export interface WriteBatch {
  upsert: readonly Product[];
  delete: readonly string[];
}

/** What became of one product or id of a write batch. */
export interface WriteBatchResult {
  id: string;
  outcome: 'indexed' | 'unchanged' | 'failed' | 'deleted' | 'absent';
  reason?: string;
}

export interface IndexServiceDeps {
  embedder: Pick<Embedder, 'manifest' | 'preprocessImage' | 'encodePixels'>;
  store: VectorStore;
  /** Encoded bytes of an image reference (a local path or an http(s) URL). */
  loadImage: (ref: string) => Promise<Uint8Array>;
  /** Upload each embedded item's original photo here and record the returned URL as its imageRef. */
  uploadImages?: ImageStore;
}

export interface IndexServiceOptions {
  instrumentation?: Instrumentation;
  /** Images embedded per model call (default 32). */
  batchSize?: number;
  /** Records buffered before one store write: larger writes make fewer table fragments, smaller ones lose less to a kill. */
  writeBatchSize?: number;
  /** Photo bytes -> model-ready pixels; the embedder's own preprocessing by default (a worker pool can stand in). */
  decode?: (bytes: Uint8Array) => Promise<PixelValues>;
  /** Batches loaded and decoded ahead of the one being embedded (default 2). */
  prefetch?: number;
}

export interface BeginOptions {
  /** Attribute fields the products use: bound with the model in one go. */
  attributeFields?: string[];
  /** Re-embed even unchanged items. */
  force?: boolean;
  /**
   * How the check stage learns what is already indexed: one scan of every content hash up front ('preload', the
   * default up to a million products, far cheaper than a query per batch) or a lookup per batch ('lookup').
   */
  knownHashes?: 'preload' | 'lookup';
  onProgress?: (progress: IndexProgress) => void;
  onFailure?: (failure: ItemFailure) => void;
}

export interface RunOptions extends Omit<BeginOptions, 'attributeFields'> {
  entries: AsyncIterable<CatalogEntry> | Iterable<CatalogEntry>;
  /** Stops after the batch in flight; what was embedded so far is written. */
  signal?: AbortSignal;
  /** Called once the catalog is read, before any outcome is reported, with the number of entries. */
  onStart?: (total: number) => void | Promise<void>;
}

const PRELOAD_HASHES_UP_TO = 1_000_000;
/** Store failures no later write would escape: they end the run (what was written stays) instead of failing items. */
const STOPS_THE_RUN = new Set<ErrorCode>(['STORAGE_FULL', 'INDEX_CORRUPT']);
const MAX_LISTED_FAILURES = 10_000;

/** What decides whether an item must be embedded again: its photo bytes, title and attributes. */
export function contentHash(product: Product, imageBytes: Uint8Array): string {
  const hash = createHash('sha256');
  hash.update(imageBytes);
  hash.update('\0');
  hash.update(product.title);
  hash.update('\0');
  hash.update(JSON.stringify(Object.entries(product.attributes).sort(([a], [b]) => (a < b ? -1 : 1))));
  return hash.digest('hex');
}

/** Every attribute field the products use, in first-seen order. */
export function attributeFieldsOf(products: readonly Product[]): string[] {
  return [...new Set(products.flatMap((p) => Object.keys(p.attributes)))];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` on every item at once; an item whose call throws becomes a failure with `prefix` + the reason. */
async function eachItem<I, O>(items: readonly I[], idOf: (item: I) => string, prefix: string, fn: (item: I) => Promise<O>): Promise<StageResult<O>> {
  const failures: ItemFailure[] = [];
  const settled = await Promise.all(
    items.map(async (item) => {
      try {
        return { ok: true as const, value: await fn(item) };
      } catch (e) {
        failures.push({ id: idOf(item), reason: `${prefix}${errorMessage(e)}` });
        return { ok: false as const };
      }
    }),
  );
  return { items: settled.flatMap((s) => (s.ok ? [s.value] : [])), failures };
}

export class IndexService {
  readonly batchSize: number;
  readonly writeBatchSize: number;
  readonly observe: Instrumentation;
  readonly decodeImage: (bytes: Uint8Array) => Promise<PixelValues>;
  readonly prefetch: number;
  /** The writer turn of this process: exclusive() calls run one after another. */
  private turn: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(
    readonly deps: IndexServiceDeps,
    options: IndexServiceOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 32;
    this.writeBatchSize = Math.max(this.batchSize, options.writeBatchSize ?? 256);
    this.observe = options.instrumentation ?? noInstrumentation;
    this.decodeImage = options.decode ?? ((bytes) => deps.embedder.preprocessImage(bytes));
    this.prefetch = Math.max(1, options.prefetch ?? 2);
  }

  /**
   * Runs `fn` as the store's one writer: holding its writer lock (INDEX_LOCKED when another process holds it),
   * released after. Writers of one process (a server's write-API batches) take turns instead of failing on each
   * other; at most `maxWaiting` wait (OVERLOADED beyond).
   *
   * Example: `await indexer.exclusive('vitrine index', async () => { await indexer.run(...); await indexer.maintain(); })`
   */
  async exclusive<T>(command: string, fn: () => Promise<T>, options: { maxWaiting?: number } = {}): Promise<T> {
    // Calls in flight: one holds the turn, the others wait behind it (as this one would).
    if (this.pending > (options.maxWaiting ?? Infinity)) throw new AppError('OVERLOADED', `${this.pending - 1} writes are already waiting for the index; retry shortly`);
    this.pending++;
    const mine = this.turn.then(() => withWriterLock(this.deps.store, command, fn)).finally(() => this.pending--);
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  /**
   * One batch of the catalog write API, as the one writer (the store's lock for the batch; writers of this process
   * take turns): products through the same stages as `vitrine index` (unchanged ones skipped), then ids deleted.
   * Says what became of each, in the order given.
   */
  async writeBatch(batch: WriteBatch, options: { maxWaiting?: number } = {}): Promise<WriteBatchResult[]> {
    return this.exclusive(
      'the write API',
      async () => {
        const { store } = this.deps;
        const ids = batch.upsert.map((p) => p.id);
        const before = await store.contentHashes(ids);
        const failed = new Map<string, string>();
        if (batch.upsert.length > 0) {
          const run = await this.begin({ attributeFields: attributeFieldsOf(batch.upsert), knownHashes: 'lookup', onFailure: (f) => f.id && failed.set(f.id, f.reason) });
          await run.indexProducts(batch.upsert);
        }
        const after = await store.contentHashes(ids);
        const present = await store.contentHashes([...batch.delete]);
        if (batch.delete.length > 0) await store.delete([...batch.delete]);
        return [
          ...ids.map((id): WriteBatchResult => {
            const reason = failed.get(id);
            if (reason !== undefined) return { id, outcome: 'failed', reason };
            return { id, outcome: before.get(id) === after.get(id) ? 'unchanged' : 'indexed' };
          }),
          ...batch.delete.map((id): WriteBatchResult => ({ id, outcome: present.has(id) ? 'deleted' : 'absent' })),
        ];
      },
      options,
    );
  }

  /** Binds the model (once, with the given fields) and learns what is indexed; the stages then run on the result. */
  async begin(options: BeginOptions = {}): Promise<IndexRun> {
    const run = new IndexRun(this, options);
    await this.deps.store.bindModel(this.deps.embedder.manifest, options.attributeFields ?? []);
    await run.learnKnownHashes(options.knownHashes ?? 'preload');
    return run;
  }

  /** Indexes a whole catalog: read once, then batches pipelined through the stages. */
  async run(options: RunOptions): Promise<IndexReport> {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const clock = new StageClock(this.observe);
    const { products, failures, total } = await clock.time('read', {}, () => readEntries(options.entries));
    await options.onStart?.(total);
    const run = new IndexRun(this, options, clock, total);
    for (const f of failures) run.tally.fail(f);
    await this.deps.store.bindModel(this.deps.embedder.manifest, attributeFieldsOf(products));
    await run.learnKnownHashes(options.knownHashes ?? 'preload');
    await run.pipeline(chunks(products, this.batchSize), options.signal);
    const used = process.cpuUsage(cpu);
    return run.report(performance.now() - started, (used.user + used.system) / 1e6);
  }

  /** Store upkeep after a bulk run (compaction where the store needs it) and, when asked, its approximate index. */
  async maintain(options: { ann?: boolean } = {}): Promise<void> {
    const { store } = this.deps;
    await store.optimize?.();
    if (options.ann) {
      if (!store.createAnnIndex) throw new AppError('BAD_REQUEST', '--ann: this store builds its approximate index itself');
      await store.createAnnIndex();
    }
  }
}

/** The read stage: the catalog read once into products, with the rows that could not be read as failures. */
export async function readEntries(entries: AsyncIterable<CatalogEntry> | Iterable<CatalogEntry>): Promise<{ products: Product[]; failures: ItemFailure[]; total: number }> {
  const products: Product[] = [];
  const failures: ItemFailure[] = [];
  let total = 0;
  for await (const e of entries) {
    total++;
    if (e.ok) products.push(e.product);
    else failures.push({ id: e.id, row: e.row, reason: e.reason });
  }
  return { products, failures, total };
}

/**
 * Wall-clock seconds per stage during which at least one call of it was in flight (calls of one stage that overlap
 * count once, so no stage exceeds the run's wall time), each call traced through the instrumentation port.
 */
export class StageClock {
  private readonly active = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<IndexStage, number>;
  private readonly inFlight = Object.fromEntries(STAGES.map((s) => [s, { calls: 0, since: 0 }])) as Record<IndexStage, { calls: number; since: number }>;

  constructor(private readonly observe: Instrumentation) {}

  get seconds(): Record<IndexStage, number> {
    const now = performance.now();
    return Object.fromEntries(STAGES.map((s) => [s, (this.active[s] + (this.inFlight[s].calls > 0 ? now - this.inFlight[s].since : 0)) / 1000])) as Record<IndexStage, number>;
  }

  async time<T>(stage: IndexStage, attributes: StageAttributes, fn: () => Promise<T>): Promise<T> {
    return this.observe.stage(`index.${stage}`, attributes, async () => {
      const flight = this.inFlight[stage];
      if (flight.calls++ === 0) flight.since = performance.now();
      try {
        return await fn();
      } finally {
        if (--flight.calls === 0) this.active[stage] += performance.now() - flight.since;
      }
    });
  }
}

/** Item outcomes of a run: counts, the failures (the first 10,000 listed), metrics and callbacks. */
export class Tally {
  readonly progress: IndexProgress = { processed: 0, ok: 0, skipped: 0, failed: 0 };
  readonly failures: ItemFailure[] = [];

  constructor(
    private readonly observe: Instrumentation,
    private readonly callbacks: Pick<BeginOptions, 'onProgress' | 'onFailure'> = {},
  ) {}

  fail(failure: ItemFailure): void {
    this.count('failed', 1);
    if (this.failures.length < MAX_LISTED_FAILURES) this.failures.push(failure);
    this.callbacks.onFailure?.(failure);
  }

  skip(count: number): void {
    this.count('skipped', count);
  }

  ok(count: number): void {
    this.count('ok', count);
  }

  private count(outcome: ItemOutcome, n: number): void {
    this.progress[outcome] += n;
    this.progress.processed += n;
    this.observe.indexed(outcome, n);
  }

  /** Progress, counting `pending` embedded but not yet written items as done (they are, barring a store failure). */
  report(pending = 0): void {
    this.callbacks.onProgress?.({ ...this.progress, processed: this.progress.processed + pending, ok: this.progress.ok + pending });
  }
}

/** One run (or one write-API batch) of the index service: the model bound, the stages, the outcomes. */
export class IndexRun {
  readonly tally: Tally;
  private known: Map<string, string> | null = null;
  private buffer: IndexedRecord[] = [];
  private interrupted = false;

  constructor(
    private readonly service: IndexService,
    private readonly options: BeginOptions,
    readonly clock: StageClock = new StageClock(service.observe),
    private readonly total = 0,
  ) {
    this.tally = new Tally(service.observe, options);
  }

  private get deps(): IndexServiceDeps {
    return this.service.deps;
  }

  /** Part of the check stage: preloads every content hash (unless forced or too many to hold). */
  async learnKnownHashes(mode: 'preload' | 'lookup'): Promise<void> {
    const { store } = this.deps;
    if (this.options.force || mode !== 'preload' || (await store.count()) > PRELOAD_HASHES_UP_TO) return;
    this.known = await this.clock.time('check', {}, async () => {
      const map = new Map<string, string>();
      for await (const batch of store.scan({ batchSize: 10_000, withVector: false })) for (const item of batch) map.set(item.id, item.contentHash);
      return map;
    });
  }

  /** load: each product's photo bytes and content hash. */
  async load(products: readonly Product[]): Promise<StageResult<LoadedItem>> {
    const { loadImage, uploadImages } = this.deps;
    return this.clock.time('load', {}, () =>
      eachItem(products, (p) => p.id, '', async (product) => {
        const bytes = await loadImage(product.imageRef);
        const hash = contentHash(product, bytes);
        return { product, bytes, contentHash: uploadImages ? uploadAwareHash(hash, uploadImages, product.id) : hash };
      }),
    );
  }

  /** check: what must be embedded (new or changed) and what is skipped as unchanged. */
  async check(loaded: readonly LoadedItem[]): Promise<{ todo: LoadedItem[]; unchanged: LoadedItem[] }> {
    if (this.options.force) return { todo: [...loaded], unchanged: [] };
    const known = this.known ?? (await this.clock.time('check', {}, () => this.deps.store.contentHashes(loaded.map((l) => l.product.id))));
    const todo: LoadedItem[] = [];
    const unchanged: LoadedItem[] = [];
    for (const item of loaded) (known.get(item.product.id) === item.contentHash ? unchanged : todo).push(item);
    return { todo, unchanged };
  }

  /** upload: the original photos to the image store, when one is configured; their URLs become the imageRefs. */
  async upload(items: readonly LoadedItem[]): Promise<StageResult<LoadedItem>> {
    const images = this.deps.uploadImages;
    if (!images) return { items: [...items], failures: [] };
    return this.clock.time('upload', {}, () =>
      eachItem(items, (i) => i.product.id, 'image upload failed: ', async (item) => ({ ...item, product: await uploadProductImage(images, item.product, item.bytes) })),
    );
  }

  /** decode: photo bytes to model-ready pixels. */
  async decode(items: readonly LoadedItem[]): Promise<StageResult<DecodedItem>> {
    return this.clock.time('decode', {}, () =>
      eachItem(items, (i) => i.product.id, '', async (item) => ({ product: item.product, contentHash: item.contentHash, pixels: await this.service.decodeImage(item.bytes) })),
    );
  }

  /** embed: one model call for the batch; if it fails, every item of the batch fails with its reason. */
  async embed(items: readonly DecodedItem[]): Promise<StageResult<IndexedRecord>> {
    if (items.length === 0) return { items: [], failures: [] };
    try {
      const vectors = await this.clock.time('embed', { 'vitrine.batch_size': items.length }, () => this.deps.embedder.encodePixels(items.map((i) => i.pixels)));
      const records = items.map(({ product, contentHash: hash }, i) => ({ ...product, contentHash: hash, vector: vectors[i] }));
      return { items: records, failures: [] };
    } catch (e) {
      return { items: [], failures: items.map((i) => ({ id: i.product.id, reason: `embedding failed: ${errorMessage(e)}` })) };
    }
  }

  /**
   * write: one store write; if it fails, every record of it fails with its reason. A full disk stops the run
   * instead (every later write would fail the same way): its error goes to the caller.
   */
  async write(records: readonly IndexedRecord[]): Promise<StageResult<IndexedRecord>> {
    if (records.length === 0) return { items: [], failures: [] };
    try {
      await this.clock.time('write', { 'vitrine.batch_size': records.length }, () => this.deps.store.upsert([...records]));
      return { items: [...records], failures: [] };
    } catch (e) {
      if (isAppError(e) && STOPS_THE_RUN.has(e.code)) throw e;
      return { items: [], failures: records.map((r) => ({ id: r.id, reason: `store write failed: ${errorMessage(e)}` })) };
    }
  }

  /** Everything up to pixels for one batch, outcomes recorded: load -> check -> upload -> decode. */
  async prepare(products: readonly Product[]): Promise<DecodedItem[]> {
    const loaded = this.record(await this.load(products));
    const { todo, unchanged } = await this.check(loaded);
    this.tally.skip(unchanged.length);
    return this.record(await this.decode(this.record(await this.upload(todo))));
  }

  /** Embeds one prepared batch into the write buffer. */
  async embedIntoBuffer(decoded: readonly DecodedItem[]): Promise<void> {
    this.buffer.push(...this.record(await this.embed(decoded)));
  }

  /** Writes the buffer, recording each record as ok or failed. */
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const records = this.buffer;
    this.buffer = [];
    this.tally.ok(this.record(await this.write(records)).length);
    this.tally.report();
  }

  /** One batch of products through every stage and into the store (what a write API calls per request). */
  async indexProducts(products: readonly Product[]): Promise<IndexProgress> {
    await this.embedIntoBuffer(await this.prepare(products));
    await this.flush();
    return { ...this.tally.progress };
  }

  /**
   * The batches through the stages as a pipeline: up to `prefetch` batches are loaded and decoded (sharp works on
   * libuv's threads) while one is embedded (ONNX Runtime's threads), and each full write buffer goes to the store
   * while the following batches are embedded, one write in flight at a time. Stops between batches on the signal.
   */
  async pipeline(batches: readonly Product[][], signal?: AbortSignal): Promise<void> {
    const ahead: Promise<DecodedItem[]>[] = [];
    let next = 0;
    const fill = () => {
      while (ahead.length < this.service.prefetch && next < batches.length) ahead.push(handled(this.prepare(batches[next++])));
    };
    let writing: Promise<void> = Promise.resolve();
    fill();
    while (ahead.length > 0) {
      if (signal?.aborted) {
        this.interrupted = true;
        break;
      }
      const decoded = await ahead.shift()!;
      fill();
      await this.embedIntoBuffer(decoded);
      if (this.buffer.length >= this.service.writeBatchSize) {
        await writing;
        writing = handled(this.flush());
      } else this.tally.report(this.buffer.length);
    }
    await Promise.allSettled(ahead);
    await writing;
    await this.flush();
  }

  /** The run's outcome; wall time and CPU time from the caller, who knows when it started. */
  report(wallMs: number, cpuSeconds = 0): IndexReport {
    return {
      ...this.tally.progress,
      total: this.total,
      interrupted: this.interrupted,
      stageSeconds: this.clock.seconds,
      wallSeconds: wallMs / 1000,
      cpuSeconds,
      failures: [...this.tally.failures],
    };
  }

  /** Records a stage's failures and passes its items on. */
  private record<T>(result: StageResult<T>): T[] {
    for (const f of result.failures) this.tally.fail(f);
    return result.items;
  }
}

/** One-off indexing with a fresh service (tests, benches): `new IndexService(...).run(...)` in one call. */
export async function runIndex(options: IndexServiceDeps & IndexServiceOptions & RunOptions): Promise<IndexReport> {
  const { embedder, store, loadImage, uploadImages, instrumentation, batchSize, writeBatchSize, decode, prefetch, ...run } = options;
  return new IndexService({ embedder, store, loadImage, uploadImages }, { instrumentation, batchSize, writeBatchSize, decode, prefetch }).run(run);
}

/**
 * The promise itself, marked as handled: a stage started ahead (a decode, a write in flight) may fail while the
 * pipeline awaits another one; its error then surfaces where the pipeline awaits it, not as an unhandled rejection
 * that would end the process (a full disk must end the run with its own error, not a crash).
 */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
