// GET /api/facets: value counts of the facet fields over the products matching the filters, for the web page
// before any query, with the fields' order and the filter values that match no product.
import { FacetsQuerySchema, FacetsResponseSchema, type FacetsResponse } from '../../api/search.schema.js';
import { parseFields } from '../request-parse.js';
import type { RouteSpec } from '../route.js';
import { toDomainFilters } from '../wire-mapping.js';

export const facetsRoute: RouteSpec = {
  method: 'GET',
  url: '/api/facets',
  access: 'read',
  doc: () => ({
    summary: 'Facet counts (value -> number of products) of the facet fields, most selective field first',
    query: FacetsQuerySchema,
    responses: { 200: { description: 'Counts', schema: FacetsResponseSchema } },
    errors: [400, 503],
  }),
  handler: ({ ready, limits }) =>
    async (request): Promise<FacetsResponse> => {
      const ctx = ready();
      const filters = toDomainFilters(parseFields(FacetsQuerySchema, request.query as Record<string, unknown>).filters, limits.maxFilterValues);
      return ctx.search.facets(filters);
    },
};
