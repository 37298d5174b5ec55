// The indexing pipeline: read -> load bytes -> skip unchanged -> decode/preprocess -> embed -> write, with each
// stage timed. Every item ends ok / skipped / failed (with its reason); one bad photo never aborts the run, and
// a killed run resumes because unchanged items (same id and content hash) are skipped.
import { createHash } from 'node:crypto';
import { errorMessage } from '../errors/app-error.js';
import { inSpan } from '../observability/tracing.js';
import type { Metrics } from '../observability/metrics.js';
import type { Embedder, PixelValues } from '../model/embedder.js';
import type { VectorStore } from '../stores/vector/vector-store.js';
import type { CatalogEntry } from '../stores/catalog/read-catalog.js';
import type { IndexedRecord, Product } from '../domain/types.js';
import type { ImageStore } from '../stores/images/image-store.js';
import { uploadAwareHash, uploadProductImage } from '../stores/images/upload-images.js';

export type ItemOutcome = 'ok' | 'skipped' | 'failed';
export type Stage = 'read' | 'load' | 'check' | 'upload' | 'decode' | 'embed' | 'write';
export const STAGES: Stage[] = ['read', 'load', 'check', 'upload', 'decode', 'embed', 'write'];

export interface ItemFailure {
  id?: string;
  row?: number;
  reason: string;
}

export interface IndexProgress {
  processed: number;
  ok: number;
  skipped: number;
  failed: number;
}

export interface IndexReport extends IndexProgress {
  /** True when the run stopped early on its abort signal (what was embedded so far is written). */
  interrupted: boolean;
  /** Seconds spent in each stage (summed over batches). */
  stageSeconds: Record<Stage, number>;
  wallSeconds: number;
  failures: ItemFailure[];
}

const PRELOAD_HASHES_UP_TO = 1_000_000;

export interface RunIndexOptions {
  entries: AsyncIterable<CatalogEntry>;
  embedder: Embedder;
  store: VectorStore;
  loadImage: (ref: string) => Promise<Uint8Array>;
  /** Images embedded per model call. */
  batchSize?: number;
  /** Records buffered before one store write: larger writes make fewer table fragments, smaller ones lose less to a kill. */
  writeBatchSize?: number;
  /** Upload each embedded item's original photo here and record the returned URL as its imageRef. */
  uploadImages?: ImageStore;
  /** Re-embed even unchanged items. */
  force?: boolean;
  onProgress?: (progress: IndexProgress) => void;
  onFailure?: (failure: ItemFailure) => void;
  signal?: AbortSignal;
  /** Counts items by outcome into vitrine_indexer_items_total. */
  metrics?: Metrics;
}

/** What decides whether an item must be embedded again: its photo bytes, title and attributes. */
export function contentHash(product: Product, imageBytes: Uint8Array): string {
  const hash = createHash('sha256');
  hash.update(imageBytes);
  hash.update('\0');
  hash.update(product.title);
  hash.update('\0');
  hash.update(JSON.stringify(Object.entries(product.attributes).sort(([a], [b]) => (a < b ? -1 : 1))));
  return hash.digest('hex');
}

async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

interface Prepared {
  product: Product;
  hash: string;
  pixels: PixelValues;
}

