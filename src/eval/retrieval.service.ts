// Runs the retrieval eval tasks (text-to-image, attribute, image-to-image) for one or more models over the same
// model runtime, indexer and vector store that `vitrine index` and `vitrine search` use, and collects the figures.
import type { Product } from '../domain/types.js';
import { weightedMix } from '../domain/vector-math.js';
import { AppError } from '../errors/app-error.js';
import type { Embedder } from '../model/embedder.js';
import type { VectorStore } from '../stores/vector/vector-store.js';
import { DEFAULT_HYBRID, SearchService, type HybridSettings, type SearchMode } from '../services/search.service.js';
import type { EvalRuntime } from './eval-runtime.js';
import { exactSearch, similarityMatrix, type ExactIndex } from './exact-search.js';
import { catalogHash, ensureGalleryIndex } from './gallery-index.js';
import { DEFAULT_KS, evaluateRuns, rankDocuments, type QueryRun, type ScoredDoc } from './metrics.js';
import { silentProgress, type ProgressReporter } from './progress.js';
import {
  imageQueriesFromField,
  evalCutoffs,
  evalGallery,
  inSplit,
  parseDocSpec,
  parseQrels,
  textQueriesFromField,
  type EvalQuery,
} from './queries.js';
import { brandQueries, typoQueries, type TypoQueryOptions } from './query-sets.js';
import type { RetrievalResults, RetrievalRun, SimilaritySample } from './results.js';

export type RetrievalTask = RetrievalResults['task'];

/** Where the queries of a run come from. */
export type QuerySource =
  | { kind: 'qrels'; document: unknown; file: string }
  | { kind: 'field-text'; field: string; split?: string; prompt?: string; typo?: TypoQueryOptions }
  | { kind: 'field-image'; field: string; split?: string }
  | { kind: 'brand'; brands: string[]; field?: string; split?: string; typo?: TypoQueryOptions };

export interface RetrievalEvalOptions {
  task: RetrievalTask;
  /** Model folders or Hugging Face ids; each gets its own column. */
  models: string[];
  /** Every product of the catalog (split membership is the `split` attribute). */
  products: Product[];
  catalog: { source: string; images?: string };
  queries: QuerySource;
  /** Gallery = products of this split; the whole catalog when undefined. */
  gallerySplit?: string;
  /** Documents: `image` (the store's vectors) or a mix such as `image:0.9,text:0.1`. */
  doc?: string;
  /**
   * How text queries are searched, one run (table column) per mode: `vector` (the model alone, the default),
   * `keyword` or `hybrid`, through the search service users run. Image queries are always by vector.
   */
  modes?: SearchMode[];
  /** Hybrid fusion settings (config `hybrid`). */
  hybrid?: HybridSettings;
  ks?: number[];
  /** Results retrieved per query (mAP is over this list); defaults to max(100, largest k). */
  depth?: number;
  cacheDir: string;
  /** Re-check every gallery photo against the saved index (see ensureGalleryIndex). */
  refreshIndex?: boolean;
  /** Products in the text-vs-image heat map (0 for none). */
  heatmapSize?: number;
  /** Texts per encoder call. */
  batchSize?: number;
  /** Options as given, recorded in results.json. */
  recordedOptions?: Record<string, unknown>;
  runtime: EvalRuntime;
  progress?: ProgressReporter;
  now?: () => number;
}

function buildQueries(source: QuerySource, products: Product[], gallery: Product[], progress: ProgressReporter): EvalQuery[] {
  const galleryIds = new Set(gallery.map((p) => p.id));
  switch (source.kind) {
    case 'qrels': {
      const { queries, unknownIds } = parseQrels(source.document, galleryIds);
      if (unknownIds > 0) progress.log(`qrels: ${unknownIds} relevant ids are not in the gallery; they count as never retrieved`);
      return queries;
    }
    case 'field-text': {
      const queries = textQueriesFromField({ queryProducts: inSplit(products, source.split), gallery, field: source.field, prompt: source.prompt });
      return source.typo ? typoQueries(queries, source.typo) : queries;
    }
    case 'brand': {
      const queries = brandQueries({ queryProducts: inSplit(products, source.split), gallery, brands: source.brands, field: source.field });
      return source.typo ? typoQueries(queries, source.typo) : queries;
    }
    case 'field-image':
      return imageQueriesFromField({ queryProducts: inSplit(products, source.split), gallery, field: source.field });
  }
}

