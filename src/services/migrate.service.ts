// Copies an index from one vector store to another (e.g. the embedded store to pgvector when scaling out):
// scan the source in batches, upsert into the target what it lacks, then verify. Resumable: an id whose
// contentHash already matches in the target is skipped, so a killed run continues where it stopped.
import { AppError } from '../errors/app-error.js';
import type { IndexedRecord } from '../domain/types.js';
import type { VectorStore } from '../stores/vector/vector-store.js';
import { noIndexError } from '../stores/vector/model-guard.js';

export interface MigrateProgress {
  scanned: number;
  copied: number;
  skipped: number;
}

export interface MigrateReport extends MigrateProgress {
  sourceCount: number;
  targetCount: number;
  /** Source ids absent from the target, or present with another contentHash, after the copy (at most 20 listed). */
  missing: number;
  missingIds: string[];
  ok: boolean;
  wallSeconds: number;
}

export interface MigrateOptions {
  from: VectorStore;
  to: VectorStore;
  batchSize?: number;
  /** After each batch, with the source's size when the copy began. */
  onProgress?: (progress: MigrateProgress, total: number) => void;
}

export async function migrateIndex(options: MigrateOptions): Promise<MigrateReport> {
  const { from, to } = options;
  const batchSize = options.batchSize ?? 500;
  const started = performance.now();
  const manifest = await from.readManifest();
  if (!manifest) throw noIndexError(from.location);
  // Refuses (MODEL_MISMATCH) a target built with another model, before anything is written.
  await to.bindModel(manifest.model, manifest.attributeFields);

  // The source's size before the copy, so progress can say how far it is (a source written meanwhile may pass it).
  const total = await from.count();
  const progress: MigrateProgress = { scanned: 0, copied: 0, skipped: 0 };
  for await (const batch of from.scan({ batchSize, withVector: true })) {
    const known = await to.contentHashes(batch.map((i) => i.id));
    const todo: IndexedRecord[] = [];
    for (const item of batch) {
      if (known.get(item.id) === item.contentHash) {
        progress.skipped++;
        continue;
      }
      if (!item.vector) throw new AppError('STORE_ERROR', `the source store returned ${item.id} without its vector`);
      todo.push({ id: item.id, title: item.title, attributes: item.attributes, imageRef: item.imageRef, contentHash: item.contentHash, vector: item.vector });
    }
    await to.upsert(todo);
    progress.scanned += batch.length;
    progress.copied += todo.length;
    options.onProgress?.({ ...progress }, total);
  }

  // Verification: every source id is in the target with the same content, and the counts agree.
  let missing = 0;
  const missingIds: string[] = [];
  for await (const batch of from.scan({ batchSize: Math.max(batchSize, 1000), withVector: false })) {
    const known = await to.contentHashes(batch.map((i) => i.id));
    for (const item of batch) {
      if (known.get(item.id) === item.contentHash) continue;
      missing++;
      if (missingIds.length < 20) missingIds.push(item.id);
    }
  }
  const sourceCount = await from.count();
  const targetCount = await to.count();
  return {
    ...progress,
    sourceCount,
    targetCount,
    missing,
    missingIds,
    ok: missing === 0 && sourceCount === targetCount,
    wallSeconds: (performance.now() - started) / 1000,
  };
}
