// The composition root: the one place where adapters (model runtime, vector stores, image stores, image loader,
// metrics) are built from config and handed to services. Each command gets a narrow builder that builds only what
// it uses: serve (buildContext), search, index, info, delete, migrate, eval, and the stores bench.
import path from 'node:path';
import { ConfigSchema, searchLimits, type Config, type SearchLimits } from './config/config.js';
import type { ModelManifest, StoreManifest } from './domain/manifest.js';
import { loadEmbedder, type DownloadProgress, type LoadModelOptions } from './model/load-model.js';
import type { Embedder } from './model/embedder.js';
import { AppError } from './errors/app-error.js';
import { noIndexError, redactUrl } from './stores/vector/model-guard.js';
import { openVectorStore, storeUrl, type OpenStoreOptions } from './stores/vector/open-store.js';
import type { IntegrityReport, VectorStore } from './stores/vector/vector-store.js';
import type { InMemoryReads } from './stores/vector/store-kernel.js';
import type { ReadPathState } from './stores/vector/memory-index/memory.read-path.js';
import { openImageStore } from './stores/images/open-image-store.js';
import type { ImageStore } from './stores/images/image-store.js';
import { fetchImageUrl } from './stores/images/safe-fetch.js';
import { loadImageBytes } from './stores/images/image-source.js';
import { SearchService, type SearchResult } from './services/search.service.js';
import { IndexService, runIndex } from './services/index.service.js';
import { QueryCache } from './services/query-cache.js';
import { queuedEmbedder } from './services/encode-queue.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { observedInstrumentation } from './observability/instrumentation.js';
import type { EvalRuntime } from './eval/eval-runtime.js';

/** What the served index holds, for /readyz: `empty` while it was never indexed (search answers NO_INDEX). */
export interface IndexState {
  status: 'empty' | 'ready';
  /** The store in words, never with a password. */
  store: string;
  count: number;
  /** The index's model (null while empty); the server's own is `embedder.manifest`. */
  model: ModelManifest | null;
  updatedAt: string | null;
  /** Where searches are answered: the in-memory copy (exact or ANN, its size) or null (the store itself). */
  search: ReadPathState | null;
}

/** The server's context (also what `vitrine search` uses): the model, the store checked against it, the services. */
export interface AppContext {
  config: Config;
  /** The limits every search is held to; the OpenAPI document, the web page and the CLI help show them. */
  limits: SearchLimits;
  embedder: Embedder;
  store: VectorStore;
  search: SearchService;
  /** Indexes products into `store` with `embedder`: what a write API calls (begin() once, then per batch). */
  indexer: IndexService;
  metrics: Metrics;
  loadImage: (ref: string) => Promise<Buffer>;
  /** Where photos sent to the write API are kept (config imageStore; default <dataDir>/images). */
  imageStore: ImageStore;
  /** A photo at a URL a client gave: http(s) only, public addresses only unless allowPrivateImageUrls. */
  fetchImageUrl: (url: string) => Promise<Buffer>;
  /** The index as it is now: a server may start on an empty one and see it filled later. */
  indexState(): Promise<IndexState>;
  close(): Promise<void>;
}

export interface BuildContextOptions {
  onDownloadProgress?: (event: DownloadProgress) => void;
  /** Metrics registry to report into; a fresh one by default. */
  metrics?: Metrics;
}

/** Where the vector store is, from config: the store URL (default lance:<dataDir>) and hosted stores' keys. */
export function storeOptions(config: Config): OpenStoreOptions {
  return { url: config.store, dataDir: config.dataDir, apiKeys: { qdrant: config.qdrantApiKey, pinecone: config.pineconeApiKey } };
}

/** The store as users see it in messages: the URL without its password, or lance:<absolute data dir>. */
export function storeLabel(config: Config): string {
  return config.store ? redactUrl(config.store) : `lance:${path.resolve(config.dataDir)}`;
}

/** ONNX Runtime intra-op threads of a query server when `threads` is not configured. */
export const QUERY_THREADS = 1;

function modelOptions(config: Config, onProgress?: (event: DownloadProgress) => void): LoadModelOptions {
  return {
    model: config.model,
    cacheDir: config.modelCacheDir,
    hubEndpoint: config.hubEndpoint,
    hubToken: config.hubToken,
    threads: config.threads,
    imageLimits: { maxBytes: config.maxUploadBytes, maxPixels: config.maxImagePixels },
    onProgress,
  };
}

