// `npm run bench`: speed figures with ratios, measured in one run on this machine (never asserted in tests).
//  1. indexing throughput on 1,000 photos of images-224 vs the raw encoder on the same pixels and batch size;
//  2. text and image query latency p50/p95 through HTTP vs in-process encode + search;
//  3. batch-1 encode latency of the model (text and image).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildContext } from '../context.js';
import { loadConfig } from '../config/config.js';
import { buildApp } from '../http/app.js';
import { readCatalog, type CatalogEntry } from '../stores/catalog/read-catalog.js';
import { PACKAGE_ROOT } from '../model/load-model.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    shared: { type: 'string', default: path.resolve(PACKAGE_ROOT, '../shared/data/fashion-products') },
    n: { type: 'string', default: '1000' },
    queries: { type: 'string', default: '100' },
    'batch-size': { type: 'string', default: '32' },
  },
});

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs: number[]) => pct(xs, 50);
const fmt = (x: number) => x.toFixed(2);

async function main() {
  const shared = args.shared!;
  const n = Number(args.n);
  const batchSize = Number(args['batch-size']);
  const nQueries = Number(args.queries);
  const images224 = path.join(shared, 'images-224');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-bench-'));
  const config = loadConfig({ flags: { dataDir, model: args.model, batchSize } });
  const ctx = await buildContext(config);
  const model = ctx.embedder.manifest;
  console.log(`model ${model.id} (${model.dimension} dims), ${os.cpus().length} cores, batch ${batchSize}, node ${process.version}`);

  // The first n catalog products that have a 224x224 photo.
  const entries: CatalogEntry[] = [];
  for await (const e of readCatalog({ source: path.join(shared, 'catalog.csv'), images: images224 })) {
    if (!e.ok) continue;
    try {
      await readFile(e.product.imageRef);
      entries.push(e);
    } catch {
      continue;
    }
    if (entries.length >= n) break;
  }
  const bytes = await Promise.all(entries.map((e) => (e.ok ? readFile(e.product.imageRef) : Buffer.alloc(0))));

  // Raw encoder: pixels prepared beforehand, only the model runs.
  const pixels = [];
  for (const b of bytes) pixels.push(await ctx.embedder.preprocessImage(b));
  await ctx.embedder.encodePixels(pixels.slice(0, batchSize));
  let t0 = performance.now();
  for (let i = 0; i < pixels.length; i += batchSize) await ctx.embedder.encodePixels(pixels.slice(i, i + batchSize));
  const rawSeconds = (performance.now() - t0) / 1000;

  async function* source() {
    yield* entries;
  }
  t0 = performance.now();
  const report = await ctx.indexer.run({ entries: source() });
  const indexSeconds = (performance.now() - t0) / 1000;
  const rawRate = entries.length / rawSeconds;
  const indexRate = report.ok / indexSeconds;
  console.log('\n## Indexing (images-224, JPEG 224x224)');
  console.log(`items: ${report.ok} ok, ${report.failed} failed`);
  console.log(`raw encoder: ${fmt(rawRate)} images/s | indexer end to end: ${fmt(indexRate)} images/s | ratio indexer/raw: ${fmt(indexRate / rawRate)}`);
  console.log(`indexer stage seconds: ${Object.entries(report.stageSeconds).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);

  // Query latency: the same queries in process and through HTTP on a real socket.
  const titles = entries.slice(0, nQueries).map((e) => (e.ok ? e.product.title.toLowerCase() : ''));
  const queryImages = bytes.slice(0, nQueries);
  const inText: number[] = [];
  const inImage: number[] = [];
  for (const t of titles) {
    const s = performance.now();
    const { vectors } = await ctx.embedder.encodeTexts([t]);
    await ctx.store.search({ vector: vectors[0], k: 8 });
    inText.push(performance.now() - s);
  }
  for (const b of queryImages) {
    const s = performance.now();
    const [v] = await ctx.embedder.encodeImages([b]);
    await ctx.store.search({ vector: v, k: 8 });
    inImage.push(performance.now() - s);
  }
  const app = await buildApp({ context: ctx, logger: false });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const httpText: number[] = [];
  const httpImage: number[] = [];
  for (const t of titles) {
    const s = performance.now();
    const r = await fetch(`${url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: t }) });
    await r.json();
    httpText.push(performance.now() - s);
  }
  for (const b of queryImages) {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(b)]), 'q.jpg');
    const s = performance.now();
    const r = await fetch(`${url}/api/search`, { method: 'POST', body: form });
    await r.json();
    httpImage.push(performance.now() - s);
  }
  // The same queries again: now answered from the query cache.
  const cachedText: number[] = [];
  const cachedImage: number[] = [];
  for (const t of titles) {
    const s = performance.now();
    await (await fetch(`${url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: t }) })).json();
    cachedText.push(performance.now() - s);
  }
  for (const b of queryImages) {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(b)]), 'q.jpg');
    const s = performance.now();
    await (await fetch(`${url}/api/search`, { method: 'POST', body: form })).json();
    cachedImage.push(performance.now() - s);
  }
  await app.close();
  console.log(`\n## Query latency, ${nQueries} queries each, index of ${report.ok}, k = 8 (ms)`);
  console.log('| query | in-process p50 | p95 | HTTP p50 | p95 | ratio HTTP/in-process (p50) |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| text | ${fmt(median(inText))} | ${fmt(pct(inText, 95))} | ${fmt(median(httpText))} | ${fmt(pct(httpText, 95))} | ${fmt(median(httpText) / median(inText))} |`);
  console.log(`| image | ${fmt(median(inImage))} | ${fmt(pct(inImage, 95))} | ${fmt(median(httpImage))} | ${fmt(pct(httpImage, 95))} | ${fmt(median(httpImage) / median(inImage))} |`);

  console.log(`\n## Query cache through HTTP (ms; first pass uncached, second pass the same queries cached)`);
  console.log('| query | uncached p50 | p95 | cached p50 | p95 | speed-up (p50) |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| text | ${fmt(median(httpText))} | ${fmt(pct(httpText, 95))} | ${fmt(median(cachedText))} | ${fmt(pct(cachedText, 95))} | ${fmt(median(httpText) / median(cachedText))}x |`);
  console.log(`| image | ${fmt(median(httpImage))} | ${fmt(pct(httpImage, 95))} | ${fmt(median(cachedImage))} | ${fmt(pct(cachedImage, 95))} | ${fmt(median(httpImage) / median(cachedImage))}x |`);

  // Batch-1 encode latency of the model alone (the house model's speed budget: text <= 10 ms, image <= 30 ms).
  const textOnly: number[] = [];
  const imageOnly: number[] = [];
  for (const t of titles) {
    const s = performance.now();
    await ctx.embedder.encodeTexts([t]);
    textOnly.push(performance.now() - s);
  }
  for (const p of pixels.slice(0, nQueries)) {
    const s = performance.now();
    await ctx.embedder.encodePixels([p]);
    imageOnly.push(performance.now() - s);
  }
  const decodeOnly: number[] = [];
  for (const b of queryImages) {
    const s = performance.now();
    await ctx.embedder.preprocessImage(b);
    decodeOnly.push(performance.now() - s);
  }
  console.log('\n## Batch-1 model latency (median ms)');
  console.log(`text encode ${fmt(median(textOnly))} | image encode ${fmt(median(imageOnly))} | image decode+preprocess ${fmt(median(decodeOnly))}`);
  await ctx.close();
  await rm(dataDir, { recursive: true, force: true });
}

await main();
