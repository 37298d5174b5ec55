// Defect 9 of issue 12: the catalog write API behind API keys, through a real context (the tiny ONNX model, a real
// LanceDB in a temp dir, photos from a real local HTTP server) and Fastify's inject: PUT by URL and by upload,
// DELETE, batches, the writer lock shared with `vitrine index`, keys and scopes, protected reads, /metrics and
// /docs, rate limits, and image URLs that must not reach into the server's own network.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey } from '../../src/config/api-keys.js';
import { loadConfig, type ConfigInput } from '../../src/config/config.js';
import { buildContext, type AppContext } from '../../src/context.js';
import { buildApp } from '../../src/http/app.js';
import { openLanceStore } from '../../src/stores/vector/lance.vector-store.js';
import { makeSyntheticCatalog, type SyntheticCatalog } from '../support/synthetic-catalog.js';

const TINY_MODEL = path.resolve(import.meta.dirname, '../fixtures/tiny-clip');
const writer = newApiKey('shop', ['write']);
const reader = newApiKey('dashboard', ['read']);
const slow = newApiKey('throttled', ['read']);
slow.entry.rateLimitPerMinute = 2;

function form(fields: Record<string, string>, file?: { name: string; bytes: Buffer; type: string }) {
  const boundary = `----vitrine${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="p.jpg"\r\nContent-Type: ${file.type}\r\n\r\n`), file.bytes, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('the catalog write API', () => {
  let catalog: SyntheticCatalog;
  let work: string;
  let photos: http.Server;
  let photoUrl: (name: string) => string;
  const contexts: AppContext[] = [];
  const apps: FastifyInstance[] = [];

  async function serverWith(flags: ConfigInput = {}, dataDir = path.join(work, 'data')): Promise<{ app: FastifyInstance; ctx: AppContext }> {
    const config = loadConfig({ env: {}, flags: { dataDir, model: TINY_MODEL, apiKeys: [writer.entry, reader.entry, slow.entry], allowPrivateImageUrls: true, ...flags } });
    const ctx = await buildContext(config);
    const app = await buildApp({ context: ctx, config });
    contexts.push(ctx);
    apps.push(app);
    return { app, ctx };
  }
  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    catalog = await makeSyntheticCatalog(6);
    work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-write-'));
    photos = http.createServer(async (req, res) => {
      const name = (req.url ?? '').slice(1);
      if (name === 'not-a-photo.jpg') return res.end('hello, no photo here');
      try {
        res.end(await readFile(path.join(catalog.imagesDir, name)));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => photos.listen(0, '127.0.0.1', r));
    photoUrl = (name) => `http://127.0.0.1:${(photos.address() as AddressInfo).port}/${name}`;
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const ctx of contexts) await ctx.close();
    await new Promise<void>((r) => photos.close(() => r()));
    await rm(work, { recursive: true, force: true });
    await rm(catalog.dir, { recursive: true, force: true });
  });

  it('fills a never-indexed store: PUT by URL and by upload, through the index service, photos in the image store', async () => {
    const { app } = await serverWith();
    expect((await app.inject('/readyz')).json()).toMatchObject({ status: 'empty', count: 0 });
    const put = await app.inject({ method: 'PUT', url: '/api/products/red-1', headers: as(writer.key), payload: { title: 'Red shirt', attributes: { colour: 'Red', year: 2020 }, imageUrl: photoUrl('1000.jpg') } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({ id: 'red-1', outcome: 'indexed' });
    const again = await app.inject({ method: 'PUT', url: '/api/products/red-1', headers: as(writer.key), payload: { title: 'Red shirt', attributes: { colour: 'Red', year: 2020 }, imageUrl: photoUrl('1000.jpg') } });
    expect(again.json().outcome).toBe('unchanged');
    const bytes = await readFile(path.join(catalog.imagesDir, '1001.jpg'));
    const body = form({ title: 'Blue jeans', attributes: '{"colour":"Blue"}' }, { name: 'image', bytes, type: 'image/jpeg' });
    const upload = await app.inject({ method: 'PUT', url: '/api/products/blue-2', payload: body.payload, headers: { ...body.headers, ...as(writer.key) } });
    expect(upload.statusCode, upload.body).toBe(200);
    expect(upload.json().outcome).toBe('indexed');

    expect((await app.inject('/readyz')).json()).toMatchObject({ status: 'ready', count: 2 });
    expect((await app.inject('/api/products/red-1')).json()).toMatchObject({ id: 'red-1', title: 'Red shirt', attributes: { colour: 'Red', year: '2020' } });
    const image = await app.inject('/images/blue-2');
    expect(image.statusCode).toBe(200);
    expect(image.rawPayload).toEqual(bytes);
    expect(await readFile(path.join(work, 'data', 'images', 'blue-2'))).toEqual(bytes);
    const search = (await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'jeans', filters: { colour: 'Blue' } } })).json();
    expect(search.hits.map((h: { id: string }) => h.id)).toEqual(['blue-2']);
  });

  it('refuses a photo that does not decode, and keeps the one indexed', async () => {
    const { app } = await serverWith();
    const before = await app.inject('/images/red-1');
    const bad = await app.inject({ method: 'PUT', url: '/api/products/red-1', headers: as(writer.key), payload: { title: 'Red shirt', imageUrl: photoUrl('not-a-photo.jpg') } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INVALID_IMAGE');
    expect((await app.inject('/images/red-1')).rawPayload).toEqual(before.rawPayload);
    const missing = await app.inject({ method: 'PUT', url: '/api/products/x', headers: as(writer.key), payload: { title: 'X', imageUrl: photoUrl('nope.jpg') } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toMatch(/HTTP 404/);
    for (const payload of [{ title: 'X' }, { title: '', imageUrl: photoUrl('1000.jpg') }, { title: 'X', imageUrl: 'file:///etc/passwd' }, { title: 'X', imageUrl: '/etc/passwd' }]) {
      const res = await app.inject({ method: 'PUT', url: '/api/products/x', headers: as(writer.key), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect((await app.inject({ method: 'PUT', url: '/api/products/..%2Fetc', headers: as(writer.key), payload: { title: 'X', imageUrl: photoUrl('1000.jpg') } })).statusCode).toBe(400);
  });

  it('refuses image URLs on private, loopback and link-local addresses unless configured', async () => {
    const { app } = await serverWith({ allowPrivateImageUrls: false }, path.join(work, 'strict'));
    for (const url of [photoUrl('1000.jpg'), 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/a.jpg', `http://localhost:${new URL(photoUrl('x')).port}/1000.jpg`]) {
      const res = await app.inject({ method: 'PUT', url: '/api/products/ssrf', headers: as(writer.key), payload: { title: 'X', imageUrl: url } });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().message).toMatch(/private, loopback or link-local|points at/);
    }
  });

  it('deletes, and writes batches with an outcome per product', async () => {
    const { app } = await serverWith();
    const batch = await app.inject({
      method: 'POST',
      url: '/api/products/batch',
      headers: as(writer.key),
      payload: {
        upsert: [
          { id: 'b1', title: 'Green dress', attributes: { colour: 'Green' }, imageUrl: photoUrl('1002.jpg') },
          { id: 'b2', title: 'Black tee', imageUrl: photoUrl('gone.jpg') },
          { id: 'b3', title: 'White top', imageUrl: photoUrl('1004.jpg') },
          { id: 'b1', title: 'Green dress again', imageUrl: photoUrl('1002.jpg') },
        ],
        delete: ['blue-2', 'never-there'],
      },
    });
    expect(batch.statusCode, batch.body).toBe(200);
    const body = batch.json();
    expect(body.results.map((r: { id: string; outcome: string }) => `${r.id}:${r.outcome}`)).toEqual(['b1:indexed', 'b2:failed', 'b3:indexed', 'b1:failed', 'blue-2:deleted', 'never-there:absent']);
    expect(body.failed).toBe(2);
    expect(body.results[1].reason).toMatch(/HTTP 404/);
    expect((await app.inject({ method: 'DELETE', url: '/api/products/b3', headers: as(writer.key) })).json()).toEqual({ id: 'b3', outcome: 'deleted' });
    expect((await app.inject({ method: 'DELETE', url: '/api/products/b3', headers: as(writer.key) })).statusCode).toBe(404);
    const tooMany = await app.inject({ method: 'POST', url: '/api/products/batch', headers: as(writer.key), payload: { delete: Array.from({ length: 101 }, (_, i) => `d${i}`) } });
    expect(tooMany.statusCode).toBe(400);
  });

  it('needs a write key: none, an unknown one and a read key are refused before the body is read', async () => {
    const { app } = await serverWith();
    const payload = { title: 'Red shirt', imageUrl: photoUrl('1000.jpg') };
    const none = await app.inject({ method: 'PUT', url: '/api/products/k', payload });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('UNAUTHORIZED');
    expect(none.headers['www-authenticate']).toMatch(/Bearer/);
    expect((await app.inject({ method: 'PUT', url: '/api/products/k', payload, headers: as(`${writer.key}x`) })).statusCode).toBe(401);
    const readOnly = await app.inject({ method: 'DELETE', url: '/api/products/k', headers: { 'x-api-key': reader.key } });
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json().code).toBe('FORBIDDEN');
    const noKeysAtAll = await serverWith({ apiKeys: [] }, path.join(work, 'no-keys'));
    const closed = await noKeysAtAll.app.inject({ method: 'PUT', url: '/api/products/k', payload });
    expect(closed.statusCode).toBe(401);
    expect(closed.json().message).toMatch(/none configured/);
  });

  it('keeps reads open unless configured; /metrics and /docs can need a key; probes never do', async () => {
    const { app } = await serverWith({ readAccess: 'key', metricsAccess: 'key', docsAccess: 'key' });
    const search = { method: 'POST' as const, url: '/api/search', payload: { text: 'shirt' } };
    expect((await app.inject(search)).statusCode).toBe(401);
    expect((await app.inject({ ...search, headers: as(reader.key) })).statusCode).toBe(200);
    expect((await app.inject({ ...search, headers: as(writer.key) })).statusCode).toBe(200);
    for (const url of ['/metrics', '/docs', '/openapi.json', '/api/products/red-1', '/api/limits']) {
      expect((await app.inject(url)).statusCode, url).toBe(401);
      expect((await app.inject({ url, headers: as(reader.key) })).statusCode, url).toBe(200);
    }
    for (const url of ['/healthz', '/readyz']) expect((await app.inject(url)).statusCode, url).toBe(200);
    const open = await serverWith({}, path.join(work, 'data'));
    expect((await open.app.inject('/metrics')).statusCode).toBe(200);
    expect((await open.app.inject(search)).statusCode).toBe(200);
  });

  it('limits requests per address and per key with 429 and Retry-After; probes are not limited', async () => {
    const { app } = await serverWith({ rateLimitPerMinute: 3 });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await app.inject({ method: 'POST', url: '/api/search', payload: { text: `shirt ${i}` } })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'shirt' } });
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect((await app.inject('/healthz')).statusCode).toBe(200);
    // A key counts on its own, at its own limit.
    const keyed = [];
    for (let i = 0; i < 3; i++) keyed.push((await app.inject({ method: 'POST', url: '/api/search', payload: { text: 'tee' }, headers: as(slow.key) })).statusCode);
    expect(keyed).toEqual([200, 200, 429]);
  });

  it('shares the writer lock with vitrine index: INDEX_LOCKED with Retry-After while another writer holds it', async () => {
    const { app } = await serverWith();
    const other = await openLanceStore({ dataDir: path.join(work, 'data') });
    const lock = await other.lockWriter('vitrine index');
    try {
      const res = await app.inject({ method: 'PUT', url: '/api/products/locked', headers: as(writer.key), payload: { title: 'Red shirt', imageUrl: photoUrl('1000.jpg') } });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'INDEX_LOCKED', message: expect.stringMatching(/being written by vitrine index/) });
      expect(res.headers['retry-after']).toBe('5');
    } finally {
      await lock.release();
      await other.close();
    }
    const after = await app.inject({ method: 'PUT', url: '/api/products/locked', headers: as(writer.key), payload: { title: 'Red shirt', imageUrl: photoUrl('1000.jpg') } });
    expect(after.statusCode, after.body).toBe(200);
  });

  it('documents the write routes in the OpenAPI document', async () => {
    const { app } = await serverWith();
    const doc = (await app.inject('/openapi.json')).json();
    expect(Object.keys(doc.paths['/api/products/{id}'])).toEqual(expect.arrayContaining(['get', 'put', 'delete']));
    expect(doc.paths['/api/products/batch'].post.requestBody.content['application/json']).toBeDefined();
    expect(Object.keys(doc.paths['/api/products/{id}'].put.requestBody.content)).toEqual(['application/json', 'multipart/form-data']);
  });
});
