// Defects 3, 8 and 10 of issue 12 at the HTTP layer, through a real context (the tiny ONNX model, a real LanceDB in
// a temp dir) and Fastify's inject: deeply nested and flooded filters, malformed multipart bodies, per-route body
// limits, store errors without paths, security headers, CORS, query text kept out of logs, and /readyz on a store
// that was never indexed.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ConfigInput } from '../../src/config/config.js';
import { buildContext, type AppContext } from '../../src/context.js';
import { AppError } from '../../src/errors/app-error.js';
import { buildApp } from '../../src/http/app.js';
import { readCatalog } from '../../src/stores/catalog/read-catalog.js';
import { runIndex } from '../../src/services/index.service.js';
import { EncodeQueue, queuedEmbedder } from '../../src/services/encode-queue.js';
import { SearchService } from '../../src/services/search.service.js';
import { makeSyntheticCatalog, type SyntheticCatalog } from '../support/synthetic-catalog.js';

const TINY_MODEL = path.resolve(import.meta.dirname, '../fixtures/tiny-clip');

/** Log lines written by the app, parsed. */
function logSink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

function nested(depth: number): string {
  return `{"text":"shirt","filters":{"gender":${'['.repeat(depth)}"Men"${']'.repeat(depth)}}}`;
}

function multipartBody(parts: string, boundary = 'b0undary'): { payload: Buffer; headers: Record<string, string> } {
  return { payload: Buffer.from(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('HTTP hardening', () => {
  let catalog: SyntheticCatalog;
  let dataDir: string;
  let ctx: AppContext;
  const apps: FastifyInstance[] = [];

  async function appWith(flags: ConfigInput = {}, options: { log?: Writable; context?: AppContext } = {}): Promise<FastifyInstance> {
    const config = loadConfig({ env: {}, flags: { dataDir, model: TINY_MODEL, ...flags } });
    const app = await buildApp({ context: options.context ?? ctx, config, logger: options.log ? { level: 'info', stream: options.log } : false });
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    catalog = await makeSyntheticCatalog(12);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-hardening-'));
    ctx = await buildContext(loadConfig({ env: {}, flags: { dataDir, model: TINY_MODEL } }));
    const report = await runIndex({ entries: readCatalog({ source: catalog.csv }), embedder: ctx.embedder, store: ctx.store, loadImage: ctx.loadImage, batchSize: 8 });
    expect(report.ok).toBe(12);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(catalog.dir, { recursive: true, force: true });
  });

  it('answers deeply nested filters with 400, as JSON and as a multipart field', async () => {
    const app = await appWith();
    for (const depth of [3, 50, 5000, 100_000]) {
      const res = await app.inject({ method: 'POST', url: '/api/search', headers: { 'content-type': 'application/json' }, payload: nested(depth) });
      expect(res.statusCode, `depth ${depth}: ${res.body}`).toBe(400);
      expect(res.json().code).toBe('BAD_REQUEST');
    }
    const deepField = `--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nshirt\r\n--b\r\nContent-Disposition: form-data; name="filters"\r\n\r\n{"gender":${'['.repeat(50_000)}${']'.repeat(50_000)}}\r\n--b--\r\n`;
    const form = await app.inject({ method: 'POST', url: '/api/search', ...multipartBody(deepField, 'b') });
    expect([400, 413], form.body).toContain(form.statusCode);
    const facets = await app.inject({ method: 'GET', url: `/api/facets?filters=${encodeURIComponent(`{"gender":${'['.repeat(2000)}${']'.repeat(2000)}}`)}` });
    expect(facets.statusCode, facets.body).toBe(400);
  });

  it('answers malformed multipart bodies with 400', async () => {
    const app = await appWith();
    const bodies = [
      '--b0undary\r\nContent-Disposition: form-data; name="text"\r\n\r\nshirt',
      '--b0undary\r\nthis is not a header\r\n\r\nshirt\r\n--b0undary--\r\n',
      '--b0undary\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff',
      'no boundary at all',
    ];
    for (const body of bodies) {
      const res = await app.inject({ method: 'POST', url: '/api/search', ...multipartBody(body) });
      expect(res.statusCode, `${JSON.stringify(body)} -> ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${JSON.stringify(body)} -> ${res.body}`).toBeLessThan(500);
    }
    const noBoundary = await app.inject({ method: 'POST', url: '/api/search', headers: { 'content-type': 'multipart/form-data' }, payload: 'x' });
    expect(noBoundary.statusCode, noBoundary.body).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'still here' } })).statusCode).toBe(200);
  });

  it('limits filter values per request, and a flood of them is refused before any search', async () => {
    const app = await appWith({ maxFilterValues: 50 });
    const many = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'shirt', filters: { gender: Array.from({ length: 51 }, (_, i) => `v${i}`) } } });
    expect(many.statusCode).toBe(400);
    expect(many.json().message).toMatch(/51 filter values.*50/);
    const spread = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'shirt', filters: { gender: Array(30).fill('Men'), baseColour: Array(30).fill('Red') } } });
    expect(spread.statusCode).toBe(400);
    const fine = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'shirt', filters: { gender: ['Men', 'Women'] } } });
    expect(fine.statusCode).toBe(200);
    const facets = await app.inject({ method: 'GET', url: `/api/facets?filters=${encodeURIComponent(JSON.stringify({ gender: Array.from({ length: 60 }, (_, i) => `v${i}`) }))}` });
    expect(facets.statusCode).toBe(400);

    // The issue's flood: ~1 MB with 95,000 values. The default limits refuse it by its size (413), unread.
    const defaults = await appWith();
    const flood = JSON.stringify({ text: 'shirt', filters: { gender: Array.from({ length: 95_000 }, (_, i) => `value${i}`) } });
    expect(flood.length).toBeGreaterThan(1_000_000);
    const res = await defaults.inject({ method: 'POST', url: '/api/search', headers: { 'content-type': 'application/json' }, payload: flood });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
    // Under the size limit but over the count limit: 400 before the store sees it.
    const counted = await appWith({ maxJsonBytes: 4 * 1024 * 1024 });
    const res2 = await counted.inject({ method: 'POST', url: '/api/search', headers: { 'content-type': 'application/json' }, payload: flood });
    expect(res2.statusCode).toBe(400);
    expect(res2.json().message).toMatch(/95000 filter values/);
  });

  it('limits the JSON body of a search (maxJsonBytes) apart from photo uploads', async () => {
    const app = await appWith({ maxJsonBytes: 2048 });
    const big = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'x'.repeat(3000) } });
    expect(big.statusCode).toBe(413);
    const small = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'red shirt' } });
    expect(small.statusCode).toBe(200);
  });

  it('never sends store failures with file paths or Rust source locations; the log has them with the request id', async () => {
    const failing = Object.create(ctx) as AppContext;
    const detail = 'lance error: Not found: /srv/shop/vitrine-data/products.lance/data/0a1b.lance, /root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/lance-io-0.31.0/src/local.rs:117:31';
    failing.search = Object.assign(Object.create(ctx.search), {
      search: async () => {
        throw new AppError('STORE_ERROR', `vector search failed: ${detail}`);
      },
    });
    const log = logSink();
    const app = await appWith({}, { context: failing, log: log.stream });
    const res = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'shirt' }, headers: { 'x-request-id': 'req-42' } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json().code).toBe('STORE_ERROR');
    expect(res.body).not.toMatch(/\/srv\/|\.rs:\d+|\.cargo|lance error/);
    expect(res.json().message).toContain('req-42');
    const logged = log.lines().find((l) => l.reqId === 'req-42' && l.level === 50);
    expect(JSON.stringify(logged)).toContain('local.rs:117');
  });

  it('sends security headers on every answer', async () => {
    const app = await appWith();
    for (const url of ['/api/limits', '/healthz', '/nope', '/docs']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['x-frame-options'] ?? res.headers['content-security-policy'], url).toBeTruthy();
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
    }
    expect((await app.inject('/docs')).headers['content-security-policy']).toMatch(/default-src 'self'/);
  });

  it('keeps CORS off unless origins are configured', async () => {
    const closed = await appWith();
    const preflight = { method: 'OPTIONS' as const, url: '/api/search', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } };
    expect((await closed.inject(preflight)).headers['access-control-allow-origin']).toBeUndefined();
    expect((await closed.inject({ method: 'GET', url: '/api/limits', headers: { origin: 'https://shop.example' } })).headers['access-control-allow-origin']).toBeUndefined();
    const open = await appWith({ corsOrigins: ['https://shop.example'] });
    expect((await open.inject(preflight)).headers['access-control-allow-origin']).toBe('https://shop.example');
    expect((await open.inject({ method: 'GET', url: '/api/limits', headers: { origin: 'https://evil.example' } })).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('keeps query text out of the logs unless asked', async () => {
    const quiet = logSink();
    const app = await appWith({}, { log: quiet.stream });
    await app.inject({ method: 'POST', url: '/text_url?text_query=secret%20birthday%20present', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'another secret' } });
    expect(quiet.lines().some((l) => l.msg === 'request' && l.url === '/text_url')).toBe(true);
    expect(JSON.stringify(quiet.lines())).not.toMatch(/secret/);
    const loud = logSink();
    const asked = await appWith({ logQueries: true }, { log: loud.stream });
    await asked.inject({ method: 'POST', url: '/text_url?text_query=secret%20birthday%20present', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(JSON.stringify(loud.lines())).toMatch(/secret/);
  });

  it('/readyz answers 200 with status "empty" on a store that was never indexed', async () => {
    const emptyDir = path.join(dataDir, 'never-indexed');
    const empty = await buildContext(loadConfig({ env: {}, flags: { dataDir: emptyDir, model: TINY_MODEL } }));
    try {
      const app = await appWith({ dataDir: emptyDir }, { context: empty });
      const res = await app.inject('/readyz');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'empty', count: 0 });
      const search = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'shirt' } });
      expect(search.statusCode).toBe(503);
      expect(search.json().code).toBe('NO_INDEX');
    } finally {
      await empty.close();
    }
  });

  it('answers 503 OVERLOADED with Retry-After once the encoding queue is full, and serves again after', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const slow = Object.assign(Object.create(ctx.embedder) as typeof ctx.embedder, {
      encodeTexts: async (texts: string[]) => {
        await gate;
        return ctx.embedder.encodeTexts(texts);
      },
    });
    const busy = Object.create(ctx) as AppContext;
    busy.search = new SearchService({ embedder: queuedEmbedder(slow, { concurrency: 1, queue: 1 }), store: ctx.store }, { cache: null });
    const app = await appWith({}, { context: busy });
    const first = app.inject({ method: 'POST', url: '/api/search', payload: { text: 'one' } });
    const second = app.inject({ method: 'POST', url: '/api/search', payload: { text: 'two' } });
    await new Promise((r) => setTimeout(r, 50));
    const third = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'three' } });
    expect(third.statusCode).toBe(503);
    expect(third.json().code).toBe('OVERLOADED');
    expect(third.headers['retry-after']).toBe('1');
    open();
    expect((await first).statusCode).toBe(200);
    expect((await second).statusCode).toBe(200);
    // The server's own context puts its model behind the configured queue.
    const configured = await buildContext(loadConfig({ env: {}, flags: { dataDir, model: TINY_MODEL, encodeConcurrency: 2, encodeQueue: 3 } }));
    try {
      expect((configured.embedder as { queue?: EncodeQueue }).queue).toBeInstanceOf(EncodeQueue);
    } finally {
      await configured.close();
    }
  });
});
