// buildApp returns the Fastify app without listening (tests use inject()); server.ts listens. All errors go
// through one handler: AppError -> its status and {code, message}; anything unexpected -> 500 INTERNAL with
// the details only in the server log.
import { existsSync } from 'node:fs';

import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { trace } from '@opentelemetry/api';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { inSpan } from '../observability/tracing.js';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import { AppError, isAppError } from '../errors/app-error.js';
import type { AppContext } from '../context.js';
import type { Filters, Hit } from '../domain/types.js';
import type { SearchQuery } from '../services/search.service.js';
import { openApiDocument, renderDocsPage } from './openapi.js';
import { renderResultsPage } from './render-html.js';
import { probeImage } from '../model/image-decode.js';

export interface BuildAppOptions {
  /** The loaded context, or a getter that returns null while the model is still loading. */
  context: AppContext | (() => AppContext | null);
  /** pino options or false. */
  logger?: boolean | Record<string, unknown>;
  /** Built web page folder served at `/`; defaults to dist/web of the package. */
  webDir?: string;
  maxUploadBytes?: number;
  /** Metrics registry served at /metrics; defaults to the context's. */
  metrics?: Metrics;
}

const SEED_TOP_K = 8;

function parseFilters(value: unknown): Filters | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'object') return value as Filters;
  try {
    const parsed = JSON.parse(String(value)) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Filters;
  } catch {
    throw new AppError('BAD_REQUEST', 'filters must be a JSON object of field -> value or [values]');
  }
}

function parseBoolean(value: unknown): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  return ['1', 'true', 'yes', 'on'].includes(String(value).toLowerCase());
}

function parseNumber(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new AppError('BAD_REQUEST', `${name} must be a number`);
  return n;
}

/** Reads a multipart body: one image file (field `image`, or the seed's `image_file`) and text fields. */
async function readMultipart(request: FastifyRequest): Promise<{ fields: Record<string, string>; image?: Buffer }> {
  const fields: Record<string, string> = {};
  let image: Buffer | undefined;
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'image' && part.fieldname !== 'image_file') {
        await part.toBuffer();
        throw new AppError('BAD_REQUEST', `unexpected file field ${part.fieldname}; send the photo as "image"`);
      }
      image = await part.toBuffer();
    } else {
      fields[part.fieldname] = String(part.value);
    }
  }
  return { fields, image };
}

function parseText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AppError('BAD_REQUEST', 'text must be a string');
  return value;
}

function toQuery(body: Record<string, unknown>, image?: Buffer): SearchQuery {
  return {
    text: parseText(body.text),
    productId: body.productId === undefined ? undefined : String(body.productId),
    image,
    k: parseNumber(body.k, 'k'),
    offset: parseNumber(body.offset, 'offset'),
    minScore: parseNumber(body.minScore, 'minScore'),
    filters: parseFilters(body.filters),
    facets: parseBoolean(body.facets),
  };
}

export function imageUrlFor(hit: { id: string; imageRef: string }, base = ''): string {
  return /^https?:\/\//i.test(hit.imageRef) ? hit.imageRef : `${base}/images/${encodeURIComponent(hit.id)}`;
}

function publicHit(hit: Hit, base = '') {
  return { id: hit.id, score: hit.score, title: hit.title, imageUrl: imageUrlFor(hit, base), attributes: hit.attributes };
}

