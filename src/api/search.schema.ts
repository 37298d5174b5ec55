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

/** The fields of a search, as JSON or as multipart form fields (where numbers, booleans and filters are text). */
export function searchRequestSchema(limits: ApiLimits) {
  return z.object({
    text: z
      .string({ error: 'text must be a string' })
      .optional()
      .meta({ description: `Query text, at most ${limits.maxQueryChars} characters; cut to the model context (then \`truncated\` is true).` }),
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
      .meta({ minimum: -1, maximum: 1, description: 'Leave out hits scoring below this.' }),
    facets: z.boolean().optional().meta({ description: 'Also return facet counts over the products matching the filters.' }),
  });
}
export type SearchRequest = z.infer<ReturnType<typeof searchRequestSchema>>;

/** The multipart form of a search: a photo plus the JSON fields, with `filters` as a JSON string. */
export function searchFormSchema(limits: ApiLimits) {
  return searchRequestSchema(limits).extend({
    image: z.file().optional().meta({ description: `JPEG, PNG, WebP, GIF, AVIF or TIFF photo, at most ${limits.maxUploadBytes} bytes.` }),
    filters: z.string().optional().meta({ description: 'filters as a JSON string' }),
  });
}

export const HitSchema = z.object({
  id: z.string(),
  score: z.number().meta({ description: 'cosine similarity' }),
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
  hits: z.array(HitSchema),
  k: z.number().int(),
  offset: z.number().int(),
  total: z.number().int().meta({ description: 'products matching the filters' }),
  truncated: z.boolean().meta({ description: "the query text was cut to the model's context length" }),
  facets: FacetsSchema.optional(),
  cached: z.boolean().meta({ description: 'the answer came from the results cache' }),
  tookMs: z.number(),
});
export type SearchResponse = z.infer<typeof SearchResponseSchema>;

export const FacetsQuerySchema = z.object({
  filters: FiltersSchema.optional().meta({ description: "filters as a JSON string; each field's counts ignore its own filter" }),
});

export const FacetsResponseSchema = z.object({ facets: FacetsSchema, total: z.number().int() });
export type FacetsResponse = z.infer<typeof FacetsResponseSchema>;

export const ProductSchema = HitSchema.omit({ score: true });
export type Product = z.infer<typeof ProductSchema>;

export const ProductParamsSchema = z.object({ id: z.string().meta({ description: 'product id' }) });
