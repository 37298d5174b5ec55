// Request and response shapes of the search API, declared once: the server parses requests with them, the
// OpenAPI document is generated from them, and the web page and `vitrine search --url` import their types.
// Zod only, no server code, so the web bundle can import the types.
//
// Who checks what: these schemas own the *types* of the wire (text is a string, k a number, filters an
// object of values); the search service owns the *values* (k and offset ranges from config, query length,
// blank queries) and the index owns the filter *fields*, so the CLI and the API answer alike. The ranges
// appear here as documentation, from the same limits the service enforces.
import { z } from 'zod';
import type { ApiLimits } from './limits.schema.js';

const filterValue = z.union([z.string(), z.number(), z.boolean()]);

/** Attribute equality filters: field -> value, or any of several values. Values compare as text. */
export const FiltersSchema = z
  .record(z.string(), z.union([filterValue, z.array(filterValue)], { error: (issue) => `filter ${String(issue.path?.at(-1))}: values must be strings` }), {
    error: 'filters must be a JSON object of field -> value or [values]',
  })
  .meta({ description: 'Attribute equality filters: field -> value or any of several values. Unknown fields are a 400.' });
export type WireFilters = z.infer<typeof FiltersSchema>;

/** Search modes: by the model's embedding, by the words of titles and attribute values, or both fused. */
export const SearchModeSchema = z
  .enum(['vector', 'keyword', 'hybrid'], { error: 'mode must be one of vector, keyword, hybrid' })
  .meta({ description: "vector: by the model's embedding; keyword: by the words of titles and attribute values (typos forgiven); hybrid: both rankings fused" });
export type SearchMode = z.infer<typeof SearchModeSchema>;

/** A filter value no product holds, with the closest values the index does hold (case and spaces are forgiven). */
export const UnmatchedFilterSchema = z.object({ field: z.string(), value: z.string(), closest: z.array(z.string()) });
export type UnmatchedFilter = z.infer<typeof UnmatchedFilterSchema>;

/** The fields of a search, as JSON or as multipart form fields (where numbers, booleans and filters are text). */
export function searchRequestSchema(limits: ApiLimits) {
  return z.object({
    text: z
      .string({ error: 'text must be a string' })
      .optional()
      .meta({ description: `Query text, at most ${limits.maxQueryChars} characters; cut to the model context (then \`truncated\` is true).` }),
    mode: SearchModeSchema.optional().meta({ default: limits.defaultMode, description: `How a text is searched (default ${limits.defaultMode}); a photo or productId alone is searched by vector.` }),
    productId: z
      .union([z.string(), z.number()], { error: 'productId must be a string' })
      .optional()
      .meta({ description: "More like this: search with this indexed product's image; the product itself is left out." }),
    k: z
      .number({ error: 'k must be a number' })
      .optional()
      .meta({ type: 'integer', minimum: 1, maximum: limits.maxK, default: limits.defaultK, description: 'Hits to return.' }),
    offset: z
      .number({ error: 'offset must be a number' })
      .optional()
      .meta({ type: 'integer', minimum: 0, maximum: limits.maxOffset, default: 0, description: 'Hits to skip (paging).' }),
    filters: FiltersSchema.optional(),
    minScore: z
      .number({ error: 'minScore must be a number' })
      .optional()
      .meta({ minimum: -1, maximum: 1, description: "Leave out hits whose `similarity` is below this, in every mode." }),
    facets: z.boolean().optional().meta({ description: 'Also return facet counts over the products matching the query and the filters.' }),
  });
}
export type SearchRequest = z.infer<ReturnType<typeof searchRequestSchema>>;

/** The multipart form of a search: a photo plus the JSON fields, with `filters` as a JSON string. */
export function searchFormSchema(limits: ApiLimits) {
  return searchRequestSchema(limits).extend({
    image: z.file().optional().meta({ description: `A ${limits.imageFormats.join(', ')} photo, at most ${limits.maxUploadBytes} bytes (SVG is refused).` }),
    filters: z.string().optional().meta({ description: 'filters as a JSON string' }),
  });
}

export const HitSchema = z.object({
  id: z.string(),
  score: z.number().meta({ description: 'the ranking score of the mode: cosine (vector), BM25 (keyword) or the fused rank score (hybrid); compare within one answer only' }),
  similarity: z.number().meta({ description: "the model's calibrated similarity of the product to the query, in every mode (minScore cuts on it)" }),
  title: z.string(),
  imageUrl: z.string(),
  attributes: z.record(z.string(), z.string()),
});
export type Hit = z.infer<typeof HitSchema>;

export const FacetValueSchema = z.object({ value: z.string(), count: z.number().int() });
export type FacetValue = z.infer<typeof FacetValueSchema>;
export const FacetsSchema = z.record(z.string(), z.array(FacetValueSchema));
export type Facets = z.infer<typeof FacetsSchema>;

export const SearchResponseSchema = z.object({
  mode: SearchModeSchema.meta({ description: 'the mode that ranked the hits' }),
  hits: z.array(HitSchema),
  k: z.number().int(),
  offset: z.number().int(),
  total: z.number().int().meta({
    description:
      'products matching the query and the filters, i.e. the length of the ranked list pages come from: every filtered product for a vector search (unless minScore cuts), the keyword matches, or keyword matches plus the vector candidates (hybrid)',
  }),
  unmatchedFilters: z.array(UnmatchedFilterSchema).meta({ description: 'filter values no product holds, with the closest known values' }),
  truncated: z.boolean().meta({ description: "the query text was cut to the model's context length" }),
  facets: FacetsSchema.optional().meta({ description: "value counts over the products matching the query and the filters; each field's counts ignore its own filter" }),
  facetOrder: z.array(z.string()).optional().meta({ description: 'facet fields in the order to show them, the most selective first' }),
  cached: z.boolean().meta({ description: 'the answer came from the results cache' }),
  tookMs: z.number(),
});
export type SearchResponse = z.infer<typeof SearchResponseSchema>;

export const FacetsQuerySchema = z.object({
  filters: FiltersSchema.optional().meta({ description: "filters as a JSON string; each field's counts ignore its own filter" }),
});

export const FacetsResponseSchema = z.object({
  facets: FacetsSchema,
  facetOrder: z.array(z.string()).meta({ description: 'facet fields in the order to show them, the most selective first' }),
  total: z.number().int(),
  unmatchedFilters: z.array(UnmatchedFilterSchema),
});
export type FacetsResponse = z.infer<typeof FacetsResponseSchema>;

export const ProductSchema = HitSchema.omit({ score: true, similarity: true });
export type Product = z.infer<typeof ProductSchema>;

export const ProductParamsSchema = z.object({ id: z.string().meta({ description: 'product id' }) });
