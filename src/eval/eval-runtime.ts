// The ports an eval run needs: the same model loader, store, indexer and image reader that users run, passed in
// so the runners can be tested with fakes and the CLI wires the real adapters (buildEvalRuntime in src/context.ts).
import type { Product } from '../domain/types.js';
import type { Embedder } from '../model/embedder.js';
import type { VectorStore } from '../stores/vector/vector-store.js';

export interface GalleryIndexReport {
  indexed: number;
  skipped: number;
  failed: number;
}

export interface IndexGalleryOptions {
  products: Product[];
  embedder: Embedder;
  store: VectorStore;
  /** Called with the number of products handled so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface EvalRuntime {
  loadEmbedder(model: string): Promise<Embedder>;
  /** Opens the vector store kept in `dir` (created by its first write). */
  openStore(dir: string): Promise<VectorStore>;
  /** Indexes products as `vitrine index` does, skipping unchanged ones. */
  indexGallery(options: IndexGalleryOptions): Promise<GalleryIndexReport>;
  /** Encoded bytes of an image reference (a local path or an http(s) URL). */
  readImage(ref: string): Promise<Uint8Array>;
}