function imageLoader(config: Config): (ref: string) => Promise<Buffer> {
  return (ref) => loadImageBytes(ref, { maxBytes: config.maxUploadBytes, timeoutMs: config.fetchTimeoutSeconds * 1000 });
}

/** Runs `fn`, closing `resource` when it fails (so a refused store leaves no ONNX session or pool open). */
async function closing<T>(resource: { close(): Promise<void> }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    await resource.close();
    throw e;
  }
}

/**
 * serve (and tests): the model and the store, refusing (MODEL_MISMATCH) an index built with another model. A store
 * that was never indexed is fine here: the server starts, its searches answer NO_INDEX until an index is written.
 */
export async function buildContext(config: Config, options: BuildContextOptions = {}): Promise<AppContext> {
  return assembleContext(config, options, { requireIndex: false });
}

/**
 * `vitrine search` on the data dir: refuses NO_INDEX before loading the model when the store was never indexed,
 * so a read in the wrong folder fails fast and creates nothing.
 */
export async function buildSearchContext(config: Config, options: BuildContextOptions = {}): Promise<AppContext> {
  return assembleContext(config, options, { requireIndex: true });
}

/**
 * A server's reads of the embedded store: from a copy in memory, exact below `annMinProducts` and approximate
 * (usearch HNSW, loaded only then) from there on.
 */
function inMemoryReads(config: Config): InMemoryReads | undefined {
  if (!config.inMemoryIndex) return undefined;
  return {
    annMinProducts: config.annMinProducts,
    ann: async (o) => (await import('./stores/vector/memory-index/usearch.ann-index.js')).usearchAnnFactory()(o),
  };
}

/**
 * How `vitrine serve` answers searches on an index of `count` products (`vitrine info` shows it), with the
 * approximate-search settings in use: the in-memory HNSW's, or the store's own (`storeSettings`).
 */
export async function servedSearch(config: Config, count: number, storeSettings?: string): Promise<{ mode: 'exact' | 'ann' | 'store'; description: string }> {
  const embedded = storeUrl(storeOptions(config)).startsWith('lance:');
  if (!embedded || !config.inMemoryIndex) return { mode: 'store', description: `by the vector store itself${storeSettings ? `: ${storeSettings}` : ''}` };
  if (count >= config.annMinProducts) {
    const { usearchDescription } = await import('./stores/vector/memory-index/usearch.ann-index.js');
    return { mode: 'ann', description: `in memory, approximate from ${config.annMinProducts} products on: ${usearchDescription()}` };
  }
  return { mode: 'exact', description: `in memory, exact (approximate from ${config.annMinProducts} products on)` };
}

