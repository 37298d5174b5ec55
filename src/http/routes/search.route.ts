// POST /api/search: text, photo, "more like this" or a mix, with filters, paging and facets; as JSON or as
// a multipart form with the photo.
import { trace } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { searchFormSchema, searchRequestSchema, SearchResponseSchema, type SearchResponse } from '../../api/search.schema.js';
import { AppError } from '../../errors/app-error.js';
import type { SearchQuery } from '../../services/search.service.js';
import { readMultipart } from '../content-types.js';
import { parseFields } from '../request-parse.js';
import type { RouteSpec } from '../route.js';
import { toDomainFilters, toWireHit } from '../wire-mapping.js';

export const searchRoute: RouteSpec = {
  method: 'POST',
  url: '/api/search',
  access: 'read',
  doc: (limits) => ({
    summary: 'Search by text, image, product (more like this), or a mix, with filters',
    body: { json: searchRequestSchema(limits), form: searchFormSchema(limits) },
    responses: { 200: { description: 'Hits, best first', schema: SearchResponseSchema } },
    errors: [400, 404, 409, 413, 415, 503],
  }),
  handler: ({ ready, limits }) => {
    const schema = searchRequestSchema(limits);
    const readQuery = async (request: FastifyRequest): Promise<SearchQuery> => {
      let raw: Record<string, unknown>;
      let image: Buffer | undefined;
      if (request.isMultipart()) {
        ({ fields: raw, image } = await readMultipart(request));
      } else {
        const body = request.body;
        if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
          throw new AppError('BAD_REQUEST', 'send a JSON object such as {"text": "crop top"} or a multipart form with an image');
        }
        raw = body as Record<string, unknown>;
      }
      const { productId, filters, ...fields } = parseFields(schema, raw);
      return {
        ...fields,
        image,
        productId: productId === undefined ? undefined : String(productId),
        filters: toDomainFilters(filters, limits.maxFilterValues),
      };
    };
    return async (request): Promise<SearchResponse> => {
      const ctx = ready();
      const result = await ctx.search.search(await readQuery(request));
      trace.getActiveSpan()?.setAttribute('vitrine.cache_hit', result.cached);
      return { ...result, hits: result.hits.map((h) => toWireHit(h)) };
    };
  },
};
