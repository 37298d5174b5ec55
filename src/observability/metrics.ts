// Prometheus metrics (prom-client) on their own registry: request counts and latency per route, latency per
// query stage, cache hits and misses, index size, indexer outcomes, and the default process metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type QueryStage = 'image_decode' | 'text_encode' | 'image_encode' | 'vector_search' | 'keyword_search' | 'metadata_lookup' | 'render';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route' | 'method'>;
  stages: Record<QueryStage, Histogram>;
  cacheHits: Counter<'cache'>;
  cacheMisses: Counter<'cache'>;
  indexerItems: Counter<'outcome'>;
  indexSize: Gauge;
}

export function createMetrics(options: { indexSize?: () => Promise<number>; processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const stage = (name: QueryStage, help: string) =>
    new Histogram({ name: `vitrine_${name}_seconds`, help, buckets: LATENCY_BUCKETS, registers: [registry] });
  const indexSize = options.indexSize;
  return {
    registry,
    httpRequests: new Counter({ name: 'vitrine_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] }),
    httpDuration: new Histogram({ name: 'vitrine_http_request_duration_seconds', help: 'HTTP request latency by route', labelNames: ['route', 'method'], buckets: LATENCY_BUCKETS, registers: [registry] }),
    stages: {
      image_decode: stage('image_decode', 'Decoding and preprocessing a query photo'),
      text_encode: stage('text_encode', 'Text tower inference for a query'),
      image_encode: stage('image_encode', 'Image tower inference for a query'),
      vector_search: stage('vector_search', 'Nearest-neighbour search in the vector store'),
      keyword_search: stage('keyword_search', 'Keyword (full-text) search of titles and attribute values'),
      metadata_lookup: stage('metadata_lookup', 'Counts, facets and product lookups in the store'),
      render: stage('render', 'Rendering an HTML result page'),
    },
    cacheHits: new Counter({ name: 'vitrine_cache_hits_total', help: 'Query cache hits by cache (embedding, results)', labelNames: ['cache'], registers: [registry] }),
    cacheMisses: new Counter({ name: 'vitrine_cache_misses_total', help: 'Query cache misses by cache (embedding, results)', labelNames: ['cache'], registers: [registry] }),
    indexerItems: new Counter({ name: 'vitrine_indexer_items_total', help: 'Indexed items by outcome (ok, skipped, failed)', labelNames: ['outcome'], registers: [registry] }),
    indexSize: new Gauge({
      name: 'vitrine_index_size',
      help: 'Products in the index',
      registers: [registry],
      async collect() {
        if (indexSize) this.set(await indexSize().catch(() => 0));
      },
    }),
  };
}