async function assembleContext(config: Config, options: BuildContextOptions, { requireIndex }: { requireIndex: boolean }): Promise<AppContext> {
  // Only a server keeps the index in memory: one CLI search is answered faster by the store itself.
  const store = await openVectorStore({ ...storeOptions(config), inMemory: requireIndex ? undefined : inMemoryReads(config) });
  if (requireIndex) await requireManifest(store);
  // A server loads the model, checks the index and reads it into memory side by side: file reads, LanceDB scans
  // and ONNX Runtime's work on another core overlap the JS thread's part of each (cold start, issue 11).
  // One ONNX Runtime thread per query unless configured: measured on 2 cores (src/bench/encoder-threads.ts), it
  // costs the least CPU per query and leaves the other core to concurrent requests; indexing keeps all cores.
  const loading = loadEmbedder({ ...modelOptions(config, options.onDownloadProgress), threads: config.threads ?? QUERY_THREADS });
  // A server checks what it is about to serve (the store's own quick checks: file checksums, manifest against
  // data), so a damaged index is refused at start instead of answering with products missing; it also builds the
  // keyword index and the facet order before it is ready (a one-off CLI search does neither).
  const checking = requireIndex ? Promise.resolve(null) : store.verify?.({ deep: false }) ?? Promise.resolve(null);
  const preparing = store.prepareReads?.({ keywords: !requireIndex }) ?? Promise.resolve(null);
  const [loaded, checked, prepared] = await Promise.allSettled([loading, checking, preparing]);
  if (loaded.status === 'rejected') {
    await store.close();
    throw loaded.reason;
  }
  const model = loaded.value;
  // Every encoding of the server (queries, the write API's photos) waits in one bounded queue: OVERLOADED beyond it.
  const embedder = queuedEmbedder(model, { concurrency: config.encodeConcurrency, queue: config.encodeQueue });
  // The refusals in the order they were made one after the other: another model's index, then damage, then a read
  // that failed.
  await closing(embedder, () =>
    closing(store, async () => {
      const manifest = await store.expectModel(embedder.manifest);
      // A store that was never indexed has nothing to check (its check answers NO_INDEX): it serves empty.
      if (manifest && checked.status === 'rejected') throw checked.reason;
      if (manifest && checked.status === 'fulfilled' && checked.value) refuseDamaged(store, checked.value);
      if (prepared.status === 'rejected') throw prepared.reason;
    }),
  );
  const metrics = options.metrics ?? createMetrics({ indexSize: () => store.count() });
  const instrumentation = observedInstrumentation(metrics);
  const limits = searchLimits(config);
  const search = new SearchService(
    { embedder, store },
    {
      limits,
      instrumentation,
      cache: config.cacheEntries > 0 ? new QueryCache<SearchResult>({ maxResults: config.cacheEntries, maxEmbeddingBytes: config.cacheEmbeddingBytes }) : null,
      defaultMode: config.searchMode,
      hybrid: config.hybrid,
      facetFields: config.facetFields,
    },
  );
  if (!requireIndex) await closing(embedder, () => closing(store, () => search.prepare()));
  // Once ready (a timer runs after the caller has taken the context), a server that had to read the whole store
  // saves its in-memory copy beside the index, so that the next start reads one file instead.
  if (!requireIndex) setTimeout(() => void store.saveReadCopy?.().catch(() => undefined), 0);
  return {
    config,
    limits,
    embedder,
    store,
    search,
    indexer: new IndexService({ embedder, store, loadImage: imageLoader(config) }, { batchSize: config.batchSize, instrumentation }),
    metrics,
    loadImage: imageLoader(config),
    imageStore: await closing(embedder, () => closing(store, () => openImageStore(config.imageStore ?? path.join(config.dataDir, 'images')))),
    fetchImageUrl: (url) =>
      fetchImageUrl(url, { maxBytes: config.maxUploadBytes, timeoutMs: config.fetchTimeoutSeconds * 1000, allowPrivate: config.allowPrivateImageUrls }),
    indexState: async () => {
      const manifest = await store.readManifest();
      return {
        status: manifest ? 'ready' : 'empty',
        store: storeLabel(config),
        count: manifest ? await store.count() : 0,
        model: manifest?.model ?? null,
        updatedAt: manifest?.updatedAt ?? null,
        search: store.readState?.() ?? null,
      };
    },
    async close() {
      await store.close();
      await embedder.close();
    },
  };
}

/** INDEX_CORRUPT when the store's quick integrity checks found a problem. */
function refuseDamaged(store: VectorStore, report: IntegrityReport): void {
  if (report.ok) return;
  throw new AppError(
    'INDEX_CORRUPT',
    `the index in ${store.location.label} is damaged: ${report.problems.slice(0, 3).join('; ')}${report.problems.length > 3 ? ` (and ${report.problems.length - 3} more)` : ''}. ` +
      `Restore it from a backup or re-index; vitrine verify lists every problem`,
  );
}

/** The store's manifest; NO_INDEX (the store closed) when it was never indexed. */
async function requireManifest(store: VectorStore): Promise<StoreManifest> {
  const manifest = await closing(store, () => store.readManifest());
  if (manifest) return manifest;
  await store.close();
  throw noIndexError(store.location);
}

