// The wire schemas (src/api) against the real app: answers match their declared shapes exactly, and the
// limits in the OpenAPI document and GET /api/limits are the config's, the same the search enforces.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiLimitsSchema } from '../../src/api/limits.schema.js';
import { FacetsResponseSchema, HitSchema, ProductSchema, SearchResponseSchema } from '../../src/api/search.schema.js';
import { SeedUrlsSchema } from '../../src/api/seed.schema.js';
import { ErrorBodySchema, HealthSchema, ReadinessSchema } from '../../src/api/status.schema.js';
import { loadConfig } from '../../src/config/config.js';
import { buildContext, type AppContext } from '../../src/context.js';
import { buildApp } from '../../src/http/app.js';
import { runIndex } from '../../src/services/index.service.js';
import { readCatalog } from '../../src/stores/catalog/read-catalog.js';
import { makeSyntheticCatalog, type SyntheticCatalog } from '../support/synthetic-catalog.js';

const TINY_MODEL = path.resolve(import.meta.dirname, '../fixtures/tiny-clip');

/** Parses with every object level strict, so an undeclared field in an answer fails. */
function exactly<T>(schema: z.ZodType<T>, value: unknown): T {
  const strict = (s: z.ZodType): z.ZodType => {
    if (s instanceof z.ZodObject) return z.strictObject(Object.fromEntries(Object.entries(s.shape).map(([k, v]) => [k, strict(v as z.ZodType)])));
    if (s instanceof z.ZodOptional) return strict(s.unwrap() as z.ZodType).optional();
    if (s instanceof z.ZodArray) return z.array(strict(s.element as z.ZodType));
    if (s instanceof z.ZodRecord) return z.record(z.string(), strict(s.valueType as z.ZodType));
    return s;
  };
  return strict(schema).parse(value) as T;
}

describe('wire schemas and config limits', () => {
  let catalog: SyntheticCatalog;
  let dataDir: string;
  let ctx: AppContext;
  let app: FastifyInstance;

  beforeAll(async () => {
    catalog = await makeSyntheticCatalog(12);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-schema-'));
    ctx = await buildContext(loadConfig({ env: { VITRINE_MAX_K: '7', VITRINE_MAX_QUERY_CHARS: '321' }, flags: { dataDir, model: TINY_MODEL, maxUploadBytes: 300_000 } }));
    await runIndex({ entries: readCatalog({ source: catalog.csv }), embedder: ctx.embedder, store: ctx.store, loadImage: ctx.loadImage, batchSize: 8 });
    app = await buildApp({ context: ctx });
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(catalog.dir, { recursive: true, force: true });
  });

  it('answers exactly the declared shapes', async () => {
    const search = exactly(SearchResponseSchema, (await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'red', k: 3, facets: true } })).json());
    expect(search.hits).toHaveLength(3);
    expect(search.facets).toBeDefined();
    for (const hit of search.hits) exactly(HitSchema, hit);
    exactly(FacetsResponseSchema, (await app.inject('/api/facets')).json());
    exactly(ProductSchema, (await app.inject(`/api/products/${search.hits[0].id}`)).json());
    exactly(HealthSchema, (await app.inject('/healthz')).json());
    expect(exactly(ReadinessSchema, (await app.inject('/readyz')).json()).count).toBe(12);
    const urls = exactly(SeedUrlsSchema, (await app.inject({ method: 'POST', url: '/text_url?text_query=red' })).json());
    expect(urls).toHaveLength(7); // the seed's 8, cut to the configured largest k
    const error = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'x', k: 'many' } });
    expect(error.statusCode).toBe(400);
    expect(exactly(ErrorBodySchema, error.json())).toEqual({ code: 'BAD_REQUEST', message: 'k must be a number' });
  });

  it('puts the configured limits in GET /api/limits and the OpenAPI document, and the search enforces the same', async () => {
    // The default k is lowered to maxK when maxK is configured below it (config.searchLimits).
    const limits = exactly(ApiLimitsSchema, (await app.inject('/api/limits')).json());
    expect(limits).toEqual({
      defaultK: 7,
      maxK: 7,
      maxOffset: 10_000,
      maxQueryChars: 321,
      maxUploadBytes: 300_000,
      maxFilterValues: 1000,
      defaultMode: 'hybrid',
      imageFormats: ['JPEG', 'PNG', 'WebP', 'GIF', 'AVIF', 'TIFF'],
      imageTypes: ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/heic', 'image/heif', 'image/tiff'],
    });
    const doc = (await app.inject('/openapi.json')).json();
    const json = doc.paths['/api/search'].post.requestBody.content['application/json'].schema;
    const form = doc.paths['/api/search'].post.requestBody.content['multipart/form-data'].schema;
    for (const fields of [json.properties, form.properties]) {
      expect(fields.k).toMatchObject({ type: 'integer', minimum: 1, maximum: 7, default: 7 });
      expect(fields.offset).toMatchObject({ type: 'integer', minimum: 0, maximum: 10_000 });
      expect(fields.text.description).toContain('at most 321 characters');
    }
    expect(form.properties.image).toMatchObject({ type: 'string', format: 'binary' });
    expect(form.properties.image.description).toContain('JPEG, PNG, WebP, GIF, AVIF, TIFF');
    expect(json.properties.mode).toMatchObject({ enum: ['vector', 'keyword', 'hybrid'], default: 'hybrid' });
    expect(form.properties.image.description).toContain('300000 bytes');
    expect((await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'x', k: 7 } })).statusCode).toBe(200);
    const over = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'x', k: 8 } });
    expect(over.statusCode).toBe(400);
    expect(over.json().message).toContain('from 1 to 7');
    expect((await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'x'.repeat(322) } })).json().code).toBe('BAD_REQUEST');
  });

  it('writes a document whose references all resolve and whose every route has an operation', async () => {
    const doc = (await app.inject('/openapi.json')).json();
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of new Set(refs)) expect(doc.components.schemas, ref).toHaveProperty(ref);
    expect(JSON.stringify(doc)).not.toMatch(/inline-\d|9007199254740991|"\$schema"/);
    const facetsFilter = doc.paths['/api/facets'].get.parameters[0];
    expect(facetsFilter).toMatchObject({ name: 'filters', in: 'query', content: { 'application/json': { schema: { $ref: '#/components/schemas/Filters' } } } });
    expect(doc.paths['/api/products/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true, schema: { type: 'string' } });
    expect(doc.components.schemas.Error.properties.code.enum).toContain('PAYLOAD_TOO_LARGE');
    const loading = await buildApp({ context: () => null, config: ctx.config });
    expect((await loading.inject('/api/limits')).json().maxK).toBe(7);
    await loading.close();
  });
});