export async function runIndex(options: RunIndexOptions): Promise<IndexReport> {
  const { embedder, store } = options;
  const batchSize = options.batchSize ?? 32;
  const writeBatchSize = Math.max(batchSize, options.writeBatchSize ?? 256);
  const started = performance.now();
  const stageSeconds = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const report: IndexReport = { processed: 0, ok: 0, skipped: 0, failed: 0, interrupted: false, stageSeconds, wallSeconds: 0, failures: [] };
  const timed = async <T>(stage: Stage, fn: () => Promise<T>, attributes: Record<string, number> = {}): Promise<T> =>
    inSpan(`vitrine.index.${stage}`, attributes, async () => {
      const t0 = performance.now();
      try {
        return await fn();
      } finally {
        stageSeconds[stage] += (performance.now() - t0) / 1000;
      }
    });
  const fail = (failure: ItemFailure) => {
    options.metrics?.indexerItems.inc({ outcome: 'failed' });
    report.failed++;
    report.processed++;
    if (report.failures.length < 10_000) report.failures.push(failure);
    options.onFailure?.(failure);
  };

  await store.bindModel(embedder.manifest, []);
  // Up to a million items, one scan of every id's content hash is far cheaper than a lookup query per batch.
  let knownHashes: Map<string, string> | null = null;
  if (!options.force && (await store.count()) <= PRELOAD_HASHES_UP_TO) {
    knownHashes = await timed('check', async () => {
      const map = new Map<string, string>();
      for await (const batch of store.scan({ batchSize: 10_000, withVector: false })) for (const item of batch) map.set(item.id, item.contentHash);
      return map;
    });
  }

  // Everything up to pixels for one batch; runs while the previous batch is being embedded.
  const prepare = async (entries: CatalogEntry[]): Promise<Prepared[]> => {
    const products: Product[] = [];
    for (const e of entries) {
      if (e.ok) products.push(e.product);
      else fail({ id: e.id, row: e.row, reason: e.reason });
    }
    const loaded = await timed('load', () =>
      Promise.all(
        products.map(async (product) => {
          try {
            const bytes = await options.loadImage(product.imageRef);
            const hash = contentHash(product, bytes);
            return { product, bytes, hash: options.uploadImages ? uploadAwareHash(hash, options.uploadImages, product.id) : hash };
          } catch (e) {
            fail({ id: product.id, reason: errorMessage(e) });
            return null;
          }
        }),
      ),
    );
    const present = loaded.filter((x): x is NonNullable<typeof x> => x !== null);
    const known = options.force
      ? new Map<string, string>()
      : await timed('check', async () => knownHashes ?? store.contentHashes(present.map((p) => p.product.id)));
    const todo = present.filter((p) => {
      if (known.get(p.product.id) !== p.hash) return true;
      report.skipped++;
      report.processed++;
      options.metrics?.indexerItems.inc({ outcome: 'skipped' });
      return false;
    });
    const uploads = options.uploadImages;
    if (uploads) {
      const uploaded = await timed('upload', () =>
        Promise.all(
          todo.map(async (p) => {
            try {
              return { ...p, product: await uploadProductImage(uploads, p.product, p.bytes) };
            } catch (e) {
              fail({ id: p.product.id, reason: `image upload failed: ${errorMessage(e)}` });
              return null;
            }
          }),
        ),
      );
      todo.splice(0, todo.length, ...uploaded.filter((x): x is NonNullable<typeof x> => x !== null));
    }
    const decoded = await timed('decode', () =>
      Promise.all(
        todo.map(async (p) => {
          try {
            return { product: p.product, hash: p.hash, pixels: await embedder.preprocessImage(p.bytes) };
          } catch (e) {
            fail({ id: p.product.id, reason: errorMessage(e) });
            return null;
          }
        }),
      ),
    );
    return decoded.filter((x): x is Prepared => x !== null);
  };

  let buffer: IndexedRecord[] = [];
  const flush = async () => {
    if (buffer.length === 0) return;
    const records = buffer;
    buffer = [];
    try {
      await timed('write', () => store.upsert(records), { 'vitrine.batch_size': records.length });
      report.ok += records.length;
      options.metrics?.indexerItems.inc({ outcome: 'ok' }, records.length);
      report.processed += records.length;
    } catch (e) {
      for (const r of records) fail({ id: r.id, reason: `store write failed: ${errorMessage(e)}` });
    }
    options.onProgress?.({ ...report });
  };

  const source = batches(options.entries, batchSize)[Symbol.asyncIterator]();
  const readNext = () => timed('read', () => source.next());
  let next = await readNext();
  let pending: Promise<Prepared[]> | null = next.done ? null : prepare(next.value);
  while (pending) {
    if (options.signal?.aborted) {
      report.interrupted = true;
      break;
    }
    const prepared = await pending;
    next = await readNext();
    pending = next.done ? null : prepare(next.value);
    if (prepared.length > 0) {
      try {
        const vectors = await timed('embed', () => embedder.encodePixels(prepared.map((p) => p.pixels)), { 'vitrine.batch_size': prepared.length });
        prepared.forEach((p, i) =>
          buffer.push({ id: p.product.id, title: p.product.title, attributes: p.product.attributes, imageRef: p.product.imageRef, contentHash: p.hash, vector: vectors[i] }),
        );
      } catch (e) {
        for (const p of prepared) fail({ id: p.product.id, reason: `embedding failed: ${errorMessage(e)}` });
      }
    }
    if (buffer.length >= writeBatchSize) await flush();
    else options.onProgress?.({ ...report, processed: report.processed + buffer.length, ok: report.ok + buffer.length });
  }
  if (pending) await pending.catch(() => []);
  await flush();
  report.wallSeconds = (performance.now() - started) / 1000;
  return report;
}