export interface IndexContext {
  config: Config;
  embedder: Embedder;
  store: VectorStore;
  indexer: IndexService;
  /** The store as shown to users (no password). */
  storeLabel: string;
  /** Saves what the next `serve` reads at start (embedded store); false where there is nothing to save. */
  saveServeCopy(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * `vitrine index`: the model, the store and the index service (which binds the model once per run; nothing checks
 * it before), and the image store photos are uploaded to when asked.
 */
export async function buildIndexContext(
  config: Config,
  options: { uploadImages?: string; metrics?: Metrics; onDownloadProgress?: (event: DownloadProgress) => void } = {},
): Promise<IndexContext> {
  const uploadImages = options.uploadImages ? await openImageStore(options.uploadImages) : undefined;
  const embedder = await loadEmbedder(modelOptions(config, options.onDownloadProgress));
  const store = await closing(embedder, () => openVectorStore(storeOptions(config)));
  const indexer = new IndexService(
    { embedder, store, loadImage: imageLoader(config), uploadImages },
    { batchSize: config.batchSize, instrumentation: observedInstrumentation(options.metrics) },
  );
  return {
    config,
    embedder,
    store,
    indexer,
    storeLabel: storeLabel(config),
    saveServeCopy: () => saveServeCopy(config),
    async close() {
      await store.close();
      await embedder.close();
    },
  };
}

/**
 * The in-memory copy and keyword index a server reads at start (memory-copy.bin), saved by the indexer at the end
 * of its run so that the first `serve` after it reads one file instead of the whole store. Embedded store only
 * (the others keep no copy); the approximate index is not part of the copy, so none is built here.
 */
async function saveServeCopy(config: Config): Promise<boolean> {
  const reads = inMemoryReads(config);
  if (!reads || !storeUrl(storeOptions(config)).startsWith('lance:')) return false;
  const server = await openVectorStore({ ...storeOptions(config), inMemory: { ...reads, annMinProducts: Number.MAX_SAFE_INTEGER } });
  try {
    if (!(await server.prepareReads?.({ keywords: true }))) return false;
    await server.saveReadCopy?.();
    return true;
  } finally {
    await server.close();
  }
}

export interface InfoContext {
  store: VectorStore;
  storeLabel: string;
  /** The index's manifest (an info context exists only for an index that does). */
  manifest: StoreManifest;
  close(): Promise<void>;
}

/** `vitrine info` (and the first step of search): the store alone, opened to read; NO_INDEX when never indexed. */
export async function buildInfoContext(config: Config): Promise<InfoContext> {
  const store = await openVectorStore(storeOptions(config));
  const manifest = await requireManifest(store);
  return { store, storeLabel: storeLabel(config), manifest, close: () => store.close() };
}

/** `vitrine delete`: the store, refusing (MODEL_MISMATCH) an index built with another model than the configured one. */
export async function buildDeleteContext(config: Config): Promise<{ store: VectorStore; close(): Promise<void> }> {
  const embedder = await loadEmbedder(modelOptions(config));
  try {
    const store = await openVectorStore(storeOptions(config));
    await closing(store, () => store.expectModel(embedder.manifest));
    return { store, close: () => store.close() };
  } finally {
    // Only its manifest was needed: the delete itself embeds nothing.
    await embedder.close();
  }
}

/** `vitrine migrate`: the source and target stores named by URL (a bare lance: means the data dir). */
export async function buildMigrateContext(config: Config, urls: { from: string; to: string }): Promise<{ from: VectorStore; to: VectorStore; close(): Promise<void> }> {
  const apiKeys = storeOptions(config).apiKeys;
  const from = await openVectorStore({ url: urls.from, dataDir: config.dataDir, apiKeys });
  const to = await closing(from, () => openVectorStore({ url: urls.to, dataDir: config.dataDir, apiKeys }));
  return {
    from,
    to,
    async close() {
      await from.close();
      await to.close();
    },
  };
}

/**
 * `vitrine eval`: the same model loader, indexer (the index service) and image loader that users run. Saved gallery
 * indexes are embedded LanceDB folders keyed by model and catalog, whatever store serves search.
 */
export function buildEvalRuntime(config: Config): EvalRuntime {
  const readImage = imageLoader(config);
  return {
    loadEmbedder: (model) => loadEmbedder({ ...modelOptions(config), model }),
    openStore: (dir) => openVectorStore({ dataDir: dir }),
    async indexGallery({ products, embedder, store, onProgress }) {
      const report = await runIndex({
        entries: products.map((product) => ({ ok: true as const, product })),
        embedder,
        store,
        loadImage: readImage,
        batchSize: config.batchSize,
        onProgress: (p) => onProgress?.(p.processed, products.length),
      });
      return { indexed: report.ok, skipped: report.skipped, failed: report.failed };
    },
    readImage,
  };
}

/** The stores bench (synthetic vectors, no model): a store for a URL such as lance:<dir> or postgres://...?index=none. */
export function openBenchStore(url: string, options: { inMemory?: { annMinProducts: number } } = {}): Promise<VectorStore> {
  const inMemory = options.inMemory ? inMemoryReads(ConfigSchema.parse({ annMinProducts: options.inMemory.annMinProducts })) : undefined;
  return openVectorStore({ url, dataDir: '.', inMemory });
}