/** Searches in flight at once: the store searches natively and overlaps them on several cores. */
const SEARCH_CONCURRENCY = 4;

/** Maps with at most `limit` calls pending at a time; results keep the input order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Evenly spaced sample of gallery products with distinct titles, sorted by id: stable across runs. */
export function heatmapSample(gallery: readonly Product[], size: number): Product[] {
  if (size <= 0) return [];
  const seen = new Set<string>();
  const distinct = [...gallery]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .filter((p) => (seen.has(p.title) ? false : (seen.add(p.title), true)));
  if (distinct.length <= size) return distinct;
  const step = distinct.length / size;
  return Array.from({ length: size }, (_, i) => distinct[Math.floor(i * step)]);
}

async function encodeTextsInBatches(embedder: Embedder, texts: string[], batchSize: number, onBatch?: (done: number) => void) {
  const vectors: Float32Array[] = [];
  let truncated = 0;
  for (let i = 0; i < texts.length; i += batchSize) {
    const encoding = await embedder.encodeTexts(texts.slice(i, i + batchSize));
    vectors.push(...encoding.vectors);
    truncated += encoding.truncated.length;
    onBatch?.(Math.min(texts.length, i + batchSize));
  }
  return { vectors, truncated };
}

/** Every stored vector of the gallery, mixed with title embeddings when the doc spec asks for text. */
async function mixedDocuments(store: VectorStore, embedder: Embedder, weights: { image: number; text: number }, batchSize: number, progress: ProgressReporter): Promise<ExactIndex> {
  const items: { id: string; title: string; vector: Float32Array }[] = [];
  for await (const batch of store.scan({ batchSize: 1000, withVector: true })) {
    for (const item of batch) if (item.vector) items.push({ id: item.id, title: item.title, vector: item.vector });
  }
  const task = progress.start('encoding gallery titles', items.length);
  const titles = await encodeTextsInBatches(embedder, items.map((i) => i.title), batchSize, (done) => task.update(done));
  task.stop();
  return {
    ids: items.map((i) => i.id),
    vectors: items.map((item, i) =>
      weightedMix([
        { vector: item.vector, weight: weights.image },
        { vector: titles.vectors[i], weight: weights.text },
      ]),
    ),
  };
}

async function similaritySample(store: VectorStore, embedder: Embedder, sample: Product[]): Promise<SimilaritySample | undefined> {
  const stored: { product: Product; vector: Float32Array }[] = [];
  for (const product of sample) {
    const item = await store.get(product.id, { withVector: true });
    if (item?.vector) stored.push({ product, vector: item.vector });
  }
  if (stored.length === 0) return undefined;
  const titles = stored.map((s) => s.product.title);
  const { vectors } = await embedder.encodeTexts(titles);
  return {
    productIds: stored.map((s) => s.product.id),
    titles,
    similarity: similarityMatrix(
      vectors,
      stored.map((s) => s.vector),
    ).map((row) => row.map((v) => Math.round(v * 1e6) / 1e6)),
  };
}

/** Stored vectors of the given ids, read in one pass over the store (one lookup per query is a scan each). */
async function storedVectors(store: VectorStore, ids: ReadonlySet<string>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  if (ids.size === 0) return out;
  for await (const batch of store.scan({ batchSize: 2000, withVector: true })) {
    for (const item of batch) if (item.vector && ids.has(item.id)) out.set(item.id, item.vector);
  }
  return out;
}

/**
 * The query product's image vector: the stored one when the product is in the gallery (no second embedding),
 * otherwise its photo embedded now. Undefined when the photo cannot be read or decoded.
 */
async function imageQueryVector(stored: Map<string, Float32Array>, embedder: Embedder, runtime: EvalRuntime, product: Product | undefined): Promise<Float32Array | undefined> {
  if (!product) return undefined;
  const vector = stored.get(product.id);
  if (vector) return vector;
  try {
    const [embedded] = await embedder.encodeImages([await runtime.readImage(product.imageRef)]);
    return embedded;
  } catch {
    return undefined;
  }
}

