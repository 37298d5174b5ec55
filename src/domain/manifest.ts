// What an index records about the model that made its vectors, so that every store can refuse vectors or queries
// from another model (the index knows its model). Pure types and one rule; the stores persist these as JSON.
import type { ModelCalibration } from './calibration.js';

/** Everything that identifies a model for an index: a store refuses vectors from another model. */
export interface ModelManifest {
  /** Folder path or Hugging Face id as configured. */
  id: string;
  /** SHA-256 over the model's ONNX, tokenizer and config files: changes whenever weights or preprocessing do. */
  hash: string;
  dimension: number;
  /** The preprocessing settings read from preprocessor_config.json. */
  preprocessing: Record<string, unknown>;
  /** Token context length of the text tower. */
  contextLength: number;
  /**
   * cosine -> calibrated similarity per query kind (config.json `vitrine.calibration`); absent for models without
   * one (plain Hugging Face exports), whose similarity is the cosine. Apply with domain/calibration.ts.
   */
  calibration?: ModelCalibration;
}

/** What a vector store keeps beside its vectors: the model that made them and the attribute fields it knows. */
export interface StoreManifest {
  model: ModelManifest;
  /** Attribute fields known to the index, usable in filters and facets. */
  attributeFields: string[];
  metric: 'cosine';
  normalized: true;
  createdAt: string;
  updatedAt: string;
}

/**
 * Whether vectors made by `model` can live in (and be searched against) an index built by `indexModel`: the same
 * files (hash) and the same dimension. The id is only a name: a folder moved elsewhere is still the same model.
 */
export function sameModel(indexModel: ModelManifest, model: ModelManifest): boolean {
  return indexModel.hash === model.hash && indexModel.dimension === model.dimension;
}

/** The manifest of a store bound to `model` for the first time. */
export function newStoreManifest(model: ModelManifest, attributeFields: readonly string[], now: string): StoreManifest {
  return { model, attributeFields: [...attributeFields], metric: 'cosine', normalized: true, createdAt: now, updatedAt: now };
}

/**
 * Only the manifest's own keys: stores keep private bookkeeping beside it (column maps), which callers never see.
 */
export function publicManifest(manifest: StoreManifest): StoreManifest {
  const { model, attributeFields, metric, normalized, createdAt, updatedAt } = manifest;
  return { model, attributeFields: [...attributeFields], metric, normalized, createdAt, updatedAt };
}
