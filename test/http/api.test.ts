// The HTTP API over a real context: the tiny ONNX model, a real LanceDB in a temp dir, requests through
// Fastify's inject (the socket itself is covered by the CLI end-to-end suite).
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { buildContext, type AppContext } from '../../src/context.js';
import { loadConfig } from '../../src/config/config.js';
import { readCatalog } from '../../src/stores/catalog/read-catalog.js';
import { runIndex } from '../../src/services/index.service.js';
import { openApiDocument } from '../../src/http/openapi.js';
import { makeSyntheticCatalog, type SyntheticCatalog } from '../support/synthetic-catalog.js';

const TINY_MODEL = path.resolve(import.meta.dirname, '../fixtures/tiny-clip');

function multipart(fields: Record<string, string>, file?: { name: string; filename: string; type: string; bytes: Buffer }) {
  const boundary = '----vitrine' + Math.random().toString(16).slice(2);
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`));
    chunks.push(file.bytes, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('HTTP API', () => {
  let catalog: SyntheticCatalog;
  let dataDir: string;
  let ctx: AppContext;
  let app: FastifyInstance;

  beforeAll(async () => {
    catalog = await makeSyntheticCatalog(24);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-api-'));
    const config = loadConfig({ env: {}, flags: { dataDir, model: TINY_MODEL, maxUploadBytes: 200_000, maxQueryChars: 500 } });
    ctx = await buildContext(config);
    const report = await runIndex({ entries: readCatalog({ source: catalog.csv }), embedder: ctx.embedder, store: ctx.store, loadImage: ctx.loadImage, batchSize: 8 });
    expect(report.ok).toBe(24);
    app = await buildApp({ context: ctx, maxUploadBytes: config.maxUploadBytes });
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(catalog.dir, { recursive: true, force: true });
  });

  it('text search returns 8 scored hits by default, best first, with image URLs and attributes', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'red t-shirt' } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.hits).toHaveLength(8);
    expect(body.total).toBe(24);
    expect(typeof body.tookMs).toBe('number');
    for (let i = 1; i < body.hits.length; i++) expect(body.hits[i - 1].score).toBeGreaterThanOrEqual(body.hits[i].score);
    expect(body.hits[0]).toMatchObject({ imageUrl: `/images/${body.hits[0].id}` });
    expect(Object.keys(body.hits[0].attributes).sort()).toEqual(['articleType', 'baseColour', 'gender']);
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('pages with k and offset', async () => {
    const all = (await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'dress', k: 10 } })).json();
    const page = (await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'dress', k: 5, offset: 5 } })).json();
    expect(page.hits.map((h: { id: string }) => h.id)).toEqual(all.hits.slice(5, 10).map((h: { id: string }) => h.id));
  });

  it('filters narrow the results and facet counts follow them', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'shirt', k: 100, filters: { baseColour: 'Red', gender: ['Men', 'Women'] }, facets: true } });
    const body = res.json();
    expect(body.hits.length).toBe(4);
    expect(body.total).toBe(4);
    expect(body.hits.every((h: { attributes: { baseColour: string } }) => h.attributes.baseColour === 'Red')).toBe(true);
    expect(body.facets.baseColour.find((f: { value: string }) => f.value === 'Blue').count).toBe(4);
    expect(body.facets.gender.reduce((s: number, f: { count: number }) => s + f.count, 0)).toBe(4);
    const facets = (await app.inject({ method: 'GET', url: `/api/facets?filters=${encodeURIComponent(JSON.stringify({ articleType: 'Jeans' }))}` })).json();
    expect(facets.total).toBe(6);
    expect(facets.facets.articleType).toContainEqual({ value: 'Tshirts', count: 6 });
  });

  it('an uploaded photo of an indexed product finds that product first', async () => {
    const row = catalog.rows[7];
    const bytes = await readFile(path.join(catalog.dir, row.image));
    const res = await app.inject({ method: 'POST', url: '/api/search', ...multipart({ k: '3' }, { name: 'image', filename: 'q.jpg', type: 'image/jpeg', bytes }) });
    expect(res.statusCode).toBe(200);
    expect(res.json().hits[0].id).toBe(row.id);
    expect(res.json().hits[0].score).toBeCloseTo(1, 4);
  });

  it('more like this searches with the product and leaves it out', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/search', payload: { productId: '1003', k: 5 } });
    expect(res.statusCode).toBe(200);
    expect(res.json().hits).toHaveLength(5);
    expect(res.json().hits.map((h: { id: string }) => h.id)).not.toContain('1003');
    const missing = await app.inject({ method: 'POST', url: '/api/search', payload: { productId: 'nope' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
  });

  it.each([
    [{}, 400, 'EMPTY_QUERY'],
    [{ text: '   ' }, 400, 'EMPTY_QUERY'],
    [{ text: 'x', k: 0 }, 400, 'BAD_REQUEST'],
    [{ text: 'x', k: 101 }, 400, 'BAD_REQUEST'],
    [{ text: 'x', k: 2.5 }, 400, 'BAD_REQUEST'],
    [{ text: 'x', offset: -1 }, 400, 'BAD_REQUEST'],
    [{ text: 'x', minScore: 3 }, 400, 'BAD_REQUEST'],
    [{ text: 'x', filters: { size: 'XL' } }, 400, 'UNKNOWN_FILTER_FIELD'],
    [{ text: 'x', filters: 'red' }, 400, 'BAD_REQUEST'],
    [{ text: 'x'.repeat(501) }, 400, 'BAD_REQUEST'],
    [{ text: 42 }, 400, 'BAD_REQUEST'],
  ])('rejects %j with %i %s', async (payload, status, code) => {
    const res = await app.inject({ method: 'POST', url: '/api/search', payload });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ code });
    expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('truncates text longer than the model context and says so', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'blue '.repeat(90) } });
    expect(res.statusCode).toBe(200);
    expect(res.json().truncated).toBe(true);
  });

  it('answers bad uploads and bodies with clear 4xx errors and keeps serving', async () => {
    const notImage = await app.inject({ method: 'POST', url: '/api/search', ...multipart({}, { name: 'image', filename: 'a.txt', type: 'text/plain', bytes: Buffer.from('hello, not a photo') }) });
    expect(notImage.statusCode).toBe(400);
    expect(notImage.json().code).toBe('INVALID_IMAGE');
    const huge = await app.inject({ method: 'POST', url: '/api/search', ...multipart({}, { name: 'image', filename: 'big.jpg', type: 'image/jpeg', bytes: Buffer.alloc(300_000, 1) }) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('PAYLOAD_TOO_LARGE');
    const xml = await app.inject({ method: 'POST', url: '/api/search', headers: { 'content-type': 'application/xml' }, payload: '<q/>' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const badJson = await app.inject({ method: 'POST', url: '/api/search', headers: { 'content-type': 'application/json' }, payload: '{"text":' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().code).toBe('BAD_REQUEST');
    const ok = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'still working' } });
    expect(ok.statusCode).toBe(200);
  });

  it('serves indexed images by id only, never by path', async () => {
    const res = await app.inject({ method: 'GET', url: '/images/1005' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.rawPayload.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    for (const url of ['/images/..%2F..%2Fetc%2Fpasswd', '/images/%2Fetc%2Fpasswd', '/images/../package.json']) {
      const bad = await app.inject({ method: 'GET', url });
      expect(bad.statusCode).toBe(404);
      expect(bad.body).not.toContain('root:');
    }
  });

  it('keeps the seed service routes: text_url, image_url, display_text, display_image', async () => {
    const textUrls = await app.inject({
      method: 'POST',
      url: '/text_url?text_query=blue%20jeans',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(textUrls.statusCode).toBe(200);
    const urls = textUrls.json() as string[];
    expect(urls).toHaveLength(8);
    expect(urls[0]).toMatch(/^http:\/\/localhost(:\d+)?\/images\/\d+$/);
    const bytes = await readFile(path.join(catalog.dir, catalog.rows[2].image));
    const imageUrls = await app.inject({ method: 'POST', url: '/image_url', ...multipart({}, { name: 'image_file', filename: 'q.jpg', type: 'image/jpeg', bytes }) });
    expect(imageUrls.statusCode).toBe(200);
    expect(imageUrls.json()[0]).toMatch(new RegExp(`/images/${catalog.rows[2].id}$`));
    const html = await app.inject({ method: 'POST', url: '/display_text?text_query=red', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect((html.body.match(/<img /g) ?? []).length).toBe(8);
    const htmlImage = await app.inject({ method: 'POST', url: '/display_image', ...multipart({}, { name: 'image_file', filename: 'q.jpg', type: 'image/jpeg', bytes }) });
    expect(htmlImage.statusCode).toBe(200);
    expect((htmlImage.body.match(/<img /g) ?? []).length).toBe(8);
    const missing = await app.inject({ method: 'POST', url: '/text_url' });
    expect(missing.statusCode).toBe(400);
  });

  it('reports health and readiness, documents every route, and answers unknown routes with JSON 404', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = (await app.inject('/readyz')).json();
    expect(ready).toMatchObject({ status: 'ready', count: 24, dimension: 16 });
    const doc = (await app.inject('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const route of ['/api/search', '/api/facets', '/api/products/{id}', '/images/{id}', '/text_url', '/image_url', '/display_text', '/display_image', '/healthz', '/readyz']) {
      expect(Object.keys(doc.paths)).toContain(route);
    }
    expect(Object.keys(openApiDocument.paths).length).toBe(Object.keys(doc.paths).length);
    expect((await app.inject('/docs')).body).toContain('/api/search');
    const notFound = await app.inject('/nope');
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json().code).toBe('NOT_FOUND');
  });

  it('accepts and returns the caller request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers['x-request-id']).toBe('abc-123');
  });

  it('answers 503 NOT_READY while the model is loading', async () => {
    const loading = await buildApp({ context: () => null });
    expect((await loading.inject('/readyz')).statusCode).toBe(503);
    const res = await loading.inject({ method: 'POST', url: '/api/search', payload: { text: 'x' } });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('NOT_READY');
    await loading.close();
  });
});
