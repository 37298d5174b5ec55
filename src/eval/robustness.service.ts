// `vitrine eval robustness`: photos that do not look like the catalog's as image queries against the catalog,
// through the same model runtime, indexer and store users run. Three query sets, each optional:
// - photos: a folder of labelled photos (e.g. shoppers' own); relevant = catalog products whose articleType the
//   photo's label maps to (same-articleType precision@k), reported per photo and per label;
// - transformed: catalog photos under fixed, seeded transforms that training does not use (photo-transforms.ts);
//   same-product recall@k (the untouched photo is in the gallery) and same-articleType precision@k;
// - hires: another photo of the same product (e.g. the 224x224 versions) as query; same-product recall@k too.
import path from 'node:path';
import type { Product } from '../domain/types.js';
import { AppError, errorMessage } from '../errors/app-error.js';
import type { Embedder } from '../model/embedder.js';
import type { VectorStore } from '../stores/vector/vector-store.js';
import type { EvalRuntime } from './eval-runtime.js';
import { catalogHash, ensureGalleryIndex } from './gallery-index.js';
import { applyTransform, TRANSFORM_DESCRIPTIONS, type HeldOutTransform } from './photo-transforms.js';
import { silentProgress, type ProgressReporter } from './progress.js';
import { hashSeed } from './query-sets.js';
import { evalCutoffs, evalGallery, inSplit } from './queries.js';
import type { LabelMap, LabelledPhoto, PhotoHalf } from './real-photos.js';
import type { RobustnessQueryResult, RobustnessResults, RobustnessRun, RobustnessSetResult } from './results.js';

export const ROBUSTNESS_KS: readonly number[] = [1, 8];

export interface RobustnessEvalOptions {
  models: string[];
  /** Every product of the catalog (split membership is the `split` attribute). */
  products: Product[];
  catalog: { source: string; images?: string };
  /** Gallery = products of this split; the whole catalog when undefined. */
  gallerySplit?: string;
  /** Field that defines "the same kind of product" (default articleType). */
  field?: string;
  photos?: { dir: string; labelsFile: string; labelMapFile: string; rows: LabelledPhoto[]; labelMap: LabelMap; half?: PhotoHalf };
  transformed?: { split?: string; sample: number; transforms: HeldOutTransform[]; seed: number };
  /** Other photos of catalog products: product id -> image reference. */
  hires?: { dir: string; refs: { productId: string; ref: string }[] };
  ks?: number[];
  cacheDir: string;
  refreshIndex?: boolean;
  batchSize?: number;
  recordedOptions?: Record<string, unknown>;
  runtime: EvalRuntime;
  progress?: ProgressReporter;
  now?: () => number;
}

/** One image query: where its bytes come from and what counts as relevant. */
interface ImageQuery {
  id: string;
  load: () => Promise<Uint8Array>;
  /** Set for same-product queries: the product the photo shows. */
  productId?: string;
  /** Field values that count as the same kind of product. */
  relevantValues: ReadonlySet<string>;
  label?: string;
}

/** The first `n` products of a split in a seeded order (a hash of seed and id): stable across runs and machines. */
export function seededSample(products: readonly Product[], n: number, seed: number): Product[] {
  return [...products]
    .map((p) => ({ p, key: hashSeed(seed, p.id) }))
    .sort((a, b) => a.key - b.key || (a.p.id < b.p.id ? -1 : a.p.id > b.p.id ? 1 : 0))
    .slice(0, n)
    .map((x) => x.p);
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
}

/** Same-product recall@k and same-kind precision@k of one query's ranked hits. */
export function scoreQuery(hits: { id: string; value: string | undefined }[], query: { productId?: string; relevantValues: ReadonlySet<string> }, ks: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ks) {
    const top = hits.slice(0, k);
    out[`precision@${k}`] = top.filter((h) => h.value !== undefined && query.relevantValues.has(h.value)).length / k;
    if (query.productId !== undefined) out[`recall@${k}`] = top.some((h) => h.id === query.productId) ? 1 : 0;
  }
  return out;
}

