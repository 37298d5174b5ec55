// `npm run bench [-- --quick]`: speed on the real shared catalog, every figure of the speed targets from one run
// on this machine (never asserted in tests). It indexes the catalog with the built CLI into a temp data dir,
// serves it with `vitrine serve` (a child process, a real socket), and queries it with distinct val queries
// (text, image, text + filter, text + filter + facets, interleaved), sequentially and at concurrency 8, then
// in process; it compares indexing throughput with the raw encoder (decode + preprocess + encode of the same
// photos, batch by batch) and prints one machine-readable JSON line (BENCH_JSON) for the README.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildContext, openBenchStore } from '../context.js';
import { loadConfig } from '../config/config.js';
import { loadEmbedder, PACKAGE_ROOT } from '../model/load-model.js';
import { readCatalog, type CatalogEntry } from '../stores/catalog/read-catalog.js';
import type { Filters } from '../domain/types.js';
import { normalizeFilters } from '../domain/filters.js';
import { MemoryVectorIndex } from '../stores/vector/memory-index/memory.vector-index.js';
import { buildQuerySets, takeInterleaved, QUERY_KINDS, type BenchQuery, type QueryKind } from './catalog.queries.js';
import { byKind, summarize, timedPool, type LatencySummary } from './latency.stats.js';
import { procStats, runCli, startServe, type ServerProcess } from './cli.process.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    shared: { type: 'string', default: path.resolve(PACKAGE_ROOT, '../shared/data/fashion-products') },
    /** Products indexed (default: all; --quick: 2,000). */
    products: { type: 'string' },
    /** Distinct queries per kind in each timed phase (default 200; --quick 50). */
    queries: { type: 'string' },
    /** Queries the server has answered when its RSS is read again (default 10,000; --quick 1,000). */
    load: { type: 'string' },
    /** Photos for the raw-encoder reference (default 2,000; --quick 300). */
    'raw-photos': { type: 'string' },
    'batch-size': { type: 'string', default: '32' },
    port: { type: 'string', default: '30917' },
    concurrency: { type: 'string', default: '8' },
    /** Free text stored in the summary, e.g. "training paused". */
    note: { type: 'string', default: '' },
    /** Also write the JSON summary to this file. */
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const quick = args.quick!;
const opt = (v: string | undefined, full: number, small: number) => (v !== undefined ? Number(v) : quick ? small : full);
const nProducts = opt(args.products, Number.POSITIVE_INFINITY, 2000);
const nQueries = opt(args.queries, 200, 50);
const nLoad = opt(args.load, 10_000, 1000);
const nRaw = opt(args['raw-photos'], 2000, 300);
const batchSize = Number(args['batch-size']);
const concurrency = Number(args.concurrency);
const port = Number(args.port);

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const log = (line = '') => process.stdout.write(`${line}\n`);

function table(title: string, rows: Record<string, Partial<Record<QueryKind, LatencySummary>>>): void {
  log(`\n${title}`);
  log('| phase | query | n | p50 | p95 | p99 |');
  log('|---|---|---|---|---|---|');
  for (const [phase, kinds] of Object.entries(rows)) {
    for (const k of QUERY_KINDS) {
      const s = kinds[k];
      if (s) log(`| ${phase} | ${k} | ${s.n} | ${fmt(s.p50, 2)} | ${fmt(s.p95, 2)} | ${fmt(s.p99, 2)} |`);
    }
  }
}

/** One query through the HTTP API; a non-2xx answer fails the bench (a bench of errors measures nothing). */
async function httpQuery(url: string, q: BenchQuery): Promise<void> {
  let response: Response;
  if (q.image) {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(q.image)], { type: 'image/jpeg' }), 'query.jpg');
    if (q.offset) form.append('offset', String(q.offset));
    response = await fetch(`${url}/api/search`, { method: 'POST', body: form });
  } else {
    response = await fetch(`${url}/api/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: q.text, filters: q.filters, facets: q.facets, offset: q.offset }),
    });
  }
  const body = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${q.kind} query: ${body.slice(0, 300)}`);
}