const MIME: Record<string, string> = {
  jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif', heif: 'image/heif', tiff: 'image/tiff', svg: 'image/svg+xml',
};

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const getContext = typeof options.context === 'function' ? options.context : () => options.context as AppContext;
  const ready = (): AppContext => {
    const ctx = getContext();
    if (!ctx) throw new AppError('NOT_READY', 'the model and index are still loading; retry shortly');
    return ctx;
  };
  const maxUploadBytes = options.maxUploadBytes ?? 20 * 1024 * 1024;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // One log line per request, written in onResponse below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const metrics = options.metrics ?? (typeof options.context === 'function' ? null : options.context.metrics) ?? createMetrics({ processMetrics: false });

  // Every route handler runs inside a span named after its route, carrying the request id.
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    const name = `${route.method} ${route.url}`;
    route.handler = function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      return inSpan(name, { 'http.request.method': String(request.method), 'http.route': route.url, 'vitrine.request_id': request.id }, async (span) => {
        try {
          return await handler.call(this, request, reply);
        } finally {
          span.setAttribute('http.response.status_code', reply.statusCode);
        }
      });
    } as typeof route.handler;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
    request.log.info(
      { method: request.method, url: request.url, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
      'request',
    );
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(multipart, { limits: { fileSize: maxUploadBytes, files: 1, fields: 20, fieldSize: 100_000 } });
  // The seed client posts with content-type x-www-form-urlencoded and its parameters in the query string.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    if (isAppError(error)) {
      if (error.httpStatus >= 500) request.log.error({ err: error }, error.message);
      return reply.status(error.httpStatus).send({ code: error.code, message: error.message });
    }
    const e = error as { statusCode?: number; code?: string; message?: string };
    if (e.code === 'FST_REQ_FILE_TOO_LARGE' || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
      return reply.status(413).send({ code: 'PAYLOAD_TOO_LARGE', message: `the request is larger than the limit (${maxUploadBytes} bytes for uploads)` });
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.statusCode === 415) {
      return reply.status(415).send({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send application/json or multipart/form-data' });
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.status(e.statusCode).send({ code: 'BAD_REQUEST', message: e.message ?? 'bad request' });
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.status(500).send({ code: 'INTERNAL', message: `internal error; quote request id ${request.id} to the operator` });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  const rendered = (fn: () => string) =>
    inSpan('vitrine.render', {}, async () => {
      const end = metrics.stages.render.startTimer();
      try {
        return fn();
      } finally {
        end();
      }
    });
  const baseUrl = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  const runSearch = async (request: FastifyRequest) => {
    const ctx = ready();
    let query: SearchQuery;
    if (request.isMultipart()) {
      const { fields, image } = await readMultipart(request);
      query = toQuery(fields, image);
    } else {
      const body = request.body;
      if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new AppError('BAD_REQUEST', 'send a JSON object such as {"text": "crop top"} or a multipart form with an image');
      }
      query = toQuery(body as Record<string, unknown>);
    }
    return ctx.search.search(query);
  };

  app.post('/api/search', async (request) => {
    const result = await runSearch(request);
    trace.getActiveSpan()?.setAttribute('vitrine.cache_hit', result.cached);
    return { ...result, hits: result.hits.map((h) => publicHit(h)) };
  });

  app.get('/api/facets', async (request) => {
    const ctx = ready();
    const filters = parseFilters((request.query as Record<string, unknown>).filters);
    const [facets, total] = await Promise.all([ctx.search.facets(filters), ctx.store.count(filters)]);
    return { facets, total };
  });

  app.get('/api/products/:id', async (request) => {
    const { id } = request.params as { id: string };
    const item = await ready().store.get(id);
    if (!item) throw new AppError('NOT_FOUND', `product ${id} is not in the index`);
    return { id: item.id, title: item.title, imageUrl: imageUrlFor(item), attributes: item.attributes };
  });

  app.get('/images/:id', async (request, reply: FastifyReply) => {
    const { id } = request.params as { id: string };
    const ctx = ready();
    // The id is only ever a lookup key: the file path comes from the index, never from the request.
    const item = await ctx.store.get(id);
    if (!item) throw new AppError('NOT_FOUND', `product ${id} is not in the index`);
    if (/^https?:\/\//i.test(item.imageRef)) return reply.redirect(item.imageRef, 302);
    if (!existsSync(item.imageRef)) throw new AppError('NOT_FOUND', `the image of product ${id} is no longer on disk`);
    const bytes = await ctx.loadImage(item.imageRef);
    const { format } = await probeImage(bytes, { maxBytes: Infinity, maxPixels: Infinity });
    return reply.type(MIME[format] ?? 'application/octet-stream').header('cache-control', 'public, max-age=3600').send(bytes);
  });

  // Seed-compatible routes: same parameters as the original Python service, so its client.py works unchanged.
  const seedTextHits = async (request: FastifyRequest) => {
    const q = request.query as Record<string, unknown>;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const text = q.text_query ?? body.text_query;
    if (typeof text !== 'string' || text.trim() === '') throw new AppError('EMPTY_QUERY', 'text_query is required');
    return ready().search.search({ text, k: SEED_TOP_K });
  };
  const seedImageHits = async (request: FastifyRequest) => {
    if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the photo as multipart/form-data field image_file');
    const { image } = await readMultipart(request);
    if (!image) throw new AppError('EMPTY_QUERY', 'image_file is required');
    return ready().search.search({ image, k: SEED_TOP_K });
  };
  app.post('/text_url', async (request) => (await seedTextHits(request)).hits.map((h) => imageUrlFor(h, baseUrl(request))));
  app.post('/image_url', async (request) => (await seedImageHits(request)).hits.map((h) => imageUrlFor(h, baseUrl(request))));
  app.post('/display_text', async (request, reply) => {
    const result = await seedTextHits(request);
    const text = String((request.query as Record<string, unknown>).text_query ?? (request.body as Record<string, unknown>)?.text_query);
    const page = await rendered(() =>
      renderResultsPage({ query: `"${text}"`, hits: result.hits.map((h) => ({ ...h, imageSrc: imageUrlFor(h, baseUrl(request)) })), tookMs: result.tookMs }),
    );
    return reply.type('text/html; charset=utf-8').send(page);
  });
  app.post('/display_image', async (request, reply) => {
    const result = await seedImageHits(request);
    const page = await rendered(() =>
      renderResultsPage({ query: 'an uploaded photo', hits: result.hits.map((h) => ({ ...h, imageSrc: imageUrlFor(h, baseUrl(request)) })), tookMs: result.tookMs }),
    );
    return reply.type('text/html; charset=utf-8').send(page);
  });

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ctx = getContext();
    if (!ctx) return reply.status(503).send({ code: 'NOT_READY', message: 'loading model and index' });
    try {
      const count = await ctx.store.count();
      return { status: 'ready', model: ctx.embedder.manifest.id, modelHash: ctx.embedder.manifest.hash, dimension: ctx.embedder.manifest.dimension, count };
    } catch {
      return reply.status(503).send({ code: 'STORE_ERROR', message: 'the vector store does not answer' });
    }
  });
  app.get('/openapi.json', async () => openApiDocument);
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(renderDocsPage()));

  const webDir = options.webDir ?? path.resolve(import.meta.dirname, '../web');
  if (existsSync(path.join(webDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: false, index: 'index.html' });
  } else {
    app.get('/', async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send('<!doctype html><title>Vitrine</title><p>The web page is not built (run <code>npm run build</code>). The API is at <a href="/docs">/docs</a>.</p>'),
    );
  }
  return app;
}

