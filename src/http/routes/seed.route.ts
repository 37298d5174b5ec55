// The original Python service's four routes, with its parameters, so its client.py works unchanged: the top
// hits (8, as the seed had, or the configured largest k if smaller) for a text or a photo, as image URLs or
// as an HTML grid.
import type { FastifyRequest } from 'fastify';
import type { ApiLimits } from '../../api/limits.schema.js';
import { SeedImageFormSchema, SeedTextQuerySchema, SeedUrlsSchema, type SeedUrls } from '../../api/seed.schema.js';
import { AppError } from '../../errors/app-error.js';
import { inSpan } from '../../observability/tracing.js';
import type { SearchResult } from '../../services/search.service.js';
import { readMultipart } from '../content-types.js';
import { renderResultsPage } from '../render-html.js';
import { parseFields } from '../request-parse.js';
import type { RouteDeps, RouteSpec } from '../route.js';
import { imageUrlFor } from '../wire-mapping.js';

const SEED_TOP_K = 8;
const topK = (limits: ApiLimits) => Math.min(SEED_TOP_K, limits.maxK);

const baseUrl = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

/** The text and its hits; the text comes in the query string (or a form body), as the seed client sends it. */
async function textHits(deps: RouteDeps, request: FastifyRequest): Promise<{ text: string; result: SearchResult }> {
  const query = request.query as Record<string, unknown>;
  const body = (request.body ?? {}) as Record<string, unknown>;
  const { text_query: text } = parseFields(SeedTextQuerySchema, { text_query: query.text_query ?? body.text_query }, { code: 'EMPTY_QUERY' });
  return { text, result: await deps.ready().search.search({ text, k: topK(deps.limits) }) };
}

async function imageHits(deps: RouteDeps, request: FastifyRequest): Promise<SearchResult> {
  if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the photo as multipart/form-data field image_file');
  const { image } = await readMultipart(request);
  if (!image) throw new AppError('EMPTY_QUERY', 'image_file is required');
  return deps.ready().search.search({ image, k: topK(deps.limits) });
}

function renderPage(deps: RouteDeps, request: FastifyRequest, query: string, result: SearchResult): Promise<string> {
  return inSpan('vitrine.render', {}, async () => {
    const end = deps.metrics.stages.render.startTimer();
    try {
      const hits = result.hits.map((h) => ({ ...h, imageSrc: imageUrlFor(h, baseUrl(request)) }));
      return renderResultsPage({ query, hits, tookMs: result.tookMs });
    } finally {
      end();
    }
  });
}

const urlsOf = (request: FastifyRequest, result: SearchResult): SeedUrls => result.hits.map((h) => imageUrlFor(h, baseUrl(request)));
const textQueryDoc = { query: SeedTextQuerySchema, errors: [400] };
const imageFormDoc = { body: { form: SeedImageFormSchema }, errors: [400, 413] };
const urlsDoc = { 200: { description: 'Image URLs', schema: SeedUrlsSchema } };
const pageDoc = { 200: { description: 'HTML page', mediaType: 'text/html' } };

export const seedRoutes: RouteSpec[] = [
  {
    method: 'POST',
    url: '/text_url',
    access: 'read',
    doc: (limits) => ({ summary: `Seed-compatible: image URLs of the top ${topK(limits)} products for a text`, ...textQueryDoc, responses: urlsDoc }),
    handler: (deps) => async (request) => urlsOf(request, (await textHits(deps, request)).result),
  },
  {
    method: 'POST',
    url: '/image_url',
    access: 'read',
    doc: (limits) => ({ summary: `Seed-compatible: image URLs of the top ${topK(limits)} products for a photo`, ...imageFormDoc, responses: urlsDoc }),
    handler: (deps) => async (request) => urlsOf(request, await imageHits(deps, request)),
  },
  {
    method: 'POST',
    url: '/display_text',
    access: 'read',
    doc: (limits) => ({ summary: `Seed-compatible: an HTML grid of the top ${topK(limits)} products for a text`, ...textQueryDoc, responses: pageDoc }),
    handler: (deps) => async (request, reply) => {
      const { text, result } = await textHits(deps, request);
      return reply.type('text/html; charset=utf-8').send(await renderPage(deps, request, `"${text}"`, result));
    },
  },
  {
    method: 'POST',
    url: '/display_image',
    access: 'read',
    doc: (limits) => ({ summary: `Seed-compatible: an HTML grid of the top ${topK(limits)} products for a photo`, ...imageFormDoc, responses: pageDoc }),
    handler: (deps) => async (request, reply) => {
      const result = await imageHits(deps, request);
      return reply.type('text/html; charset=utf-8').send(await renderPage(deps, request, 'an uploaded photo', result));
    },
  },
];
