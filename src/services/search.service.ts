// Search orchestration over the Embedder and VectorStore ports: validates a query, embeds text and/or image
// (or looks up a product's vector for "more like this"), fuses them, searches, and counts facets.
import { AppError } from '../errors/app-error.js';
import { weightedMix } from '../domain/vector-math.js';
import type { Facets, Filters, Hit } from '../domain/types.js';
import type { Embedder } from '../model/embedder.js';
import type { VectorStore } from '../stores/vector/vector-store.js';
import { noIndexError } from '../stores/vector/model-guard.js';
import { DEFAULT_SEARCH_LIMITS, type SearchLimits } from '../config/config.js';
import { noInstrumentation, type Instrumentation } from './instrumentation.js';
import { QueryCache, canonicalFilters, normalizeQueryText, sha256 } from './query-cache.js';

export interface SearchQuery {
  text?: string;
  /** Encoded image bytes (JPEG, PNG, WebP...). */
  image?: Uint8Array;
  /** "More like this": search with this indexed product's image vector; the product itself is left out. */
  productId?: string;
  k?: number;
  offset?: number;
  filters?: Filters;
  minScore?: number;
  /** Also return facet counts over the products matching the filters. */
  facets?: boolean;
}

export interface SearchResult {
  hits: Hit[];
  k: number;
  offset: number;
  /** Products in the index that match the filters. */
  total: number;
  /** True when the query text was cut to the model's context length. */
  truncated: boolean;
  facets?: Facets;
  /** True when the answer came from the results cache. */
  cached: boolean;
  tookMs: number;
}

// The limits come from config (searchLimits); re-exported for the callers that imported them from here.
export { DEFAULT_SEARCH_LIMITS, type SearchLimits };

