// A throwaway stand-in for `vitrine serve`, for working on the page before (or without) the real
// server: same routes and JSON shapes as the API contract, fake scores. Not shipped, not for tests of
// the server. Usage: node web/dev/mock-server.mjs --catalog <dir with catalog.csv and images/<id>.png> [--port 30000]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve } from 'node:path';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const catalogDir = resolve(arg('catalog', 'test-artifacts/catalog'));
const port = Number(arg('port', '30000'));
const webDir = resolve(arg('web', 'dist/web'));
const FACET_FIELDS_EXCLUDED = new Set(['id', 'title', 'image']);
// VITRINE_MAX_K and VITRINE_SEARCH_MODE, as the real server reads them.
const MAX_K = Number(process.env.VITRINE_MAX_K || 100);
const DEFAULT_MODE = process.env.VITRINE_SEARCH_MODE || 'vector';
const IMAGE_FORMATS = ['JPEG', 'PNG', 'WebP', 'GIF', 'AVIF', 'TIFF'];
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/heic', 'image/heif', 'image/tiff'];

const [header, ...rows] = readFileSync(join(catalogDir, 'catalog.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
const products = rows.map((cells) => {
  const record = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  const attributes = Object.fromEntries(Object.entries(record).filter(([k, v]) => !FACET_FIELDS_EXCLUDED.has(k) && v));
  const imagePath = join(catalogDir, 'images', `${record.id}.png`);
  const bytes = readFileSync(imagePath);
  return { id: record.id, title: record.title, attributes, imagePath, hash: createHash('sha256').update(bytes).digest('hex') };
});
const fields = [...new Set(products.flatMap((p) => Object.keys(p.attributes)))];

const unit = (s) => parseInt(createHash('md5').update(s).digest('hex').slice(0, 8), 16) / 0xffffffff;
// Filter values compare trimmed and case-insensitively, as the real server's do.
const key = (v) => String(v).trim().toLowerCase();
const matches = (p, filters, skip) =>
  Object.entries(filters).every(([f, v]) => f === skip || [v].flat().map(key).includes(key(p.attributes[f] ?? '')));
const unmatchedFilters = (filters) =>
  Object.entries(filters).flatMap(([field, v]) =>
    [v].flat().filter((value) => !products.some((p) => key(p.attributes[field] ?? '') === key(value))).map((value) => ({ field, value, closest: [...new Set(products.map((p) => p.attributes[field]).filter(Boolean))].slice(0, 3) })),
  );

function facetsFor(filters) {
  const out = {};
  for (const field of fields) {
    const counts = new Map();
    for (const p of products) if (matches(p, filters, field) && p.attributes[field]) counts.set(p.attributes[field], (counts.get(p.attributes[field]) ?? 0) + 1);
    out[field] = [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  }
  return out;
}

const send = (res, status, body, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type });
  res.end(type === 'application/json' ? JSON.stringify(body) : body);
};
const fail = (res, status, code, message) => send(res, status, { code, message });

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function handleSearch(req, res) {
  const started = performance.now();
  const body = await readBody(req);
  let q;
  let image;
  if ((req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
    const form = await new Request('http://x/', { method: 'POST', headers: { 'content-type': req.headers['content-type'] }, body }).formData();
    q = {};
    for (const [name, value] of form) {
      if (name === 'image') image = Buffer.from(await value.arrayBuffer());
      else q[name] = name === 'filters' ? JSON.parse(value) : ['k', 'offset', 'minScore'].includes(name) ? Number(value) : name === 'facets' ? value === 'true' : value;
    }
  } else {
    q = JSON.parse(body.toString() || '{}');
  }
  if (image) {
    const magic = image.subarray(0, 4).toString('hex');
    if (!['89504e47', 'ffd8ffe0', 'ffd8ffe1', 'ffd8ffdb', '47494638', '52494646'].includes(magic)) {
      return fail(res, 400, 'INVALID_IMAGE', 'The upload is not a decodable image.');
    }
  }
  if (!q.text?.trim() && !q.productId && !image) return fail(res, 400, 'EMPTY_QUERY', 'Give text, an image or a productId.');
  const k = q.k ?? 8;
  const offset = q.offset ?? 0;
  if (k > MAX_K) return fail(res, 400, 'BAD_REQUEST', `k must be an integer from 1 to ${MAX_K}, got ${k}`);
  const filters = q.filters ?? {};
  for (const field of Object.keys(filters)) if (!fields.includes(field)) return fail(res, 400, 'UNKNOWN_FILTER_FIELD', `No field ${field}`);
  const imageHash = image && createHash('sha256').update(image).digest('hex');
  const words = (q.text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (q.productId && !products.some((p) => p.id === q.productId)) return fail(res, 404, 'NOT_FOUND', `product ${q.productId} is not in the index`);
  const mode = q.text?.trim() ? (q.mode ?? DEFAULT_MODE) : 'vector';
  const haystackOf = (p) => `${p.title} ${Object.values(p.attributes).join(' ')}`.toLowerCase();
  // Keyword and hybrid lists hold the products with a word of the query; a search by look ranks them all.
  const pool = products.filter((p) => matches(p, filters) && (mode === 'vector' || words.some((w) => haystackOf(p).includes(w))));
  const scored = pool.map((p) => {
    let score = unit(`${q.text}|${q.productId}|${imageHash}|${p.id}`) * 0.3;
    const haystack = `${p.title} ${Object.values(p.attributes).join(' ')}`.toLowerCase();
    score += words.filter((w) => haystack.includes(w)).length * 0.2;
    if (p.id === q.productId || p.hash === imageHash) score = 1;
    return { id: p.id, score: Math.min(score, 1), similarity: Math.min(score, 1), title: p.title, imageUrl: `/images/${encodeURIComponent(p.id)}`, attributes: p.attributes };
  });
  scored.sort((a, b) => b.score - a.score);
  // Like the real service, "more like this" leaves the product itself out.
  const self = scored.findIndex((h) => h.id === q.productId);
  if (self >= 0) scored.splice(self, 1);
  const delay = Number(process.env.MOCK_DELAY_MS ?? 0);
  if (delay) await new Promise((r) => setTimeout(r, delay));
  send(res, 200, {
    mode,
    hits: scored.slice(offset, offset + k),
    tookMs: performance.now() - started,
    k,
    offset,
    total: scored.length,
    unmatchedFilters: unmatchedFilters(filters),
    truncated: false,
    cached: false,
    ...(q.facets ? { facets: facetsFor(filters), facetOrder: fields } : {}),
  });
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  try {
    if (url.pathname === '/healthz' || url.pathname === '/readyz') return send(res, 200, { ok: true });
    if (url.pathname === '/api/search' && req.method === 'POST') return await handleSearch(req, res);
    if (url.pathname === '/api/limits') {
      return send(res, 200, { defaultK: 8, maxK: MAX_K, maxOffset: 10000, maxQueryChars: 1000, maxUploadBytes: 20971520, defaultMode: DEFAULT_MODE, imageFormats: IMAGE_FORMATS, imageTypes: IMAGE_TYPES });
    }
    if (url.pathname === '/api/facets') {
      const filters = url.searchParams.has('filters') ? JSON.parse(url.searchParams.get('filters')) : {};
      return send(res, 200, { facets: facetsFor(filters), facetOrder: fields, total: products.filter((p) => matches(p, filters)).length, unmatchedFilters: unmatchedFilters(filters) });
    }
    if (url.pathname.startsWith('/api/products/')) {
      const p = products.find((x) => x.id === decodeURIComponent(url.pathname.slice(14)));
      if (!p) return fail(res, 404, 'NOT_FOUND', 'No such product');
      return send(res, 200, { id: p.id, title: p.title, imageUrl: `/images/${encodeURIComponent(p.id)}`, attributes: p.attributes });
    }
    if (url.pathname.startsWith('/images/')) {
      const p = products.find((x) => x.id === decodeURIComponent(url.pathname.slice(8)));
      return p ? send(res, 200, readFileSync(p.imagePath), 'image/png') : fail(res, 404, 'NOT_FOUND', 'No such product');
    }
    const file = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };
    return send(res, 200, readFileSync(join(webDir, file)), types[extname(file)] ?? 'application/octet-stream');
  } catch (error) {
    if (error.code === 'ENOENT') return fail(res, 404, 'NOT_FOUND', 'Not found');
    return fail(res, 500, 'INTERNAL', String(error));
  }
});
server.listen(port, '127.0.0.1', () => console.log(`mock vitrine on http://127.0.0.1:${port}/ (${products.length} products)`));
