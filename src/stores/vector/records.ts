// Checks every vector-store adapter runs on a batch of records before writing it.
import { AppError } from '../../errors/app-error.js';
import type { IndexedRecord } from '../../domain/types.js';

/** Attribute fields the records use that the index does not know yet. */
export function newAttributeFields(records: IndexedRecord[], isKnown: (field: string) => boolean): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r.attributes)))].filter((f) => !isKnown(f));
}

/** Refuses (MODEL_MISMATCH) a batch holding a vector of another dimension than the index, before any write. */
export function assertDimension(records: IndexedRecord[], dimension: number): void {
  const bad = records.find((r) => r.vector.length !== dimension);
  if (bad) throw new AppError('MODEL_MISMATCH', `vector for ${bad.id} has ${bad.vector.length} dims; the index has ${dimension}`);
}

/** One record per id, the last one winning, as sequential writes would leave it. */
export function lastPerId(records: IndexedRecord[]): IndexedRecord[] {
  return [...new Map(records.map((r) => [r.id, r])).values()];
}
