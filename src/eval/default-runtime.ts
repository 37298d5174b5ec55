// Wires the eval ports to the adapters users run: the ONNX model loader, the LanceDB store, the indexer of
// `vitrine index` and the catalog image loader, all configured from the same Config.
import type { Config } from '../config/config.js';
import type { Product } from '../domain/types.js';
import { runIndex } from '../indexer/indexer.js';
import { loadEmbedder } from '../model/load-model.js';
import type { CatalogEntry } from '../stores/catalog/read-catalog.js';
import { loadImageBytes } from '../stores/images/image-source.js';
import { openVectorStore } from '../stores/vector/open-store.js';
import type { EvalRuntime } from './eval-runtime.js';

async function* asEntries(products: Product[]): AsyncGenerator<CatalogEntry> {
  for (const product of products) yield { ok: true, product };
}

export function defaultEvalRuntime(config: Config): EvalRuntime {
  const readImage = (ref: string) => loadImageBytes(ref, { maxBytes: config.maxUploadBytes, timeoutMs: config.fetchTimeoutSeconds * 1000 });
  return {
    loadEmbedder: (model) =>
      loadEmbedder({
        model,
        cacheDir: config.modelCacheDir,
        threads: config.threads,
        imageLimits: { maxBytes: config.maxUploadBytes, maxPixels: config.maxImagePixels },
      }),
    // Saved gallery indexes are embedded LanceDB folders keyed by model and catalog, whatever store serves search.
    openStore: (dir) => openVectorStore({ dataDir: dir }),
    async indexGallery({ products, embedder, store, onProgress }) {
      const report = await runIndex({
        entries: asEntries(products),
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