function integerIn(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new AppError('BAD_REQUEST', `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export interface SearchServiceOptions {
  limits?: SearchLimits;
  instrumentation?: Instrumentation;
  /** Query cache; pass null to disable. */
  cache?: QueryCache<SearchResult> | null;
}

export class SearchService {
  private readonly limits: SearchLimits;
  private readonly observe: Instrumentation;
  readonly cache: QueryCache<SearchResult> | null;

  constructor(
    private readonly deps: { embedder: Embedder; store: VectorStore },
    options: SearchServiceOptions = {},
  ) {
    this.limits = options.limits ?? DEFAULT_SEARCH_LIMITS;
    this.observe = options.instrumentation ?? noInstrumentation;
    this.cache = options.cache === undefined ? new QueryCache<SearchResult>() : options.cache;
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const started = performance.now();
    const k = integerIn(query.k, 'k', 1, this.limits.maxK, this.limits.defaultK);
    const offset = integerIn(query.offset, 'offset', 0, this.limits.maxOffset, 0);
    let minScore: number | undefined;
    if (query.minScore !== undefined && query.minScore !== null) {
      minScore = Number(query.minScore);
      if (!Number.isFinite(minScore) || minScore < -1 || minScore > 1) throw new AppError('BAD_REQUEST', 'minScore must be a number from -1 to 1');
    }
    if (query.text !== undefined && typeof query.text !== 'string') throw new AppError('BAD_REQUEST', 'text must be a string');
    const text = normalizeQueryText(query.text ?? '');
    if (text.length > this.limits.maxQueryChars) {
      throw new AppError('BAD_REQUEST', `query text is ${text.length} characters; the limit is ${this.limits.maxQueryChars}`);
    }
    const productId = typeof query.productId === 'string' && query.productId.trim() !== '' ? query.productId.trim() : undefined;
    if (!text && query.image === undefined && !productId) {
      throw new AppError('EMPTY_QUERY', 'give a text, an image or a productId to search with');
    }
    const model = this.deps.embedder.manifest.hash;
    const imageHash = query.image !== undefined ? sha256(query.image) : undefined;

    const version = this.cache && this.deps.store.version ? await this.deps.store.version() : null;
    let resultsKey: string | null = null;
    if (this.cache && version !== null) {
      this.cache.observeIndexVersion(version);
      resultsKey = JSON.stringify([model, version, text, imageHash ?? null, productId ?? null, k, offset, minScore ?? null, canonicalFilters(query.filters), Boolean(query.facets)]);
      const cached = this.cache.results.get(resultsKey);
      this.observe.cache('results', cached !== undefined);
      if (cached) return { ...cached, cached: true, tookMs: elapsed(started) };
    }

    const parts: { vector: Float32Array; weight: number }[] = [];
    let truncated = false;
    if (text) {
      const key = `${model}|t|${text}`;
      let vector = this.cache?.embeddings.get(key);
      this.observe.cache('embedding', vector !== undefined);
      if (!vector) {
        const encoded = await this.observe.stage('text_encode', { 'vitrine.text_length': text.length }, () => this.deps.embedder.encodeTexts([text]));
        truncated = encoded.truncated.length > 0;
        vector = encoded.vectors[0];
        // A truncated text's vector is not cached, so that every answer can say it was truncated.
        if (!truncated) this.cache?.embeddings.set(key, vector);
      }
      parts.push({ vector, weight: 1 });
    }
    if (query.image !== undefined) {
      const image = query.image;
      const key = `${model}|i|${imageHash}`;
      let vector = this.cache?.embeddings.get(key);
      this.observe.cache('embedding', vector !== undefined);
      if (!vector) {
        const pixels = await this.observe.stage('image_decode', { 'vitrine.image_bytes': image.length }, () => this.deps.embedder.preprocessImage(image));
        [vector] = await this.observe.stage('image_encode', {}, () => this.deps.embedder.encodePixels([pixels]));
        this.cache?.embeddings.set(key, vector);
      }
      parts.push({ vector, weight: 1 });
    }
    if (productId) {
      const product = await this.observe.stage('metadata_lookup', { 'vitrine.product_id': productId }, () => this.deps.store.get(productId, { withVector: true }));
      if (!product?.vector) {
        if (!(await this.deps.store.readManifest())) throw noIndexError(this.deps.store.location);
        throw new AppError('NOT_FOUND', `product ${productId} is not in the index`);
      }
      parts.push({ vector: product.vector, weight: 1 });
    }
    const vector = parts.length === 1 ? parts[0].vector : weightedMix(parts);
    const filterAttr = JSON.stringify(canonicalFilters(query.filters));
    const [stored, total, facets] = await Promise.all([
      this.observe.stage('vector_search', { 'vitrine.k': k, 'vitrine.offset': offset, 'vitrine.filters': filterAttr }, () =>
        this.deps.store.search({ vector, k, offset, filters: query.filters, minScore, excludeIds: productId ? [productId] : undefined }),
      ),
      this.observe.stage('metadata_lookup', { 'vitrine.lookup': 'count', 'vitrine.filters': filterAttr }, () => this.deps.store.count(query.filters)),
      query.facets ? this.observe.stage('metadata_lookup', { 'vitrine.lookup': 'facets' }, () => this.facets(query.filters)) : Promise.resolve(undefined),
    ]);
    const result: SearchResult = {
      hits: stored.map((h) => ({ id: h.id, score: h.score, title: h.title, imageRef: h.imageRef, attributes: h.attributes })),
      k,
      offset,
      total,
      truncated,
      ...(facets ? { facets } : {}),
      cached: false,
      tookMs: 0,
    };
    if (resultsKey && !truncated) this.cache?.results.set(resultsKey, result);
    return { ...result, tookMs: elapsed(started) };
  }

  /** Facet counts for every attribute field of the index; NO_INDEX while the store was never indexed. */
  async facets(filters?: Filters): Promise<Facets> {
    const manifest = await this.deps.store.readManifest();
    if (!manifest) throw noIndexError(this.deps.store.location);
    return this.deps.store.facets(manifest.attributeFields, filters);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
