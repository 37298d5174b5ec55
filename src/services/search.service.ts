// Search orchestration over the Embedder and VectorStore ports: validates a query, embeds text and/or image
// (or looks up a product's vector for "more like this"), searches by meaning (vector), by words (keyword) or both
// (hybrid: the two rankings fused, domain/fusion.ts), and counts what matched: `total` and the facets follow the
// query's own result set, not the catalog.
//
// Scores (docs/DECISIONS.md): a hit's `score` is the ranking score of the mode (cosine, BM25 or the fused rank
// score); its `similarity` is the model's calibrated cosine in every mode, and `minScore` cuts on `similarity`.
import { AppError } from '../errors/app-error.js';
import { calibratedSimilarity, type QueryKind, type ScoreCalibration } from '../domain/calibration.js';
import { orderFacetFields, defaultFacetFields } from '../domain/facets.js';
import { countFacets, matchesFilters, type NormalizedFilters, type UnmatchedFilterValue } from '../domain/filters.js';
import { fuseRankings, type FusionParams } from '../domain/fusion.js';
import { byScoreThenId } from '../domain/ranking.js';
import { weightedMix } from '../domain/vector-math.js';
import type { Attributes, Facets, Filters, Hit } from '../domain/types.js';
import type { Embedder } from '../model/embedder.js';
import type { StoredHit, VectorStore } from '../stores/vector/vector-store.js';
import { noIndexError } from '../stores/vector/model-guard.js';
import { DEFAULT_HYBRID_SETTINGS, DEFAULT_SEARCH_LIMITS, DEFAULT_SEARCH_MODE, type SearchLimits } from '../config/config.js';
import { noInstrumentation, type Instrumentation } from './instrumentation.js';
import { QueryCache, canonicalFilters, normalizeQueryText, sha256 } from './query-cache.js';

/** How a text is searched: by the model's embedding, by the words of titles and attributes, or both fused. */
export type SearchMode = 'vector' | 'keyword' | 'hybrid';
export const SEARCH_MODES: readonly SearchMode[] = ['vector', 'keyword', 'hybrid'];

export interface SearchQuery {
  text?: string;
  /** Default: the service's (config `searchMode`). A search without text (a photo, more like this) is by vector. */
  mode?: SearchMode;
  /** Encoded image bytes (JPEG, PNG, WebP...). */
  image?: Uint8Array;
  /** "More like this": search with this indexed product's image vector; the product itself is left out. */
  productId?: string;
  k?: number;
  offset?: number;
  filters?: Filters;
  /** Leaves out hits whose similarity is below it. */
  minScore?: number;
  /** Also return facet counts over the products matching the query and the filters. */
  facets?: boolean;
}

export interface SearchResult {
  /** The mode that ranked the hits. */
  mode: SearchMode;
  hits: Hit[];
  k: number;
  offset: number;
  /**
   * Products matching the query and the filters: every filtered product for a vector search (all are ranked)
   * unless minScore cuts, the keyword matches for a keyword search, keyword matches plus the vector candidates
   * for a hybrid one; always the length of the list the pages come from.
   */
  total: number;
  /** Filter values that no product holds, with the closest values the index does hold. */
  unmatchedFilters: UnmatchedFilterValue[];
  /** True when the query text was cut to the model's context length. */
  truncated: boolean;
  facets?: Facets;
  /** Facet fields in the order to show them: the most selective first (or as config `facetFields` lists them). */
  facetOrder?: string[];
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
  /** Mode of a text search that names none (default: config's DEFAULT_SEARCH_MODE, hybrid). */
  defaultMode?: SearchMode;
  /** How hybrid search fuses the two rankings, and how many vector results it takes (config `hybrid`). */
  hybrid?: HybridSettings;
  /** Facet fields, in order; default: the index's fields but the split, years and ids, the most selective first. */
  facetFields?: readonly string[];
}

export interface HybridSettings extends FusionParams {
  /**
   * Products the vector side adds to a hybrid result set: its best ones, before filters (so a filter narrows the
   * set, never refills it from further down, and facet counts and `total` describe the same set).
   */
  vectorCandidates: number;
  /**
   * How deep the keyword ranking is fused: its best this many (after filters) take part in rank fusion. Deeper
   * keyword matches follow with their own keyword share (a vector candidate found that deep gets none), so every
   * match stays in the list and in `total`, but a common word's thousands of matches are never all ranked.
   */
  keywordCandidates: number;
}

