// The one model guard of every vector store: an index answers only the model that built it. A mismatched model,
// a query or record of another dimension, and a store that was never indexed each get one error, worded once,
// naming the store (never with its password) and what to run. Adapters describe where they are (StoreLocation);
// the words are here.
import { AppError } from '../../errors/app-error.js';
import { sameModel, type ModelManifest } from '../../domain/manifest.js';
import type { IndexedRecord } from '../../domain/types.js';

/** Where an index lives, in the words the guard's messages use. Built by each adapter; holds no secret. */
export interface StoreLocation {
  /** e.g. `/srv/vitrine-data`, `postgres table products on db:5432/vitrine`; never a password. */
  label: string;
  /** How to start over with another model in this kind of store (the store-specific re-index hint). */
  reindexHint: string;
  /** The options that point `vitrine index` at this store, e.g. `--data /srv/vitrine-data`. */
  indexFlags: string;
}

/** A store URL with its password replaced by ***, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/** Refuses (MODEL_MISMATCH) a model whose hash or dimension differs from the one the index was built with. */
export function checkModel(indexModel: ModelManifest, model: ModelManifest, where: StoreLocation): void {
  if (sameModel(indexModel, model)) return;
  throw new AppError(
    'MODEL_MISMATCH',
    `the index in ${where.label} was built with model ${indexModel.id} (hash ${indexModel.hash.slice(0, 12)}, ${indexModel.dimension} dims), ` +
      `not ${model.id} (hash ${model.hash.slice(0, 12)}, ${model.dimension} dims): ${where.reindexHint}`,
    { details: { indexModel: indexModel.id, indexHash: indexModel.hash, model: model.id, modelHash: model.hash } },
  );
}

/** Refuses (MODEL_MISMATCH) a query vector of another dimension than the index's. */
export function checkQueryDimension(vector: Float32Array, dimension: number): void {
  if (vector.length !== dimension) throw new AppError('MODEL_MISMATCH', `query vector has ${vector.length} dims; the index has ${dimension}`);
}

/** Refuses (MODEL_MISMATCH) a batch holding a vector of another dimension than the index, before any write. */
export function checkRecordDimensions(records: readonly IndexedRecord[], dimension: number): void {
  const bad = records.find((r) => r.vector.length !== dimension);
  if (bad) throw new AppError('MODEL_MISMATCH', `vector for ${bad.id} has ${bad.vector.length} dims; the index has ${dimension}`);
}

/** A store that was never indexed: NO_INDEX, naming the store and the command that fills it. */
export function noIndexError(where: StoreLocation): AppError {
  return new AppError('NO_INDEX', `${where.label} holds no index yet: run vitrine index <catalog> ${where.indexFlags} first`, {
    details: { store: where.label },
  });
}