/** Means over queries, per metric; per label too when the queries carry labels. */
export function summariseSet(results: readonly RobustnessQueryResult[], ks: readonly number[]): Pick<RobustnessSetResult, 'metrics' | 'perClass'> {
  const names = [...ks.map((k) => `recall@${k}`), ...ks.map((k) => `precision@${k}`)];
  const metrics: Record<string, number | null> = {};
  for (const name of names) {
    const values = results.flatMap((r) => (r.metrics[name] !== undefined ? [r.metrics[name]] : []));
    if (values.length > 0) metrics[name] = mean(values);
  }
  const labels = [...new Set(results.flatMap((r) => (r.label !== undefined ? [r.label] : [])))].sort();
  if (labels.length === 0) return { metrics };
  const perClass = labels.map((label) => {
    const rows = results.filter((r) => r.label === label);
    const m: Record<string, number | null> = {};
    for (const k of ks) m[`precision@${k}`] = mean(rows.map((r) => r.metrics[`precision@${k}`]));
    return { label, queries: rows.length, metrics: m };
  });
  return { metrics, perClass };
}

async function runSet(
  name: string,
  description: string,
  queries: ImageQuery[],
  ctx: { embedder: Embedder; store: VectorStore; field: string; ks: readonly number[]; batchSize: number; progress: ProgressReporter },
): Promise<RobustnessSetResult> {
  const maxK = Math.max(...ctx.ks);
  const results: RobustnessQueryResult[] = [];
  const failures: { id: string; reason: string }[] = [];
  const task = ctx.progress.start(`${name}: ${queries.length} image queries`, queries.length);
  for (let start = 0; start < queries.length; start += ctx.batchSize) {
    const batch = queries.slice(start, start + ctx.batchSize);
    const bytes: { query: ImageQuery; data: Uint8Array }[] = [];
    for (const query of batch) {
      try {
        bytes.push({ query, data: await query.load() });
      } catch (e) {
        failures.push({ id: query.id, reason: errorMessage(e) });
      }
    }
    let vectors: (Float32Array | undefined)[];
    try {
      vectors = await ctx.embedder.encodeImages(bytes.map((b) => b.data));
    } catch {
      // one undecodable photo must cost only itself: retry the batch one by one
      vectors = [];
      for (const b of bytes) {
        try {
          vectors.push((await ctx.embedder.encodeImages([b.data]))[0]);
        } catch (e) {
          vectors.push(undefined);
          failures.push({ id: b.query.id, reason: errorMessage(e) });
        }
      }
    }
    for (let i = 0; i < bytes.length; i++) {
      const vector = vectors[i];
      if (!vector) continue;
      const { query } = bytes[i];
      const hits = (await ctx.store.search({ vector, k: maxK })).map((h) => ({ id: h.id, value: h.attributes[ctx.field], score: h.score }));
      results.push({
        id: query.id,
        ...(query.label !== undefined ? { label: query.label } : {}),
        ...(query.productId !== undefined ? { productId: query.productId } : {}),
        top: hits.map((h) => ({ id: h.id, value: h.value ?? null, score: Math.round(h.score * 1e6) / 1e6 })),
        metrics: scoreQuery(hits, query, ctx.ks),
      });
    }
    task.update(Math.min(queries.length, start + batch.length));
  }
  task.stop();
  return { name, description, queries: queries.length, failed: failures.length, failures: failures.slice(0, 20), ...summariseSet(results, ctx.ks), perQuery: results };
}

function buildSets(options: RobustnessEvalOptions, gallery: Product[], field: string): { name: string; description: string; queries: ImageQuery[] }[] {
  const { runtime } = options;
  const sets: { name: string; description: string; queries: ImageQuery[] }[] = [];
  if (options.photos) {
    const { dir, rows, labelMap, half } = options.photos;
    sets.push({
      name: 'photos',
      description: `labelled photos in ${dir}${half ? ` (${half} half)` : ''}; relevant = catalog ${field} in the label's set`,
      queries: rows.map((r) => ({
        id: r.file,
        label: r.label,
        relevantValues: new Set(labelMap[r.label]),
        load: () => runtime.readImage(path.resolve(dir, r.file)),
      })),
    });
  }
  if (options.transformed) {
    const { split, sample, transforms, seed } = options.transformed;
    const chosen = seededSample(inSplit(options.products, split), sample, seed).filter((p) => p.attributes[field] !== undefined);
    for (const transform of transforms) {
      sets.push({
        name: `transform:${transform}`,
        description: `${chosen.length} catalog photos${split ? ` of split ${split}` : ''}, ${TRANSFORM_DESCRIPTIONS[transform]}`,
        queries: chosen.map((p) => ({
          id: p.id,
          productId: p.id,
          relevantValues: new Set([p.attributes[field]]),
          load: async () => applyTransform(await runtime.readImage(p.imageRef), transform, { seed, key: p.id }),
        })),
      });
    }
  }
  if (options.hires) {
    const byId = new Map(gallery.map((p) => [p.id, p]));
    const queries = options.hires.refs.flatMap(({ productId, ref }) => {
      const p = byId.get(productId);
      const value = p?.attributes[field];
      return p && value !== undefined ? [{ id: productId, productId, relevantValues: new Set([value]), load: () => runtime.readImage(ref) }] : [];
    });
    sets.push({ name: 'hires', description: `other photos of ${queries.length} catalog products (${options.hires.dir}) as queries`, queries });
  }
  return sets;
}

