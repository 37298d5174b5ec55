// Traces, metrics, request ids, logs and the query cache, over a real context (tiny ONNX model, LanceDB).
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTracing, type TracingHandle } from '../../src/observability/tracing.js';
import { buildApp } from '../../src/http/app.js';
import { buildContext, type AppContext } from '../../src/context.js';
import { loadConfig } from '../../src/config/config.js';
import { readCatalog } from '../../src/stores/catalog/read-catalog.js';
import { runIndex } from '../../src/services/index.service.js';
import { observedInstrumentation } from '../../src/observability/instrumentation.js';
import { makeSyntheticCatalog, type SyntheticCatalog } from '../support/synthetic-catalog.js';

const TINY_MODEL = path.resolve(import.meta.dirname, '../fixtures/tiny-clip');

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const line = text.split('\n').find((l) => {
    if (!l.startsWith(`${name}{`) && !l.startsWith(`${name} `)) return false;
    return Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`));
  });
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('observability and cache', () => {
  const exporter = new InMemorySpanExporter();
  const logLines: Record<string, unknown>[] = [];
  let tracing: TracingHandle;
  let catalog: SyntheticCatalog;
  let dataDir: string;
  let ctx: AppContext;
  let app: FastifyInstance;

  beforeAll(async () => {
    tracing = await startTracing({ exporter });
    catalog = await makeSyntheticCatalog(24);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-obs-'));
    ctx = await buildContext(loadConfig({ env: {}, flags: { dataDir, model: TINY_MODEL } }));
    await runIndex({ entries: readCatalog({ source: catalog.csv }), embedder: ctx.embedder, store: ctx.store, loadImage: ctx.loadImage, batchSize: 8, instrumentation: observedInstrumentation(ctx.metrics) });
    const stream = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        cb();
      },
    });
    app = await buildApp({ context: ctx, logger: { level: 'info', stream } });
  });
  afterAll(async () => {
    await app.close();
    await ctx.close();
    await tracing.shutdown();
    await rm(dataDir, { recursive: true, force: true });
    await rm(catalog.dir, { recursive: true, force: true });
  });
  beforeEach(() => exporter.reset());

  it('traces indexing batches with their sizes', async () => {
    // The indexing in beforeAll ran before the reset; index one more product to see its spans.
    await ctx.store.delete(['1000']);
    exporter.reset();
    await runIndex({ entries: readCatalog({ source: catalog.csv }), embedder: ctx.embedder, store: ctx.store, loadImage: ctx.loadImage, batchSize: 8, instrumentation: observedInstrumentation() });
    const names = exporter.getFinishedSpans().map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['vitrine.index.load', 'vitrine.index.check', 'vitrine.index.decode', 'vitrine.index.embed', 'vitrine.index.write']));
    const embed = exporter.getFinishedSpans().find((s) => s.name === 'vitrine.index.embed')!;
    expect(embed.attributes['vitrine.batch_size']).toBe(1);
  });

  it('a text search produces a request span with stage spans beneath it, carrying the request id', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/search', headers: { 'x-request-id': 'trace-me-1' }, payload: { text: 'blue jeans', mode: 'vector', filters: { gender: 'Men' }, k: 4 } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('trace-me-1');
    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.name === 'POST /api/search')!;
    expect(root.attributes).toMatchObject({ 'vitrine.request_id': 'trace-me-1', 'http.route': '/api/search', 'http.response.status_code': 200, 'vitrine.cache_hit': false });
    const children = spans.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId).map((s) => s.name);
    expect(children).toEqual(expect.arrayContaining(['vitrine.text_encode', 'vitrine.vector_search', 'vitrine.metadata_lookup']));
    const search = spans.find((s) => s.name === 'vitrine.vector_search')!;
    expect(search.attributes).toMatchObject({ 'vitrine.k': 4, 'vitrine.filters': '[["gender",["Men"]]]' });
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    // The default (hybrid) adds the keyword index's own stage.
    await app.inject({ method: 'POST', url: '/api/search', headers: { 'x-request-id': 'trace-me-hybrid' }, payload: { text: 'blue jeans', k: 4 } });
    const hybridNames = exporter.getFinishedSpans().filter((s) => s.attributes['vitrine.mode'] === 'hybrid' || s.name === 'vitrine.keyword_search').map((s) => s.name);
    expect(hybridNames).toEqual(expect.arrayContaining(['vitrine.vector_search', 'vitrine.keyword_search']));
  });

  it('an image search traces decode and encode; an HTML page traces render', async () => {
    const form = `--b\r\nContent-Disposition: form-data; name="image"; filename="q.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
    const bytes = await readFile(path.join(catalog.dir, catalog.rows[3].image));
    await app.inject({ method: 'POST', url: '/api/search', headers: { 'content-type': 'multipart/form-data; boundary=b' }, payload: Buffer.concat([Buffer.from(form), bytes, Buffer.from('\r\n--b--\r\n')]) });
    await app.inject({ method: 'POST', url: '/display_text?text_query=green%20dress' });
    const names = exporter.getFinishedSpans().map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['vitrine.image_decode', 'vitrine.image_encode', 'vitrine.render']));
  });

  it('exposes Prometheus metrics whose counts move after requests', async () => {
    const before = (await app.inject('/metrics')).body;
    for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/api/search', payload: { text: `red shirt ${i}` } });
    await app.inject({ method: 'POST', url: '/api/search', payload: { k: 500, text: 'x' } });
    const res = await app.inject('/metrics');
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    const after = res.body;
    const ok = { route: '/api/search', method: 'POST', status: '200' };
    expect(metricValue(after, 'vitrine_http_requests_total', ok) - metricValue(before, 'vitrine_http_requests_total', ok)).toBe(3);
    expect(metricValue(after, 'vitrine_http_requests_total', { ...ok, status: '400' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, 'vitrine_text_encode_seconds_count') - metricValue(before, 'vitrine_text_encode_seconds_count')).toBe(3);
    expect(metricValue(after, 'vitrine_vector_search_seconds_count')).toBeGreaterThan(metricValue(before, 'vitrine_vector_search_seconds_count'));
    expect(metricValue(after, 'vitrine_http_request_duration_seconds_count', { route: '/api/search' })).toBeGreaterThan(0);
    expect(metricValue(after, 'vitrine_index_size')).toBe(24);
    expect(metricValue(after, 'vitrine_indexer_items_total', { outcome: 'ok' })).toBe(24);
    expect(after).toMatch(/process_cpu_seconds_total/);
  });

  it('writes one JSON log line per request with the request id', async () => {
    logLines.length = 0;
    await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'log-me-7' } });
    const mine = logLines.filter((l) => l.reqId === 'log-me-7');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ msg: 'request', method: 'GET', route: '/healthz', status: 200 });
  });

  it('serves a repeated query from the cache, keyed exactly', async () => {
    const q = { text: 'yellow   dress', k: 5, filters: { gender: ['Women'] } };
    const first = (await app.inject({ method: 'POST', url: '/api/search', payload: q })).json();
    const hitsBefore = metricValue((await app.inject('/metrics')).body, 'vitrine_cache_hits_total', { cache: 'results' });
    const second = (await app.inject({ method: 'POST', url: '/api/search', payload: { ...q, text: ' yellow dress ' } })).json();
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.hits).toEqual(first.hits);
    expect(metricValue((await app.inject('/metrics')).body, 'vitrine_cache_hits_total', { cache: 'results' })).toBe(hitsBefore + 1);
    const otherK = (await app.inject({ method: 'POST', url: '/api/search', payload: { ...q, k: 6 } })).json();
    expect(otherK.cached).toBe(false);
    const otherFilter = (await app.inject({ method: 'POST', url: '/api/search', payload: { ...q, filters: { gender: 'Men' } } })).json();
    expect(otherFilter.cached).toBe(false);
  });

  it('does not confuse two photos that look the same to a perceptual hash', async () => {
    const original = await readFile(path.join(catalog.dir, catalog.rows[5].image));
    // Same picture, one pixel nudged and re-encoded: identical average hash, different bytes.
    const { data, info } = await sharp(original).raw().toBuffer({ resolveWithObject: true });
    data[0] = data[0] ^ 1;
    const lookalike = await sharp(data, { raw: info }).jpeg({ quality: 90 }).toBuffer();
    const post = (bytes: Buffer) =>
      app.inject({
        method: 'POST',
        url: '/api/search',
        headers: { 'content-type': 'multipart/form-data; boundary=b' },
        payload: Buffer.concat([Buffer.from('--b\r\nContent-Disposition: form-data; name="image"; filename="q.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'), bytes, Buffer.from('\r\n--b--\r\n')]),
      });
    expect((await post(original)).json().cached).toBe(false);
    expect((await post(original)).json().cached).toBe(true);
    expect((await post(lookalike)).json().cached).toBe(false);
  });

  it('empties the result cache when the index changes', async () => {
    const q = { text: 'black tshirt', k: 3 };
    await app.inject({ method: 'POST', url: '/api/search', payload: q });
    expect((await app.inject({ method: 'POST', url: '/api/search', payload: q })).json().cached).toBe(true);
    expect(ctx.search.cache!.results.size).toBeGreaterThan(0);
    await ctx.store.delete(['1001']);
    await runIndex({ entries: readCatalog({ source: catalog.csv }), embedder: ctx.embedder, store: ctx.store, loadImage: ctx.loadImage, batchSize: 8 });
    const after = (await app.inject({ method: 'POST', url: '/api/search', payload: q })).json();
    expect(after.cached).toBe(false);
    expect(ctx.search.cache!.results.size).toBe(1);
  });
});
