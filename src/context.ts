// The composition root: the one place where adapters are built from config.
import type { Config } from './config/config.js';
import { loadEmbedder, type DownloadProgress } from './model/load-model.js';
import type { Embedder } from './model/embedder.js';
import { openVectorStore, type OpenStoreOptions } from './stores/vector/open-store.js';
import type { VectorStore } from './stores/vector/vector-store.js';
import { SearchService, type SearchResult } from './services/search.service.js';
import { QueryCache } from './services/query-cache.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { observedInstrumentation } from './observability/instrumentation.js';
import { loadImageBytes } from './stores/images/image-source.js';

export interface AppContext {
  config: Config;
  embedder: Embedder;
  store: VectorStore;
  search: SearchService;
  metrics: Metrics;
  loadImage: (ref: string) => Promise<Buffer>;
  close(): Promise<void>;
}

export interface BuildContextOptions {
  onDownloadProgress?: (event: DownloadProgress) => void;
  /** Refuse to start when the index was built with another model (serve, search); index binds instead. */
  requireMatchingIndex?: boolean;
  /** Metrics registry to report into; a fresh one by default. */
  metrics?: Metrics;
}

/** Where the vector store is, from config: the store URL (default lance:<dataDir>) and hosted stores' keys. */
export function storeOptions(config: Config): OpenStoreOptions {
  return { url: config.store, dataDir: config.dataDir, apiKeys: { qdrant: config.qdrantApiKey, pinecone: config.pineconeApiKey } };
}

export async function buildContext(config: Config, options: BuildContextOptions = {}): Promise<AppContext> {
  const embedder = await loadEmbedder({
    model: config.model,
    cacheDir: config.modelCacheDir,
    threads: config.threads,
    imageLimits: { maxBytes: config.maxUploadBytes, maxPixels: config.maxImagePixels },
    onProgress: options.onDownloadProgress,
  });
  let store: VectorStore;
  try {
    store = await openVectorStore(storeOptions(config));
    if (options.requireMatchingIndex !== false) await store.expectModel(embedder.manifest);
  } catch (e) {
    await embedder.close();
    throw e;
  }
  const metrics = options.metrics ?? createMetrics({ indexSize: () => store.count() });
  const search = new SearchService(
    { embedder, store },
    {
      limits: { maxK: config.maxK, maxQueryChars: config.maxQueryChars, defaultK: 8, maxOffset: 10_000 },
      instrumentation: observedInstrumentation(metrics),
      cache: config.cacheEntries > 0 ? new QueryCache<SearchResult>({ maxResults: config.cacheEntries, maxEmbeddingBytes: config.cacheEmbeddingBytes }) : null,
    },
  );
  return {
    config,
    embedder,
    store,
    search,
    metrics,
    loadImage: (ref) => loadImageBytes(ref, { maxBytes: config.maxUploadBytes, timeoutMs: config.fetchTimeoutSeconds * 1000 }),
    async close() {
      await store.close();
      await embedder.close();
    },
  };
}
