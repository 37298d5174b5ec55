// Between the wire and the domain: the index's image reference (a local path or a URL) becomes a URL the
// client can fetch, nothing else about the store leaks out, and filter values arrive as the text they
// are compared as.
import type { Hit as WireHit, Product as WireProduct, WireFilters } from '../api/search.schema.js';
import type { Filters, Hit, Product } from '../domain/types.js';
import { AppError } from '../errors/app-error.js';

/** Remote photos keep their URL; local files are served by id at /images/:id, never by path. */
export function imageUrlFor(hit: { id: string; imageRef: string }, base = ''): string {
  return /^https?:\/\//i.test(hit.imageRef) ? hit.imageRef : `${base}/images/${encodeURIComponent(hit.id)}`;
}

export function toWireHit(hit: Hit, base = ''): WireHit {
  return { id: hit.id, score: hit.score, similarity: hit.similarity, title: hit.title, imageUrl: imageUrlFor(hit, base), attributes: hit.attributes };
}

export function toWireProduct(product: Product): WireProduct {
  return { id: product.id, title: product.title, imageUrl: imageUrlFor(product), attributes: product.attributes };
}

/**
 * Filter values compare as text (`{"year": 2012}` means "2012"); the index checks the fields. More than `maxValues`
 * values (all fields together) are refused before any store sees them: each value becomes a term of the store's
 * query, and a few requests with tens of thousands of them once stalled every search.
 */
export function toDomainFilters(filters: WireFilters | undefined, maxValues: number): Filters | undefined {
  if (!filters) return undefined;
  const fields = Object.values(filters);
  const count = fields.reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 1), 0);
  if (count > maxValues || fields.length > maxValues) {
    throw new AppError('BAD_REQUEST', `${count} filter values in one request; the limit is ${maxValues}`);
  }
  return Object.fromEntries(Object.entries(filters).map(([field, v]) => [field, Array.isArray(v) ? v.map(String) : String(v)]));
}