function docLabel(weights: { image: number; text: number }): string {
  if (weights.text === 0) return 'image';
  if (weights.image === 0) return 'text';
  return `image:${weights.image.toFixed(2)},text:${weights.text.toFixed(2)}`;
}

async function runOneModel(model: string, options: RetrievalEvalOptions, context: { gallery: Product[]; galleryHash: string; queries: EvalQuery[]; ks: number[]; depth: number }): Promise<RetrievalRun[]> {
  const { runtime } = options;
  const progress = options.progress ?? silentProgress;
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 32;
  const weights = parseDocSpec(options.doc ?? 'image');
  const timingsMs: Record<string, number> = {};
  const started = now();
  progress.log(`model ${model}: loading`);
  const embedder = await runtime.loadEmbedder(model);
  timingsMs.loadModel = now() - started;
  try {
    const indexStarted = now();
    const { store, info } = await ensureGalleryIndex({ runtime, embedder, gallery: context.gallery, galleryHash: context.galleryHash, cacheDir: options.cacheDir, progress, refresh: options.refreshIndex });
    timingsMs.index = now() - indexStarted;
    try {
      let exact: ExactIndex | undefined;
      if (weights.text > 0) {
        const docsStarted = now();
        exact = await mixedDocuments(store, embedder, weights, batchSize, progress);
        timingsMs.documents = now() - docsStarted;
      }
      const search = async (vector: Float32Array, exclude?: string): Promise<ScoredDoc[]> => {
        if (exact) return exactSearch(exact, vector, context.depth, exclude ? new Set([exclude]) : undefined);
        const hits = await store.search({ vector, k: context.depth, excludeIds: exclude ? [exclude] : undefined });
        return rankDocuments(hits.map((h) => ({ id: h.id, score: h.score })));
      };
      const hasText = context.queries.some((q) => q.text !== undefined);
      const modes: (SearchMode | undefined)[] = hasText ? (options.modes && options.modes.length > 0 ? options.modes : ['vector']) : [undefined];
      if (exact && modes.some((m) => m !== 'vector' && m !== undefined)) {
        throw new AppError('BAD_REQUEST', '--mode keyword and hybrid search the index: use them with --doc image');
      }
      const heatmap = await similaritySample(store, embedder, heatmapSample(context.gallery, options.heatmapSize ?? 12));
      const out: RetrievalRun[] = [];
      for (const mode of modes) {
        const queriesStarted = now();
        // Keyword and hybrid go through the search service users run (its keyword index, fusion and ranking).
        const service =
          mode === 'keyword' || mode === 'hybrid'
            ? new SearchService({ embedder, store }, { cache: null, hybrid: options.hybrid ?? DEFAULT_HYBRID, limits: { defaultK: context.depth, maxK: context.depth, maxOffset: 0, maxQueryChars: 100_000 } })
            : null;
        const runs: QueryRun[] = [];
        let truncatedTexts = 0;
        let failed = 0;
        const answerable = context.queries.filter((q) => q.relevant.size > 0);
        const skipped = context.queries.length - answerable.length;
        const task = progress.start(`queries (${model}${mode ? `, ${mode}` : ''})`, answerable.length);
        const textQueries = answerable.filter((q) => q.text !== undefined);
        for (let i = 0; i < textQueries.length; i += batchSize) {
          const batch = textQueries.slice(i, i + batchSize);
          let ranked: ScoredDoc[][];
          if (service) {
            ranked = await mapConcurrent(batch, SEARCH_CONCURRENCY, async (q) => {
              const result = await service.search({ text: q.text as string, mode, k: context.depth });
              if (result.truncated) truncatedTexts++;
              return result.hits.map((h) => ({ id: h.id, score: h.score }));
            });
          } else {
            const encoding = await embedder.encodeTexts(batch.map((q) => q.text as string));
            truncatedTexts += encoding.truncated.length;
            ranked = await mapConcurrent(batch, SEARCH_CONCURRENCY, (_, j) => search(encoding.vectors[j]));
          }
          batch.forEach((q, j) => runs.push({ queryId: q.id, ranked: ranked[j], relevant: q.relevant }));
          task.update(runs.length);
        }
        const productsById = new Map(options.products.map((p) => [p.id, p]));
        const imageQueryIds = new Set(answerable.flatMap((q) => (q.productId !== undefined ? [q.productId] : [])));
        const stored = await storedVectors(store, imageQueryIds);
        let imageRunsDone = 0;
        const imageQueries = answerable.filter((q) => q.productId !== undefined);
        const imageRuns = await mapConcurrent(imageQueries, SEARCH_CONCURRENCY, async (query) => {
          const productId = query.productId as string;
          const vector = await imageQueryVector(stored, embedder, runtime, productsById.get(productId));
          const run = vector ? { queryId: query.id, ranked: await search(vector, productId), relevant: query.relevant } : undefined;
          if (!vector) failed++;
          imageRunsDone++;
          task.update(runs.length + imageRunsDone);
          return run;
        });
        for (const run of imageRuns) if (run) runs.push(run);
        task.stop();
        const summary = evaluateRuns(runs, { ks: context.ks, curveDepth: Math.max(...context.ks) });
        out.push({
          model: { id: embedder.manifest.id, hash: embedder.manifest.hash, dimension: embedder.manifest.dimension },
          ...(mode ? { mode } : {}),
          index: info,
          documents: docLabel(weights),
          queries: { total: context.queries.length, evaluated: summary.evaluatedQueries, skipped, truncatedTexts, failed },
          metrics: summary.means,
          recallCurve: summary.recallCurve,
          heatmap,
          timingsMs: { ...timingsMs, queries: now() - queriesStarted, total: now() - started },
        });
      }
      return out;
    } finally {
      await store.close();
    }
  } finally {
    await embedder.close();
  }
}

