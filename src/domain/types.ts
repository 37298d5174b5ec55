// Core value types shared by every layer. Pure data: no I/O.

/** Attribute values of a product, as read from the catalog (strings; empty values are dropped). */
export type Attributes = Record<string, string>;

/** One catalog entry before indexing. */
export interface Product {
  id: string;
  title: string;
  attributes: Attributes;
  /** Where the photo lives: an absolute local path or an http(s) URL. */
  imageRef: string;
}

/** A product as stored in a vector store, with its embedding. */
export interface IndexedRecord {
  id: string;
  title: string;
  attributes: Attributes;
  imageRef: string;
  /** SHA-256 of the image bytes plus title and attributes; decides whether a re-run may skip the item. */
  contentHash: string;
  vector: Float32Array;
}

/** Equality filters on metadata: a field matches one value or any of several. */
export type Filters = Record<string, string | string[]>;

export interface Hit {
  id: string;
  /** The ranking score of the search mode (cosine for vector, BM25 for keyword, the fused rank score for hybrid). */
  score: number;
  /** The model's (calibrated) similarity of the product to the query, whatever the mode; minScore cuts on it. */
  similarity: number;
  title: string;
  imageRef: string;
  attributes: Attributes;
}

export interface FacetValue {
  value: string;
  count: number;
}
export type Facets = Record<string, FacetValue[]>;