async function runOneModel(model: string, options: RobustnessEvalOptions, ctx: { gallery: Product[]; galleryHash: string; field: string; ks: readonly number[] }): Promise<RobustnessRun> {
  const progress = options.progress ?? silentProgress;
  const now = options.now ?? Date.now;
  const started = now();
  progress.log(`model ${model}: loading`);
  const embedder = await options.runtime.loadEmbedder(model);
  try {
    const indexStarted = now();
    const { store, info } = await ensureGalleryIndex({
      runtime: options.runtime,
      embedder,
      gallery: ctx.gallery,
      galleryHash: ctx.galleryHash,
      cacheDir: options.cacheDir,
      progress,
      refresh: options.refreshIndex,
    });
    const timingsMs: Record<string, number> = { index: now() - indexStarted };
    try {
      const sets: RobustnessSetResult[] = [];
      for (const set of buildSets(options, ctx.gallery, ctx.field)) {
        const setStarted = now();
        sets.push(await runSet(set.name, set.description, set.queries, { embedder, store, field: ctx.field, ks: ctx.ks, batchSize: options.batchSize ?? 32, progress }));
        timingsMs[set.name] = now() - setStarted;
      }
      timingsMs.total = now() - started;
      return {
        model: { id: embedder.manifest.id, hash: embedder.manifest.hash, dimension: embedder.manifest.dimension },
        index: info,
        sets,
        timingsMs,
      };
    } finally {
      await store.close();
    }
  } finally {
    await embedder.close();
  }
}

export async function runRobustnessEval(options: RobustnessEvalOptions): Promise<RobustnessResults> {
  if (options.models.length === 0) throw new AppError('BAD_REQUEST', 'give at least one --model');
  if (!options.photos && !options.transformed && !options.hires) {
    throw new AppError('BAD_REQUEST', 'robustness needs at least one query set: --photos/--labels, --transforms or --hires-images');
  }
  const ks = evalCutoffs(options.ks, ROBUSTNESS_KS);
  const field = options.field ?? 'articleType';
  const gallery = evalGallery(options.products, options.gallerySplit);
  if (options.photos && options.photos.rows.length === 0) throw new AppError('BAD_REQUEST', `${options.photos.labelsFile} lists no photo with a label of the label map${options.photos.half ? ` in the ${options.photos.half} half` : ''}`);
  const galleryHash = catalogHash(gallery);
  const progress = options.progress ?? silentProgress;
  progress.log(`robustness: gallery of ${gallery.length} products (catalog hash ${galleryHash.slice(0, 12)}), relevance by ${field}`);
  const runs: RobustnessRun[] = [];
  for (const model of options.models) runs.push(await runOneModel(model, options, { gallery, galleryHash, field, ks }));
  return {
    tool: 'vitrine eval',
    schemaVersion: 1,
    createdAt: new Date((options.now ?? Date.now)()).toISOString(),
    options: options.recordedOptions ?? {},
    task: 'robustness',
    catalog: {
      source: options.catalog.source,
      ...(options.catalog.images !== undefined ? { images: options.catalog.images } : {}),
      hash: galleryHash,
      products: options.products.length,
      gallery: gallery.length,
      ...(options.gallerySplit !== undefined ? { gallerySplit: options.gallerySplit } : {}),
    },
    field,
    ks,
    ...(options.photos ? { photos: { dir: options.photos.dir, labels: options.photos.labelsFile, labelMap: options.photos.labelMapFile, ...(options.photos.half ? { half: options.photos.half } : {}) } } : {}),
    ...(options.transformed ? { transformed: { split: options.transformed.split, sample: options.transformed.sample, seed: options.transformed.seed, transforms: options.transformed.transforms } } : {}),
    runs,
  };
}
