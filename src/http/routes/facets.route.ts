// GET /api/facets: value counts of every attribute field over the products matching the filters, for the
// web page before any query.
import { FacetsQuerySchema, FacetsResponseSchema, type FacetsResponse } from '../../api/search.schema.js';
import { parseFields } from '../request-parse.js';
import type { RouteSpec } from '../route.js';
import { toDomainFilters } from '../wire-mapping.js';

export const facetsRoute: RouteSpec = {
  method: 'GET',
  url: '/api/facets',
  access: 'read',
  doc: () => ({
    summary: 'Facet counts (value -> number of products) for every attribute field',
    query: FacetsQuerySchema,
    responses: { 200: { description: 'Counts', schema: FacetsResponseSchema } },
    errors: [400, 503],
  }),
  handler: ({ ready, limits }) =>
    async (request): Promise<FacetsResponse> => {
      const ctx = ready();
      const filters = toDomainFilters(parseFields(FacetsQuerySchema, request.query as Record<string, unknown>).filters, limits.maxFilterValues);
      const [facets, total] = await Promise.all([ctx.search.facets(filters), ctx.store.count(filters)]);
      return { facets, total };
    },
};