/** Runs one retrieval task for every model and returns results.json's content. */
export async function runRetrievalEval(options: RetrievalEvalOptions): Promise<RetrievalResults> {
  if (options.models.length === 0) throw new AppError('BAD_REQUEST', 'give at least one --model');
  const ks = evalCutoffs(options.ks, DEFAULT_KS);
  const depth = options.depth ?? Math.max(100, ...ks);
  if (!Number.isInteger(depth) || depth < Math.max(...ks)) {
    throw new AppError('BAD_REQUEST', `--depth must be an integer of at least the largest k (${Math.max(...ks)})`);
  }
  const gallery = evalGallery(options.products, options.gallerySplit);
  const progress = options.progress ?? silentProgress;
  const queries = buildQueries(options.queries, options.products, gallery, progress);
  if (queries.length === 0) throw new AppError('BAD_REQUEST', 'no queries: check the qrels file, --field or --split');
  const galleryHash = catalogHash(gallery);
  progress.log(`${options.task}: ${queries.length} queries over a gallery of ${gallery.length} products (catalog hash ${galleryHash.slice(0, 12)})`);
  const runs: RetrievalRun[] = [];
  for (const model of options.models) runs.push(...(await runOneModel(model, options, { gallery, galleryHash, queries, ks, depth })));
  const querySplit = options.queries.kind === 'qrels' ? undefined : options.queries.split;
  const typoSeed = 'typo' in options.queries ? options.queries.typo?.seed : undefined;
  return {
    tool: 'vitrine eval',
    schemaVersion: 1,
    createdAt: new Date((options.now ?? Date.now)()).toISOString(),
    options: options.recordedOptions ?? {},
    task: options.task,
    catalog: {
      source: options.catalog.source,
      ...(options.catalog.images !== undefined ? { images: options.catalog.images } : {}),
      hash: galleryHash,
      products: options.products.length,
      gallery: gallery.length,
      ...(querySplit !== undefined ? { querySplit } : {}),
      ...(typoSeed !== undefined ? { typoSeed } : {}),
      ...(options.gallerySplit !== undefined ? { gallerySplit: options.gallerySplit } : {}),
    },
    ks,
    depth,
    runs,
  };
}