export const DEFAULT_HYBRID: Readonly<HybridSettings> = DEFAULT_HYBRID_SETTINGS;

/** A product of a query's result set, before paging: its ranking score, cosine and record when known. */
interface Candidate {
  id: string;
  score: number;
  cosine?: number;
  record?: Omit<StoredHit, 'score'>;
}

/** The result set of a query, in the order of the mode: ranked as deep as the page asked, counted in full. */
interface ResultSet {
  /** After filters, best first: at least the first `depth` of the ranking (or all of it). */
  ranked: Candidate[];
  /** How many products the set holds after filters. */
  total: number;
  /** Its ids before filters (facets ignore each field's own filter, so they count over these). */
  idsBeforeFilters(): string[];
}

export class SearchService {
  private readonly limits: SearchLimits;
  private readonly observe: Instrumentation;
  readonly cache: QueryCache<SearchResult> | null;
  private readonly defaultMode: SearchMode;
  private readonly hybrid: HybridSettings;
  private readonly facetFields?: readonly string[];
  /** Facet fields and their order over the whole index, per index version. */
  private fieldOrder: { version: string; fields: Promise<string[]> } | null = null;

  constructor(
    private readonly deps: { embedder: Embedder; store: VectorStore },
    options: SearchServiceOptions = {},
  ) {
    this.limits = options.limits ?? DEFAULT_SEARCH_LIMITS;
    this.observe = options.instrumentation ?? noInstrumentation;
    this.cache = options.cache === undefined ? new QueryCache<SearchResult>() : options.cache;
    this.defaultMode = options.defaultMode ?? DEFAULT_SEARCH_MODE;
    this.hybrid = options.hybrid ?? DEFAULT_HYBRID;
    this.facetFields = options.facetFields && options.facetFields.length > 0 ? options.facetFields : undefined;
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
    if (query.mode !== undefined && !SEARCH_MODES.includes(query.mode)) {
      throw new AppError('BAD_REQUEST', `mode must be one of ${SEARCH_MODES.join(', ')}, got ${JSON.stringify(query.mode)}`);
    }
    if (query.mode === 'keyword' && !text) throw new AppError('BAD_REQUEST', 'mode keyword searches words: give a text');
    // Words are what a keyword index matches: a photo alone is searched by vector whatever the default.
    const mode: SearchMode = text ? (query.mode ?? this.defaultMode) : 'vector';
    const model = this.deps.embedder.manifest.hash;
    const imageHash = query.image !== undefined ? sha256(query.image) : undefined;

    const version = this.cache && this.deps.store.version ? await this.deps.store.version() : null;
    let resultsKey: string | null = null;
    if (this.cache && version !== null) {
      this.cache.observeIndexVersion(version);
      resultsKey = JSON.stringify([model, version, mode, text, imageHash ?? null, productId ?? null, k, offset, minScore ?? null, canonicalFilters(query.filters), Boolean(query.facets)]);
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
    let likeAttributes: Attributes | undefined;
    if (productId) {
      const product = await this.observe.stage('metadata_lookup', { 'vitrine.product_id': productId }, () => this.deps.store.get(productId, { withVector: true }));
      if (!product?.vector) {
        if (!(await this.deps.store.readManifest())) throw noIndexError(this.deps.store.location);
        throw new AppError('NOT_FOUND', `product ${productId} is not in the index`);
      }
      likeAttributes = product.attributes;
      parts.push({ vector: product.vector, weight: 1 });
    }
    const vector = parts.length === 1 ? parts[0].vector : weightedMix(parts);
    const calibration = this.calibration(text && query.image === undefined && !productId ? 'text' : 'image');
    const similarity = (cosine: number) => calibratedSimilarity(cosine, calibration);
    const keep = minScore === undefined ? ALWAYS : (cosine: number) => similarity(cosine) >= minScore;
    const filterAttr = JSON.stringify(canonicalFilters(query.filters));
    const resolved = await this.observe.stage('metadata_lookup', { 'vitrine.lookup': 'filters', 'vitrine.filters': filterAttr }, () => this.deps.store.resolveFilters(query.filters));
    const filters = Object.fromEntries(resolved.filters) as Filters;
    const excludeIds = productId ? [productId] : undefined;

    let page: Candidate[];
    let total: number;
    let facets: Facets | undefined;
    const facetFields = query.facets ? await this.orderedFacetFields() : undefined;
    if (mode === 'vector' && minScore === undefined) {
      // Every product is ranked: the result set is the filtered catalog, counted by the store.
      const [stored, count, counts] = await Promise.all([
        this.observe.stage('vector_search', { 'vitrine.k': k, 'vitrine.offset': offset, 'vitrine.filters': filterAttr }, () =>
          this.deps.store.search({ vector, k, offset, filters, excludeIds }),
        ),
        this.observe.stage('metadata_lookup', { 'vitrine.lookup': 'count', 'vitrine.filters': filterAttr }, () => this.deps.store.count(filters)),
        facetFields ? this.observe.stage('metadata_lookup', { 'vitrine.lookup': 'facets' }, () => this.deps.store.facets(facetFields, filters)) : undefined,
      ]);
      page = stored.map((h) => ({ id: h.id, score: h.score, cosine: h.score, record: h }));
      // "More like this" leaves its product out of the ranking; it leaves the counts too.
      const selfCounted = likeAttributes !== undefined && matchesFilters(likeAttributes, resolved.filters);
      total = count - (selfCounted ? 1 : 0);
      facets = counts && likeAttributes ? withoutProduct(counts, likeAttributes, resolved.filters) : counts;
    } else {
      const set = await this.resultSet({ mode, text, vector, filters: resolved.filters, storeFilters: filters, excludeIds, keep, depth: offset + k });
      total = set.total;
      page = set.ranked.slice(offset, offset + k);
      if (facetFields) {
        const within = set.idsBeforeFilters();
        // Counted by the store (its in-memory columns where it keeps them) over the query's own result set.
        facets = await this.observe.stage('metadata_lookup', { 'vitrine.lookup': 'facets', 'vitrine.candidates': within.length }, () =>
          this.deps.store.facets(facetFields, filters, { within }),
        );
      }
      const unknown = page.filter((c) => c.cosine === undefined).map((c) => c.id);
      if (unknown.length > 0) {
        const cosines = await this.observe.stage('vector_search', { 'vitrine.lookup': 'similarity', 'vitrine.k': unknown.length }, () => this.deps.store.similarities(vector, unknown));
        page = page.map((c) => (c.cosine === undefined ? { ...c, cosine: cosines.get(c.id) ?? -1 } : c));
      }
      const unread = page.filter((c) => !c.record).map((c) => c.id);
      if (unread.length > 0) {
        const records = await this.observe.stage('metadata_lookup', { 'vitrine.lookup': 'records', 'vitrine.k': unread.length }, () => this.deps.store.recordsOf(unread));
        page = page.map((c) => (c.record ? c : { ...c, record: records.get(c.id) })).filter((c) => c.record);
      }
    }
    const result: SearchResult = {
      mode,
      hits: page.map((h) => ({
        id: h.id,
        score: h.score,
        similarity: similarity(h.cosine ?? h.score),
        title: h.record!.title,
        imageRef: h.record!.imageRef,
        attributes: h.record!.attributes,
      })),
      k,
      offset,
      total,
      unmatchedFilters: resolved.unmatched,
      truncated,
      ...(facets && facetFields ? { facets: pick(facets, facetFields), facetOrder: facetFields } : {}),
      cached: false,
      tookMs: 0,
    };
    if (resultsKey && !truncated) this.cache?.results.set(resultsKey, result);
    return { ...result, tookMs: elapsed(started) };
  }

  /**
   * The result set of a keyword or hybrid search (minScore applied to every member), or of a vector search cut by
   * minScore: keyword matches (BM25 order), the vector side's candidates (cosine order), or both fused by rank.
   */
  private async resultSet(options: ResultSetOptions): Promise<ResultSet> {
    if (options.mode === 'vector') return this.vectorCutSet(options);
    const { mode, text, vector, filters, storeFilters, excludeIds, keep, depth } = options;
    const window = this.hybrid.keywordCandidates;
    const [fromVector, keyword] = await Promise.all([
      mode === 'hybrid' ? this.vectorCandidates(vector, mode, excludeIds, keep) : Promise.resolve([]),
      // Ranked: the page's depth, and for hybrid the fused window plus enough deeper matches to fill that depth.
      // minScore is applied by the store to every match (their cosines are needed to count them).
      this.observe.stage('keyword_search', { 'vitrine.mode': mode }, () =>
        this.deps.store.keywordSearch({
          text,
          excludeIds,
          filters: storeFilters,
          limit: mode === 'keyword' ? depth : window + depth + this.hybrid.vectorCandidates,
          ...(keep === ALWAYS ? {} : { similarTo: { vector, keep } }),
        }),
      ),
    ]);
    if (mode === 'keyword') return { ranked: keyword.ranked, total: keyword.matched, idsBeforeFilters: () => keyword.ids() };
    const accepted = fromVector.filter((c) => passes(c, filters));
    const vectorOnly = fromVector.filter((c) => !keyword.has(c.id));
    const fused = fuseRankings({ vector: accepted, keyword: keyword.ranked.slice(0, window) }, this.hybrid);
    const inFused = new Set(fused.map((c) => c.id));
    // Deeper keyword matches keep their reciprocal-rank share, so the list goes on through every match in one order
    // whatever the page (pages never overlap), and a vector candidate outranks the far tail of a common word.
    const { rankConstant, keywordWeight } = this.hybrid;
    const deeper = keyword.ranked
      .slice(window)
      .flatMap((c, i) => (inFused.has(c.id) ? [] : [{ id: c.id, score: keywordWeight / (rankConstant + window + i + 1) }]));
    const known = new Map(accepted.map((c) => [c.id, c]));
    const ranked = [...fused, ...deeper].sort(byScoreThenId).map(({ id, score }) => ({ ...known.get(id), id, score }));
    return {
      ranked,
      total: keyword.matched + vectorOnly.filter((c) => passes(c, filters)).length,
      idsBeforeFilters: () => [...keyword.ids(), ...vectorOnly.map((c) => c.id)],
    };
  }

  /** The vector side's best candidates (records and cosines known), cut by minScore; unfiltered. */
  private async vectorCandidates(vector: Float32Array, mode: SearchMode, excludeIds: string[] | undefined, keep: (cosine: number) => boolean = ALWAYS): Promise<Candidate[]> {
    // A vector search cut by minScore may reach every pageable result; hybrid adds its best candidates.
    const depth = mode === 'vector' ? this.limits.maxOffset + this.limits.maxK : this.hybrid.vectorCandidates;
    const stored = await this.observe.stage('vector_search', { 'vitrine.k': depth, 'vitrine.mode': mode }, () => this.deps.store.search({ vector, k: depth, excludeIds }));
    return stored.map((h) => ({ id: h.id, score: h.score, cosine: h.score, record: h })).filter((c) => keep(c.cosine));
  }

  /**
   * The result set of a vector search cut by minScore: the vector ranking as deep as a page can reach, cut, so that
   * `total` and the facets count only what a page could show.
   */
  private async vectorCutSet(options: ResultSetOptions): Promise<ResultSet> {
    const { mode, vector, filters, excludeIds, keep } = options;
    const fromVector = await this.vectorCandidates(vector, mode, excludeIds, keep);
    const ranked = fromVector.filter((c) => passes(c, filters));
    return { ranked, total: ranked.length, idsBeforeFilters: () => fromVector.map((c) => c.id) };
  }

  /** The model's score calibration for a kind of query (house model v2 ships one; without it, the cosine). */
  private calibration(kind: QueryKind): ScoreCalibration | undefined {
    return this.deps.embedder.manifest.calibration?.[kind];
  }

  /** Works out what the first query would otherwise pay for (facet order, first runs of each step); a server calls it before ready. */
  async prepare(): Promise<void> {
    if (!(await this.deps.store.readManifest())) return;
    const fields = await this.orderedFacetFields();
    // One text through the model, the keyword index, the vector search and the facet counts of its matches, so
    // that the first shopper's query does not pay for ONNX Runtime's first run and the first calls of each step.
    // Nothing of it is cached or counted: it goes to the store and the model, not through search(). A failure here
    // is left to the first real query to report.
    try {
      const values = fields.length > 0 ? (await this.deps.store.facets([fields[0]]))[fields[0]] : undefined;
      const word = values?.[0]?.value ?? 'shirt';
      const { vectors } = await this.deps.embedder.encodeTexts([word]);
      const matches = await this.deps.store.keywordSearch({ text: word, limit: this.hybrid.keywordCandidates });
      await this.deps.store.search({ vector: vectors[0], k: this.hybrid.vectorCandidates });
      await this.deps.store.facets(fields, {}, { within: matches.ids() });
    } catch {
      // warm-up only
    }
  }

  /** The facet fields to count and their order: config's list, or the default fields by selectivity over the index. */
  private async orderedFacetFields(): Promise<string[]> {
    const manifest = await this.deps.store.readManifest();
    if (!manifest) throw noIndexError(this.deps.store.location);
    if (this.facetFields) return this.facetFields.filter((f) => manifest.attributeFields.includes(f));
    const version = (await this.deps.store.version?.()) ?? `${manifest.updatedAt}:${await this.deps.store.count()}`;
    if (this.fieldOrder?.version !== version) {
      const fields = this.deps.store.facets(manifest.attributeFields).then(async (all) => {
        const products = await this.deps.store.count();
        const chosen = defaultFacetFields({
          fields: manifest.attributeFields,
          distinctValues: Object.fromEntries(Object.entries(all).map(([field, values]) => [field, values.length])),
          products,
        });
        return orderFacetFields(pick(all, chosen));
      });
      fields.catch(() => {
        if (this.fieldOrder?.fields === fields) this.fieldOrder = null;
      });
      this.fieldOrder = { version, fields };
    }
    return this.fieldOrder.fields;
  }

  /**
   * Facet counts of the facet fields over the products matching the filters (no query), the fields in the order
   * to show them, the products' total and the filter values that match nothing; NO_INDEX while never indexed.
   */
  async facets(filters?: Filters): Promise<{ facets: Facets; facetOrder: string[]; total: number; unmatchedFilters: UnmatchedFilterValue[] }> {
    const fields = await this.orderedFacetFields();
    const resolved = await this.deps.store.resolveFilters(filters);
    const canonical = Object.fromEntries(resolved.filters) as Filters;
    const [facets, total] = await Promise.all([this.deps.store.facets(fields, canonical), this.deps.store.count(canonical)]);
    return { facets: pick(facets, fields), facetOrder: fields, total, unmatchedFilters: resolved.unmatched };
  }
}

/** minScore absent: every candidate stays (the result set is not cut). */
const ALWAYS = (): boolean => true;

interface ResultSetOptions {
  mode: SearchMode;
  text: string;
  vector: Float32Array;
  /** The filters in the index's spelling, for the candidates whose records are at hand. */
  filters: NormalizedFilters;
  /** The same filters, for the store. */
  storeFilters: Filters;
  excludeIds?: string[];
  keep: (cosine: number) => boolean;
  /** offset + k: how deep the page reaches into the ranking. */
  depth: number;
}

/** Whether a candidate passes the filters (a candidate without its record passes none). */
function passes(c: Candidate, filters: NormalizedFilters): boolean {
  return filters.size === 0 || (c.record !== undefined && matchesFilters(c.record.attributes, filters));
}

/** The facets of `fields` only, in that order. */
function pick(facets: Facets, fields: readonly string[]): Facets {
  return Object.fromEntries(fields.map((f) => [f, facets[f] ?? []]));
}

/** Counts with one product taken out (the product behind "more like this", which its own results leave out). */
function withoutProduct(facets: Facets, attributes: Attributes, filters: NormalizedFilters): Facets {
  const own = countFacets([attributes], Object.keys(facets), filters);
  return Object.fromEntries(
    Object.entries(facets).map(([field, values]) => {
      const minus = new Map(own[field]?.map((v) => [v.value, v.count]) ?? []);
      return [field, values.map((v) => ({ value: v.value, count: v.count - (minus.get(v.value) ?? 0) })).filter((v) => v.count > 0)];
    }),
  );
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
