// The OpenAPI 3.1 document of the HTTP API, served at /openapi.json and rendered at /docs. A test checks that
// every route the app registers is documented here.
import { ERROR_CODES } from '../errors/codes.js';

const error = { $ref: '#/components/schemas/Error' };
const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: 'Error', content: { 'application/json': { schema: error } } }]));

const searchFields = {
  text: { type: 'string', description: 'Query text; cut to the model context (then `truncated` is true).' },
  productId: { type: 'string', description: 'More like this: search with this indexed product\'s image; the product itself is left out.' },
  k: { type: 'integer', minimum: 1, maximum: 100, default: 8 },
  offset: { type: 'integer', minimum: 0, maximum: 10000, default: 0 },
  filters: {
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    description: 'Attribute equality filters: field -> value or any of several values. Unknown fields are a 400.',
  },
  minScore: { type: 'number', minimum: -1, maximum: 1 },
  facets: { type: 'boolean', description: 'Also return facet counts over the products matching the filters.' },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Vitrine',
    version: '0.1.0',
    description: 'Search a fashion catalog by text and by image with a CLIP-style model.',
  },
  paths: {
    '/api/search': {
      post: {
        summary: 'Search by text, image, product (more like this), or a mix, with filters',
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { type: 'object', properties: searchFields } },
            'multipart/form-data': {
              schema: {
                type: 'object',
                properties: {
                  image: { type: 'string', format: 'binary', description: 'JPEG, PNG, WebP, GIF, AVIF or TIFF photo' },
                  ...searchFields,
                  filters: { type: 'string', description: 'filters as a JSON string' },
                },
              },
            },
          },
        },
        responses: {
          '200': { description: 'Hits, best first', content: { 'application/json': { schema: { $ref: '#/components/schemas/SearchResult' } } } },
          ...errorResponses(400, 404, 409, 413, 415, 503),
        },
      },
    },
    '/api/facets': {
      get: {
        summary: 'Facet counts (value -> number of products) for every attribute field',
        parameters: [{ name: 'filters', in: 'query', schema: { type: 'string' }, description: 'filters as a JSON string; each field\'s counts ignore its own filter' }],
        responses: {
          '200': {
            description: 'Counts',
            content: { 'application/json': { schema: { type: 'object', properties: { facets: { $ref: '#/components/schemas/Facets' }, total: { type: 'integer' } } } } },
          },
          ...errorResponses(400, 503),
        },
      },
    },
    '/api/products/{id}': {
      get: {
        summary: 'One indexed product',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'The product', content: { 'application/json': { schema: { $ref: '#/components/schemas/Hit' } } } }, ...errorResponses(404) },
      },
    },
    '/images/{id}': {
      get: {
        summary: 'The photo of an indexed product (local files are served; remote images are redirected)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'Image bytes', content: { 'image/*': {} } }, '302': { description: 'Remote image' }, ...errorResponses(404) },
      },
    },
    '/text_url': {
      post: {
        summary: 'Seed-compatible: image URLs of the top 8 products for a text',
        parameters: [{ name: 'text_query', in: 'query', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'Image URLs', content: { 'application/json': { schema: { type: 'array', items: { type: 'string' } } } } }, ...errorResponses(400) },
      },
    },
    '/image_url': {
      post: {
        summary: 'Seed-compatible: image URLs of the top 8 products for a photo',
        requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { image_file: { type: 'string', format: 'binary' } } } } } },
        responses: { '200': { description: 'Image URLs', content: { 'application/json': { schema: { type: 'array', items: { type: 'string' } } } } }, ...errorResponses(400, 413) },
      },
    },
    '/display_text': {
      post: {
        summary: 'Seed-compatible: an HTML grid of the top 8 products for a text',
        parameters: [{ name: 'text_query', in: 'query', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'HTML page', content: { 'text/html': {} } }, ...errorResponses(400) },
      },
    },
    '/display_image': {
      post: {
        summary: 'Seed-compatible: an HTML grid of the top 8 products for a photo',
        requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { image_file: { type: 'string', format: 'binary' } } } } } },
        responses: { '200': { description: 'HTML page', content: { 'text/html': {} } }, ...errorResponses(400, 413) },
      },
    },
    '/metrics': { get: { summary: 'Prometheus metrics: requests, latency per route and query stage, cache hits, index size, process', responses: { '200': { description: 'text/plain exposition format' } } } },
    '/healthz': { get: { summary: 'Liveness: the process answers', responses: { '200': { description: 'ok' } } } },
    '/readyz': {
      get: { summary: 'Readiness: model loaded and store open', responses: { '200': { description: 'ready' }, ...errorResponses(503) } },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
    '/docs': { get: { summary: 'This document as a page', responses: { '200': { description: 'HTML' } } } },
  },
  components: {
    schemas: {
      Error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string', enum: Object.keys(ERROR_CODES) }, message: { type: 'string' } },
        description: Object.entries(ERROR_CODES)
          .map(([code, e]) => `${code} (${e.httpStatus}): ${e.description}`)
          .join('\n'),
      },
      Hit: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          score: { type: 'number', description: 'cosine similarity' },
          title: { type: 'string' },
          imageUrl: { type: 'string' },
          attributes: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      Facets: {
        type: 'object',
        additionalProperties: { type: 'array', items: { type: 'object', properties: { value: { type: 'string' }, count: { type: 'integer' } } } },
      },
      SearchResult: {
        type: 'object',
        properties: {
          hits: { type: 'array', items: { $ref: '#/components/schemas/Hit' } },
          tookMs: { type: 'number' },
          k: { type: 'integer' },
          offset: { type: 'integer' },
          total: { type: 'integer', description: 'products matching the filters' },
          truncated: { type: 'boolean' },
          facets: { $ref: '#/components/schemas/Facets' },
        },
      },
    },
  },
} as const;

export function renderDocsPage(): string {
  const rows = Object.entries(openApiDocument.paths)
    .flatMap(([p, ops]) =>
      Object.entries(ops as Record<string, { summary: string }>).map(
        ([method, op]) => `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${p}</code></td><td>${op.summary}</td></tr>`,
      ),
    )
    .join('\n');
  const errors = Object.entries(ERROR_CODES)
    .map(([code, e]) => `<tr><td><code>${code}</code></td><td>${e.httpStatus}</td><td>${e.description}</td></tr>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vitrine API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}td{padding:.3rem .6rem;border-bottom:1px solid #eee;vertical-align:top}</style>
</head><body><h1>Vitrine API</h1><p>The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>
<table>${rows}</table><h2>Errors</h2><p>Every error answers <code>{"code", "message"}</code>.</p><table>${errors}</table></body></html>`;
}
