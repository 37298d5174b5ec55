// The saved gallery index of an eval run: one store per (model, catalog) pair under the eval cache, so a second
// run with the same model and catalog embeds nothing and pays only for its queries.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Product } from '../domain/types.js';
import type { Embedder } from '../model/embedder.js';
import type { VectorStore } from '../stores/vector/vector-store.js';
import type { EvalRuntime } from './eval-runtime.js';
import type { IndexInfo } from './results.js';
import type { ProgressReporter } from './progress.js';

export const DEFAULT_EVAL_CACHE_DIR = './vitrine-data/eval-cache';

/**
 * SHA-256 over the products' ids, titles, attributes and image references, independent of row order. Image bytes
 * are not read here: the indexer's per-item content hash re-embeds a photo that changed under the same path.
 */
export function catalogHash(products: readonly Product[]): string {
  const hash = createHash('sha256');
  const sorted = [...products].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const p of sorted) {
    const attributes = Object.keys(p.attributes)
      .sort()
      .map((k) => [k, p.attributes[k]]);
    hash.update(JSON.stringify([p.id, p.title, attributes, p.imageRef]));
    hash.update('\n');
  }
  return hash.digest('hex');
}

/** `<cacheDir>/<model hash, 12>-<catalog hash, 12>` */
export function galleryIndexDir(cacheDir: string, modelHash: string, galleryHash: string): string {
  return path.resolve(cacheDir, `${modelHash.slice(0, 12)}-${galleryHash.slice(0, 12)}`);
}

export interface EnsureGalleryOptions {
  runtime: EvalRuntime;
  embedder: Embedder;
  gallery: Product[];
  galleryHash: string;
  cacheDir: string;
  progress: ProgressReporter;
  /**
   * Pass every product through the indexer even when all are already saved, so photos changed under the same
   * path are re-embedded (the indexer compares content hashes). Costs a read of every photo.
   */
  refresh?: boolean;
}

/** Opens the saved index for this model and gallery, indexing whatever is missing or changed. */
export async function ensureGalleryIndex(options: EnsureGalleryOptions): Promise<{ store: VectorStore; info: IndexInfo }> {
  const { runtime, embedder, gallery, progress } = options;
  const dir = galleryIndexDir(options.cacheDir, embedder.manifest.hash, options.galleryHash);
  const store = await runtime.openStore(dir);
  try {
    const before = (await store.readManifest()) === null ? 0 : await store.count();
    if (before > 0 && !options.refresh) {
      const saved = await store.contentHashes(gallery.map((p) => p.id));
      if (saved.size === gallery.length) {
        progress.log(`reusing the saved gallery index (model and catalog unchanged, nothing embedded): ${dir}`);
        return { store, info: { dir, reused: true, indexed: 0, skipped: gallery.length, failed: 0, documents: before } };
      }
    }
    if (before > 0) progress.log(`found a saved gallery index for this model and catalog with ${before} products: ${dir}`);
    const task = progress.start(`indexing gallery (${gallery.length} products)`, gallery.length);
    const report = await runtime.indexGallery({ products: gallery, embedder, store, onProgress: (done) => task.update(done) });
    task.stop();
    const reused = report.indexed === 0 && before > 0;
    if (reused) progress.log(`reused the saved gallery index: nothing embedded (${report.failed} photos still failing) (${dir})`);
    else progress.log(`gallery index ready: ${report.indexed} embedded, ${report.skipped} unchanged, ${report.failed} failed (${dir})`);
    return { store, info: { dir, reused, ...report, documents: await store.count() } };
  } catch (e) {
    await store.close();
    throw e;
  }
}
