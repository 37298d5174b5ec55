// Typed client for the Vitrine HTTP API: the one module of the page that calls fetch, so every
// failure reaches the UI as an ApiError with a code, whatever went wrong on the way.

import type { ApiLimits } from '../../src/api/limits.schema.js';
import type { FacetsResponse, Product, SearchMode, SearchRequest, SearchResponse, UnmatchedFilter } from '../../src/api/search.schema.js';
import type { ErrorBody } from '../../src/api/status.schema.js';

// The wire shapes are the server's own (src/api, declared once with zod); only their types come in, so the
// bundle carries no schema code.
export type { ApiLimits, FacetsResponse, Product, SearchMode, SearchResponse, UnmatchedFilter };
export type { Facets, FacetValue, Hit } from '../../src/api/search.schema.js';

/** Selected filter values per field; several values of one field match any of them. */
export type Filters = Record<string, string[]>;

/** One search as the page asks for it: the wire fields plus the photo, which travels as multipart. */
export interface SearchParams {
  text?: string;
  /** Leave out for the server's default mode. */
  mode?: SearchMode;
  productId?: string;
  image?: File;
  k: number;
  offset: number;
  filters: Filters;
  facets: boolean;
}

/** Codes the page adds to the server's own catalogue (see src/errors/codes.ts). */
export const NETWORK_ERROR = 'NETWORK';
export const BAD_RESPONSE = 'BAD_RESPONSE';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Runs one search. A photo goes as multipart (the server decodes it); anything else as JSON.
 * @example await search({ text: 'red dress', k: 24, offset: 0, filters: { gender: ['Women'] }, facets: true })
 */
export function search(request: SearchParams, signal?: AbortSignal): Promise<SearchResponse> {
  const fields: SearchRequest = {
    k: request.k,
    offset: request.offset,
    facets: request.facets,
  };
  if (request.text) fields.text = request.text;
  if (request.text && request.mode) fields.mode = request.mode;
  if (request.productId) fields.productId = request.productId;
  if (Object.keys(request.filters).length > 0) fields.filters = request.filters;

  if (!request.image) {
    return call<SearchResponse>('/api/search', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fields),
      signal,
    });
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    form.append(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  // The file part goes last so a streaming parser has every option in hand when the bytes arrive.
  form.append('image', request.image, request.image.name || 'query-image');
  return call<SearchResponse>('/api/search', { method: 'POST', body: form, signal });
}

/** Facet counts over the products matching `filters`, for the page before any query. */
export function fetchFacets(filters: Filters, signal?: AbortSignal): Promise<FacetsResponse> {
  const query = Object.keys(filters).length > 0 ? `?filters=${encodeURIComponent(JSON.stringify(filters))}` : '';
  return call<FacetsResponse>(`/api/facets${query}`, { signal });
}

/** One indexed product (for the caption of a "more like this" search restored from a link). */
export function fetchProduct(productId: string, signal?: AbortSignal): Promise<Product> {
  return call<Product>(`/api/products/${encodeURIComponent(productId)}`, { signal });
}

/** The server's search limits (largest k and offset, ...), from its config. */
export function fetchLimits(signal?: AbortSignal): Promise<ApiLimits> {
  return call<ApiLimits>('/api/limits', { signal });
}

/** The photo of an indexed product, for when only its id is known (e.g. a reloaded "more like this"). */
export function productImageUrl(productId: string): string {
  return `/images/${encodeURIComponent(productId)}`;
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers: { accept: 'application/json', ...init.headers } });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new ApiError(NETWORK_ERROR, 'Check that `vitrine serve` is running, then try again.', 0);
  }
  let payload: unknown;
  try {
    payload = await response.json();
  } catch (error) {
    if (init.signal?.aborted) throw error;
    payload = undefined;
  }
  if (!response.ok) {
    // Whatever answered (a proxy, a crashed server) may not speak the API's error shape: check, don't trust.
    const body = (payload ?? {}) as Partial<Record<keyof ErrorBody, unknown>>;
    throw new ApiError(
      typeof body.code === 'string' ? body.code : `HTTP_${response.status}`,
      typeof body.message === 'string' ? body.message : `The server answered ${response.status} ${response.statusText}.`,
      response.status,
    );
  }
  if (payload === undefined || payload === null || typeof payload !== 'object') {
    throw new ApiError(BAD_RESPONSE, 'The server sent an answer the page cannot read.', response.status);
  }
  return payload as T;
}
