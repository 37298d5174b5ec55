// The soak: a real `vitrine serve` under mixed load for N seconds (60 by default): clients searching by text and
// by photo upload (16 by default), two writers adding and removing products through the write API with a key, and
// meanwhile, in two phases that each pass or fail on their own:
//   index    the embedded store, while `vitrine index` (another process) indexes again and again into the data dir
//            being served (the write API then answers INDEX_LOCKED until the run ends);
//   restart  PostgreSQL (a private instance, scripts/postgres/instance.sh) restarted a third of the way through and
//            stopped for a few seconds two thirds of the way through: the store fault.
// Pass: 0 failed requests (503 with Retry-After while the store is down or the queue full counts apart as "shed",
// 409 INDEX_LOCKED with Retry-After for a write counts apart as "locked"), and the server's resident memory after
// warm-up grows by at most 20% (docs/DECISIONS: "Soak and limits"), from the median of the first tenth of the
// once-a-second samples to the median of the last tenth. Prints requests, answers by status, p50/p95/p99
// and RSS for each phase. The server runs with rate limits off (the load comes from one address) and small query
// caches (see serverEnv).
//
// Usage: npm run soak -- [--seconds 60] [--concurrency 16] [--writers 2] [--products 1000] [--phases index,restart]
//        [--model DIR] [--json]
// (npm run soak builds first; `node dist/scripts/soak.mjs` runs it again without building.)
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { newApiKey } from '../src/config/api-keys.js';
import { emptyStats, percentile, rssOf, runLoad, runWrites, type LoadStats } from './load.js';
import { pgInstance, pgInstanceUnavailable, ROOT, sleep, spawnVitrine, startServe, vitrine, waitFor } from './processes.js';

export type SoakPhase = 'index' | 'restart';

export interface SoakOptions {
  seconds: number;
  /** Searching clients. */
  concurrency: number;
  /** Clients writing through the write API. */
  writers: number;
  /** Products of the shared catalog to index (its first ones). */
  products: number;
  phases: SoakPhase[];
  /** Model folder; the house model by default. */
  model?: string;
  /** The shared catalog's folder. */
  shared?: string;
  /** Name of the private PostgreSQL instance for the restart phase. */
  pgInstanceName?: string;
  log?: (line: string) => void;
}