/** The catalog, or its first n rows as a temp CSV (same columns) for a quick run. */
async function catalogFile(source: string, n: number, dir: string): Promise<string> {
  if (!Number.isFinite(n)) return source;
  const lines = (await readFile(source, 'utf8')).split('\n');
  const file = path.join(dir, 'catalog-subset.csv');
  await writeFile(file, `${lines.slice(0, n + 1).join('\n')}\n`);
  return file;
}

async function main() {
  const shared = args.shared!;
  const catalog = path.join(shared, 'catalog.csv');
  const imagesDir = path.join(shared, 'images');
  const work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-bench-'));
  const dataDir = path.join(work, 'data');
  const loadStart = os.loadavg();
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memGiB: Math.round(os.totalmem() / 1024 ** 3), node: process.version };
  log(`vitrine bench${quick ? ' (quick)' : ''}: ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, node ${machine.node}; load average ${loadStart.map((x) => x.toFixed(2)).join(' ')}${args.note ? `; ${args.note}` : ''}`);

  const entries: CatalogEntry[] = [];
  for await (const e of readCatalog({ source: catalog, images: imagesDir })) entries.push(e);
  const indexed = entries.slice(0, Number.isFinite(nProducts) ? nProducts : entries.length);
  const sets = await buildQuerySets(entries, { photos: 2 * nQueries + 500 });

  // 1. The raw encoder: decode + preprocess + encode of photos the index will hold, bytes already in memory,
  //    one batch after the other (no store, no hashing, no file reads), in this process.
  const embedder = await loadEmbedder({});
  const model = embedder.manifest;
  const rawSample = indexed.filter((_, i) => i % Math.max(1, Math.floor(indexed.length / nRaw)) === 0).slice(0, nRaw);
  const rawBytes = await Promise.all(rawSample.map((e) => (e.ok ? readFile(e.product.imageRef) : Buffer.alloc(0))));
  await embedder.encodePixels(await Promise.all(rawBytes.slice(0, batchSize).map((b) => embedder.preprocessImage(b))));
  let t0 = performance.now();
  let cpu0 = process.cpuUsage();
  let encodeMs = 0;
  for (let i = 0; i < rawBytes.length; i += batchSize) {
    const pixels = await Promise.all(rawBytes.slice(i, i + batchSize).map((b) => embedder.preprocessImage(b)));
    const e0 = performance.now();
    await embedder.encodePixels(pixels);
    encodeMs += performance.now() - e0;
  }
  const rawSeconds = (performance.now() - t0) / 1000;
  const rawCpu = process.cpuUsage(cpu0);
  const rawRate = rawBytes.length / rawSeconds;
  const encodeOnlyRate = rawBytes.length / (encodeMs / 1000);
  await embedder.close();
  log(`\n## Raw encoder (${rawBytes.length} photos of the catalog, batch ${batchSize}, model ${model.id}, ${model.dimension} dims)`);
  log(`decode+preprocess+encode: ${fmt(rawRate)} images/s (${fmt((rawCpu.user + rawCpu.system) / 1e6 / rawSeconds, 2)} cores busy); encode alone: ${fmt(encodeOnlyRate)} images/s`);

  // 2. Indexing end to end with the built CLI, as a user runs it.
  const catalogToIndex = await catalogFile(catalog, nProducts, work);
  const run = await runCli(['index', catalogToIndex, '--images', imagesDir, '--data', dataDir, '--batch-size', String(batchSize)]);
  if (run.code !== 0) throw new Error(`vitrine index failed (${run.code}): ${run.stderr.slice(-2000)}`);
  const okMatch = /ok (\d+), skipped (\d+) \(unchanged\), failed (\d+)/.exec(run.stdout);
  const indexedOk = Number(okMatch?.[1] ?? 0);
  const stageLine = /stage seconds[^:]*: (.*)/.exec(run.stdout)?.[1] ?? '';
  const reportedWall = Number(/in ([\d.]+) s/.exec(run.stdout)?.[1] ?? Number.NaN);
  const indexRate = indexedOk / run.wallSeconds;
  log(`\n## Indexing end to end (vitrine index, ${indexed.length} products, batch ${batchSize})`);
  log(run.stdout.trim().split('\n').map((l) => `> ${l}`).join('\n'));
  log(`process wall ${fmt(run.wallSeconds)} s (the CLI reports ${fmt(reportedWall)} s for its run), ${fmt(indexRate)} items/s, CPU ${fmt(run.cpuSeconds)} s = ${fmt(run.cpuSeconds / run.wallSeconds, 2)} cores busy, peak RSS ${fmt(run.peakRssMiB, 0)} MiB`);
  log(`ratio end to end / raw encoder: ${fmt(indexRate / rawRate, 2)}; the full catalog (44,441) at this rate: ${fmt(44_441 / indexRate, 0)} s`);

  // 3. The server: cold starts, then the first faceted query of a fresh process.
  const coldStarts: number[] = [];
  const firstFaceted: number[] = [];
  const firstQueries = sets.pools.facets.splice(0, 3);
  let server: ServerProcess | null = null;
  let served = 0;
  const ask = async (q: BenchQuery) => {
    await httpQuery(server!.url, q);
    served++;
  };
  let serverStats: { rssReadyMiB: number; threadsReady: number } = { rssReadyMiB: 0, threadsReady: 0 };
  for (let i = 0; i < 3; i++) {
    // One client sends every query: the per-address rate limit (6,000 a minute by default) stays on, set above
    // what the load phase sends, so the server runs it as it would for many clients.
    server = await startServe({ dataDir, port, env: { ...process.env, VITRINE_RATE_LIMIT_PER_MINUTE: '10000000' } });
    coldStarts.push(server.coldStartMs);
    const ready = procStats(server.pid)!;
    serverStats = { rssReadyMiB: ready.rssMiB, threadsReady: ready.threads };
    const t = performance.now();
    await ask(firstQueries[i]);
    firstFaceted.push(performance.now() - t);
    if (i < 2) {
      await server.stop();
      served = 0;
    }
  }
  log(`\n## Server (vitrine serve on ${indexedOk} products)`);
  log(`cold start to ready (spawn -> /readyz 200): ${coldStarts.map((x) => fmt(x, 0)).join(', ')} ms; RSS at ready ${fmt(serverStats.rssReadyMiB, 0)} MiB, ${serverStats.threadsReady} threads`);
  log(`first query of a fresh server (text + filter + facets): ${firstFaceted.map((x) => fmt(x, 1)).join(', ')} ms`);

  // 4. Timed phases through HTTP: sequential (uncached), at concurrency 8 (other queries, uncached), the
  //    sequential queries again (cached).
  const sequential = takeInterleaved(sets, nQueries);
  const parallel = takeInterleaved(sets, nQueries);
  for (const q of takeInterleaved(sets, 5)) await ask(q); // warm-up: first requests of each kind
  const cpuBefore = procStats(server!.pid)!.cpuSeconds;
  const seq = await timedPool(sequential, 1, ask);
  const cpuSeq = procStats(server!.pid)!.cpuSeconds - cpuBefore;
  const par = await timedPool(parallel, concurrency, ask);
  const cached = await timedPool(sequential, 1, ask);
  const http = { sequential: byKind(sequential, seq.latencies, (q) => q.kind), concurrent: byKind(parallel, par.latencies, (q) => q.kind), cached: byKind(sequential, cached.latencies, (q) => q.kind) };
  const qpsConcurrent = parallel.length / (par.wallMs / 1000);
  table(`## Through HTTP (ms; ${nQueries} distinct queries per kind and phase, interleaved; concurrency ${concurrency} in the second phase)`, {
    sequential: http.sequential,
    [`concurrency ${concurrency}`]: http.concurrent,
    'cached repeat': http.cached,
  });
  log(`server CPU per uncached sequential query: ${fmt((cpuSeq * 1000) / sequential.length, 1)} ms; throughput at concurrency ${concurrency}: ${fmt(qpsConcurrent, 1)} queries/s`);

  // 5. Load: the server answers until it has served nLoad queries (pools reused with growing offsets, so the
  //    results cache does not answer them), then its RSS again.
  const rest = [...QUERY_KINDS.flatMap((k) => sets.pools[k]), ...sequential, ...parallel];
  const loadQueries: BenchQuery[] = [];
  for (let i = 0; served + loadQueries.length < nLoad; i++) {
    const q = rest[i % rest.length];
    loadQueries.push({ ...q, offset: 8 * (1 + Math.floor(i / rest.length)) });
  }
  const loadCpu0 = procStats(server!.pid)!.cpuSeconds;
  const load = await timedPool(loadQueries, concurrency, ask);
  const after = procStats(server!.pid)!;
  const loadSummary = summarize(load.latencies);
  log(`\n## After ${served} queries (the last ${loadQueries.length} at concurrency ${concurrency}: p50 ${fmt(loadSummary.p50, 1)} ms, p99 ${fmt(loadSummary.p99, 1)} ms, ${fmt(loadQueries.length / (load.wallMs / 1000), 1)} queries/s, server CPU ${fmt(((after.cpuSeconds - loadCpu0) * 1000) / loadQueries.length, 1)} ms per query)`);
  log(`server RSS ${fmt(after.rssMiB, 0)} MiB (at ready ${fmt(serverStats.rssReadyMiB, 0)}), ${after.threads} threads`);
  await server!.stop();

  // 6. In process: the same sequential queries through the search service (own caches), then concurrency 8,
  //    then the vector search alone.
  const ctx = await buildContext(loadConfig({ flags: { dataDir } }));
  const inProc = async (q: BenchQuery) => ctx.search.search({ text: q.text, image: q.image, filters: q.filters, facets: q.facets, offset: q.offset });
  for (const q of takeInterleaved(sets, 3)) await inProc(q);
  const inSeq = await timedPool(sequential, 1, inProc);
  const inPar = await timedPool(parallel, concurrency, inProc);
  const inProcess = { sequential: byKind(sequential, inSeq.latencies, (q) => q.kind), concurrent: byKind(parallel, inPar.latencies, (q) => q.kind) };
  table('## In process (ms; search service, same queries)', { sequential: inProcess.sequential, [`concurrency ${concurrency}`]: inProcess.concurrent });

  const textQueries = sequential.filter((q) => q.text);
  const { vectors } = await ctx.embedder.encodeTexts(textQueries.map((q) => q.text!));
  const idx = vectors.map((_, i) => i);
  const filteredIdx = idx.filter((i) => textQueries[i].filters);
  // LanceDB's own exact search (the reference) on the same data dir, and the server's path (the store kernel
  // answering from its in-memory copy), same vectors and filters.
  const lance = await openBenchStore(`lance:${dataDir}`);
  const lanceSearch = (i: number, filters?: Filters) => lance.search({ vector: vectors[i], k: 8, filters });
  const fastSearch = (i: number, filters?: Filters) => ctx.store.search({ vector: vectors[i], k: 8, filters });
  for (const i of idx.slice(0, 5)) await lanceSearch(i);
  const timed = async (search: (i: number, filters?: Filters) => Promise<unknown>) => ({
    all: summarize((await timedPool(idx, 1, (i) => search(i))).latencies),
    filtered: summarize((await timedPool(filteredIdx, 1, (i) => search(i, textQueries[i].filters))).latencies),
  });
  const lanceTimes = await timed(lanceSearch);
  const fastTimes = await timed(fastSearch);
  let same = 0;
  for (const i of idx) {
    const [a, b] = [await lanceSearch(i, textQueries[i].filters), await fastSearch(i, textQueries[i].filters)];
    if (a.map((h) => h.id).join() === b.map((h) => h.id).join() && a.every((h, j) => Math.abs(h.score - b[j].score) < 1e-5)) same++;
  }
  // The matrix scan alone (MemoryVectorIndex, no payload), loaded from the store as a server loads it.
  const manifest = await lance.readManifest();
  const fields = manifest?.attributeFields ?? [];
  const loadStarted = performance.now();
  const memory = await MemoryVectorIndex.create({ dim: model.dimension, capacity: indexedOk });
  for await (const batch of lance.scan({ batchSize: 10_000, withVector: true })) memory.upsert(batch.map((r) => ({ id: r.id, vector: r.vector!, attributes: r.attributes })));
  const memoryLoadMs = performance.now() - loadStarted;
  const memTimes = await timed((i, filters) => memory.search({ vector: vectors[i], k: 8, filters: filters ? normalizeFilters(filters, fields) : undefined }));
  const facetFilters = normalizeFilters({ gender: 'Men' }, fields);
  const facetTimes = summarize((await timedPool(idx.slice(0, 50), 1, async () => memory.facets(fields, facetFilters))).latencies);
  const vectorSearch = { lanceExact: lanceTimes, serverPath: fastTimes, matrixExact: memTimes, memoryLoadMs, facetsAllFields: facetTimes, sameAsLance: same, compared: idx.length };
  log(`\n## Vector search alone, in process (${vectors.length} text query vectors, k 8, ${indexedOk} products; filtered: the ${filteredIdx.length} with their filters)`);
  log('| path | p50 | p95 | filtered p50 | filtered p95 |');
  log('|---|---|---|---|---|');
  for (const [name, t] of [['LanceDB exact (reference)', lanceTimes], ['server path: store kernel from memory', fastTimes], ['matrix scan alone (MemoryVectorIndex)', memTimes]] as const) {
    log(`| ${name} | ${fmt(t.all.p50, 2)} | ${fmt(t.all.p95, 2)} | ${fmt(t.filtered.p50, 2)} | ${fmt(t.filtered.p95, 2)} |`);
  }
  log(`identical top 8 (ids, order, scores to 1e-5) from memory as from LanceDB: ${same} of ${idx.length}; copy loaded from the store in ${fmt(memoryLoadMs, 0)} ms; facets of every field (gender = Men) p50 ${fmt(facetTimes.p50, 2)} ms`);
  await memory.close();
  await lance.close();
  await ctx.close();

  const loadEnd = os.loadavg();
  const summary = {
    bench: 'vitrine', quick, note: args.note, date: new Date().toISOString(), machine, loadAverage: { start: loadStart, end: loadEnd },
    model: { id: path.basename(model.id), dimension: model.dimension, hash: model.hash.slice(0, 12) },
    catalog: { products: indexed.length, indexed: indexedOk },
    indexing: {
      wallSeconds: run.wallSeconds, reportedSeconds: reportedWall, itemsPerSecond: indexRate, cpuSeconds: run.cpuSeconds, coresBusy: run.cpuSeconds / run.wallSeconds, peakRssMiB: run.peakRssMiB,
      rawEncoderPerSecond: rawRate, encodeOnlyPerSecond: encodeOnlyRate, ratioToRaw: indexRate / rawRate, fullCatalogSecondsAtThisRate: 44_441 / indexRate, stageSeconds: stageLine,
    },
    serve: {
      coldStartMs: coldStarts, rssReadyMiB: serverStats.rssReadyMiB, threadsReady: serverStats.threadsReady, firstFacetedQueryMs: firstFaceted,
      queriesServed: served, rssAfterMiB: after.rssMiB, threadsAfter: after.threads, cpuMsPerSequentialQuery: (cpuSeq * 1000) / sequential.length, qpsConcurrent,
    },
    http, inProcess, vectorSearch, queriesPerKind: nQueries, concurrency,
  };
  log(`\nBENCH_JSON ${JSON.stringify(summary)}`);
  if (args.json) await writeFile(args.json, `${JSON.stringify(summary, null, 2)}\n`);
  if (!args.keep) await rm(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}

await main();