export interface TrafficReport {
  requests: number;
  ok: number;
  shed: number;
  locked: number;
  failed: number;
  byStatus: Record<string, number>;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface PhaseReport {
  phase: SoakPhase;
  seconds: number;
  searches: TrafficReport & { okUploads: number };
  writes: TrafficReport;
  /** The first failures of either kind. */
  firstFailures: LoadStats['failures'];
  rssStartMiB: number;
  rssEndMiB: number;
  rssMaxMiB: number;
  rssGrowth: number;
  /** RSS (MiB) every tenth of the measured time, for the curve: a plateau is warm-up, a steady climb a leak. */
  rssCurveMiB: number[];
  /** The server's JS heap in use (MiB, from its /metrics) at the start and the end; null where /metrics is closed. */
  heapStartMiB: number | null;
  heapEndMiB: number | null;
  /** What happened to the store meanwhile (index runs, restarts). */
  events: string[];
  passed: boolean;
  skipped?: string;
}

export const MAX_RSS_GROWTH = 0.2;
const median = (values: readonly number[]) => percentile(values, 50);
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const round = (ms: number) => (Number.isNaN(ms) ? 0 : Math.round(ms * 10) / 10);

function traffic(stats: LoadStats): TrafficReport {
  return {
    requests: stats.requests,
    ok: stats.ok,
    shed: stats.shed,
    locked: stats.locked,
    failed: stats.failed,
    byStatus: stats.byStatus,
    p50Ms: round(percentile(stats.latenciesMs, 50)),
    p95Ms: round(percentile(stats.latenciesMs, 95)),
    p99Ms: round(percentile(stats.latenciesMs, 99)),
  };
}

async function writeCatalog(shared: string, dir: string, name: string, products: number): Promise<string> {
  const rows = (await readFile(path.join(shared, 'catalog.csv'), 'utf8')).split('\n');
  const file = path.join(dir, name);
  await writeFile(file, [rows[0], ...rows.slice(1, 1 + products)].join('\n') + '\n');
  return file;
}

/** Photos for uploads: the shared catalog's own, from the products after the indexed ones. */
async function loadPhotos(shared: string, skip: number, count: number): Promise<Buffer[]> {
  const rows = (await readFile(path.join(shared, 'catalog.csv'), 'utf8')).split('\n').slice(1 + skip);
  const photos: Buffer[] = [];
  for (const row of rows) {
    if (photos.length >= count) break;
    const file = path.join(shared, 'images', `${row.split(',')[0]}.jpg`);
    if (row && existsSync(file)) photos.push(await readFile(file));
  }
  return photos;
}

interface Served {
  url: string;
  pid: number;
  apiKey: string;
  /** Holds the write API's clients back while it is closed. */
  writeGate?: () => Promise<void>;
}

/** A gate the writers pass while it is open. */
function makeGate(): { wait: () => Promise<void>; close: () => void; open: () => void } {
  let opened: Promise<void> = Promise.resolve();
  let openIt: () => void = () => undefined;
  return {
    wait: () => opened,
    close: () => (opened = new Promise((r) => (openIt = r))),
    open: () => openIt(),
  };
}

/** Load for `seconds` after a warm-up, sampling the server's RSS; `during` runs meanwhile and says what it did. */
async function measure(phase: SoakPhase, server: Served, options: SoakOptions, photos: Buffer[], during: (until: number, events: string[]) => Promise<void>): Promise<PhaseReport> {
  const searchLoad = (signal: AbortSignal, stats: LoadStats) => runLoad({ url: server.url, concurrency: options.concurrency, signal, images: photos }, stats);
  const writeLoad = (signal: AbortSignal, stats: LoadStats) =>
    runWrites({ url: server.url, concurrency: options.writers, signal, apiKey: server.apiKey, images: photos, idPrefix: `soak-${phase}-`, gate: server.writeGate }, stats);

  // Warm-up: the model's sessions, the caches and the allocator settle before the first RSS sample.
  const warmUp = Math.max(3, Math.round(options.seconds / 10));
  const warm = new AbortController();
  const warming = Promise.all([searchLoad(warm.signal, emptyStats()), writeLoad(warm.signal, emptyStats())]);
  await sleep(warmUp * 1000);
  warm.abort();
  await warming;

  const searches = emptyStats();
  const writes = emptyStats();
  const stop = new AbortController();
  const heapStart = await heapUsed(server.url);
  const rss: number[] = [(await rssOf(server.pid)) ?? 0];
  const sampler = setInterval(() => void rssOf(server.pid).then((r) => r !== null && rss.push(r)), 1000);
  const started = Date.now();
  const until = started + options.seconds * 1000;
  const events: string[] = [];
  const load = Promise.all([searchLoad(stop.signal, searches), writeLoad(stop.signal, writes)]);
  try {
    await during(until, events);
    await sleep(Math.max(0, until - Date.now()));
  } finally {
    stop.abort();
    await load;
    clearInterval(sampler);
  }
  rss.push((await rssOf(server.pid)) ?? 0);
  const heapEnd = await heapUsed(server.url);
  // RSS saws up and down with garbage collection; a single sample at either end would measure where the saw was.
  // Start and end are the medians of the first and the last tenth of the samples (one a second).
  const tenth = Math.max(1, Math.round(rss.length / 10));
  const [start, end] = [median(rss.slice(0, tenth)), median(rss.slice(-tenth))];
  const growth = start > 0 ? (end - start) / start : 0;
  return {
    phase,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    searches: { ...traffic(searches), okUploads: searches.okUploads },
    writes: traffic(writes),
    firstFailures: [...searches.failures, ...writes.failures].slice(0, 10),
    rssStartMiB: mib(start),
    rssEndMiB: mib(end),
    rssMaxMiB: mib(Math.max(...rss)),
    rssGrowth: Math.round(growth * 1000) / 1000,
    rssCurveMiB: Array.from({ length: 11 }, (_, i) => mib(rss[Math.round((i / 10) * (rss.length - 1))])),
    heapStartMiB: heapStart === null ? null : mib(heapStart),
    heapEndMiB: heapEnd === null ? null : mib(heapEnd),
    events,
    passed: searches.failed === 0 && writes.failed === 0 && searches.ok > 0 && writes.ok > 0 && growth <= MAX_RSS_GROWTH,
  };
}

/** The server's JS heap in use, from its Prometheus metrics (prom-client's default nodejs_heap_size_used_bytes). */
async function heapUsed(url: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * The server's settings: the soak's key; the per-address rate limit off (one address sends everything); and small
 * query caches. Every query text of the soak is new, so the caches (2,000 result sets and 16 MiB of embeddings by
 * default) would fill for minutes and their bounded growth would read as a leak on a short run: small, they are full
 * within the warm-up and evict all through the run, which is what a leak check wants to see.
 */
function serverEnv(entry: unknown): Record<string, string> {
  return {
    VITRINE_API_KEYS: JSON.stringify([entry]),
    VITRINE_RATE_LIMIT_PER_MINUTE: '0',
    VITRINE_CACHE_ENTRIES: '100',
    VITRINE_CACHE_EMBEDDING_BYTES: String(64 * 1024),
  };
}

async function indexPhase(options: SoakOptions, work: string, catalog: string, photos: Buffer[], model: string[]): Promise<PhaseReport> {
  const data = path.join(work, 'lance');
  const half = await writeCatalog(options.shared!, work, 'half.csv', Math.ceil(options.products / 2));
  const images = ['--images', path.join(options.shared!, 'images')];
  const first = await vitrine(['index', half, ...images, '--data', data, ...model]);
  if (first.code !== 0) throw new Error(`indexing the first half failed:\n${first.stdout}${first.stderr}`);
  const { key, entry } = newApiKey('soak', ['write']);
  const server = await startServe(['--data', data, ...model], serverEnv(entry));
  const gate = makeGate();
  try {
    return await measure('index', { url: server.url, pid: server.child.pid!, apiKey: key, writeGate: gate.wait }, options, photos, async (until, events) => {
      // Index again and again until the time is up: the rest of the catalog first, then forced re-embeddings, each
      // a run of many commits and a final compaction, with a pause between runs in which the write API gets its turn.
      // `vitrine index` refuses to start while a write holds the lock (exit 75), so new writes wait from its start
      // until it holds the lock (its holder file is in the data dir); then they go on, and get INDEX_LOCKED.
      for (let run = 0; Date.now() < until; run++) {
        const started = Date.now();
        gate.close();
        const index = spawnVitrine(['index', catalog, ...images, '--data', data, ...model, '--batch-size', '16', ...(run > 0 ? ['--force'] : [])]);
        const holder = `writer.${index.child.pid}.`;
        let ended = false;
        void index.exited.then(() => (ended = true));
        await waitFor('the index run to take the writer lock', async () => (ended || (await readdir(data)).some((f) => f.startsWith(holder)) ? true : undefined), 600_000, 50).finally(
          () => gate.open(),
        );
        const code = await index.exited;
        events.push(`index run ${run + 1}: exit ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        // 75 is INDEX_LOCKED: a write through the API still held the lock when the run started; the loop runs again.
        if (code !== 0) events.push(`  ${index.output().trim().split('\n').slice(-2).join(' | ')}`);
        await sleep(Math.min(2000, Math.max(0, until - Date.now())));
      }
    });
  } finally {
    await server.stop();
  }
}

async function restartPhase(options: SoakOptions, work: string, catalog: string, photos: Buffer[], model: string[]): Promise<PhaseReport> {
  const pg = await pgInstance(options.pgInstanceName ?? 'soak');
  const store = `${pg.url}?table=soak_${process.pid}`;
  // The data dir holds the write API's uploaded photos only: the index is in PostgreSQL.
  const data = ['--data', path.join(work, 'pg-data')];
  const images = ['--images', path.join(options.shared!, 'images')];
  const indexed = await vitrine(['index', catalog, ...images, '--store', store, ...data, ...model]);
  if (indexed.code !== 0) throw new Error(`indexing into PostgreSQL failed:\n${indexed.stdout}${indexed.stderr}`);
  const { key, entry } = newApiKey('soak', ['write']);
  const server = await startServe(['--store', store, ...data, ...model], serverEnv(entry));
  try {
    return await measure('restart', { url: server.url, pid: server.child.pid!, apiKey: key }, options, photos, async (until, events) => {
      const total = until - Date.now();
      await sleep(total / 3);
      let t = Date.now();
      await pg.restart();
      events.push(`PostgreSQL restarted (pg_ctl restart -m fast) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      await sleep(Math.max(0, until - total / 3 - Date.now()));
      t = Date.now();
      await pg.stop();
      await sleep(3000);
      await pg.start();
      events.push(`PostgreSQL stopped and started again: down ${((Date.now() - t) / 1000).toFixed(1)} s`);
      await waitFor('the server ready again', async () => ((await fetch(`${server.url}/readyz`)).status === 200 ? true : undefined), 60_000);
      events.push('the server was ready again');
    });
  } finally {
    await server.stop();
    await pg.start().catch(() => undefined);
  }
}

/** Runs the soak's phases; a phase that cannot run here (no PostgreSQL tree, not root) is skipped and says why. */
export async function runSoak(options: SoakOptions): Promise<PhaseReport[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const shared = options.shared ?? path.resolve(ROOT, '../shared/data/fashion-products');
  if (!existsSync(path.join(shared, 'catalog.csv'))) throw new Error(`the soak indexes the shared catalog; ${shared}/catalog.csv is missing`);
  const opts = { ...options, shared };
  const model = options.model ? ['--model', options.model] : [];
  const work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-soak-'));
  const reports: PhaseReport[] = [];
  try {
    const catalog = await writeCatalog(shared, work, 'catalog.csv', options.products);
    const photos = await loadPhotos(shared, options.products, 32);
    for (const phase of options.phases) {
      log(`soak: phase ${phase}, ${options.seconds} s, ${options.concurrency} searching clients and ${options.writers} writers, ${options.products} products...`);
      if (phase === 'restart') {
        const why = pgInstanceUnavailable();
        if (why) {
          log(`soak: SKIPPING the PostgreSQL restart phase: ${why}`);
          reports.push({ ...emptyReport('restart'), skipped: why });
          continue;
        }
      }
      reports.push(phase === 'index' ? await indexPhase(opts, work, catalog, photos, model) : await restartPhase(opts, work, catalog, photos, model));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return reports;
}

function emptyReport(phase: SoakPhase): PhaseReport {
  const none: TrafficReport = { requests: 0, ok: 0, shed: 0, locked: 0, failed: 0, byStatus: {}, p50Ms: 0, p95Ms: 0, p99Ms: 0 };
  return { phase, seconds: 0, searches: { ...none, okUploads: 0 }, writes: none, firstFailures: [], rssStartMiB: 0, rssEndMiB: 0, rssMaxMiB: 0, rssGrowth: 0, rssCurveMiB: [], heapStartMiB: null, heapEndMiB: null, events: [], passed: true };
}

export function formatReport(r: PhaseReport): string {
  if (r.skipped) return `${r.phase}: SKIPPED (${r.skipped})`;
  const line = (what: string, t: TrafficReport) =>
    `  ${what}: ${t.requests} requests, ${t.ok} ok, ${t.failed} failed, ${t.shed} shed (503 + Retry-After), ${t.locked} locked (409 INDEX_LOCKED); by status ${JSON.stringify(t.byStatus)}; ok latency p50 ${t.p50Ms} ms, p95 ${t.p95Ms} ms, p99 ${t.p99Ms} ms`;
  return [
    `${r.phase}: ${r.passed ? 'PASS' : 'FAIL'} in ${r.seconds} s`,
    line(`searches (${r.searches.okUploads} ok photo uploads)`, r.searches),
    line('writes', r.writes),
    `  RSS ${r.rssStartMiB} -> ${r.rssEndMiB} MiB (max ${r.rssMaxMiB}, growth ${(r.rssGrowth * 100).toFixed(1)}%, limit ${MAX_RSS_GROWTH * 100}%); JS heap used ${r.heapStartMiB} -> ${r.heapEndMiB} MiB`,
    `  RSS every tenth of the run (MiB): ${r.rssCurveMiB.join(' ')}`,
    ...r.events.map((e) => `  ${e}`),
    ...r.firstFailures.slice(0, 5).map((f) => `  failed: ${f.status ?? 'no answer'} ${f.code ?? ''} ${f.message}`),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      concurrency: { type: 'string', default: '16' },
      writers: { type: 'string', default: '2' },
      products: { type: 'string', default: '1000' },
      phases: { type: 'string', default: 'index,restart' },
      model: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const phases = values.phases.split(',').map((p) => p.trim()) as SoakPhase[];
  if (!phases.every((p) => p === 'index' || p === 'restart')) throw new Error('--phases takes index and/or restart');
  const reports = await runSoak({
    seconds: Number(values.seconds),
    concurrency: Number(values.concurrency),
    writers: Number(values.writers),
    products: Number(values.products),
    phases,
    model: values.model,
  });
  process.stdout.write(values.json ? `${JSON.stringify(reports, null, 2)}\n` : `${reports.map(formatReport).join('\n')}\n`);
  process.exitCode = reports.every((r) => r.passed) ? 0 : 1;
}

if (process.argv[1] && /soak\.(m?js|ts)$/.test(process.argv[1])) {
  main().catch((e: unknown) => {
    process.stderr.write(`soak: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
