// `npm run bench:stores [-- --n 1000000]`: one synthetic index in the embedded store as `vitrine serve` reads it
// (LanceDB on disk, answered from the in-memory copy: exact below annMinProducts, HNSW from there on) and in
// PostgreSQL + pgvector (HNSW at several ef_search values), side by side in one run: build time, search latency
// p50/p95, recall@10 against exact search, memory. Vectors are synthetic: seeded, clustered unit vectors (64
// clusters, like product categories), 44,441 x 256 by default, the size of the fashion catalog; no model is
// needed. Queries are catalog vectors with noise ("more like this"): plain, with a broad filter (one colour of 8)
// and with a selective one (a colour and an article type, about 1 in 64). The truth is the exact search of the
// same vectors (MemoryVectorIndex, float64 re-scored). LanceDB's own exact search is timed on a few queries.
//
//   eval "$(scripts/postgres/start.sh)"; npm run bench:stores -- --n 1000000 --pg "$VITRINE_TEST_PG_URL"
//
// At 1M x 256 on the shared 2-core machine (loaded): vectors 42 s, truth 43 s, LanceDB write 72 s, load into
// memory 82 s, and the in-memory HNSW's build 26 min, most of the run; --ann-min above --n leaves it out.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { l2Normalize } from '../domain/vector-math.js';
import { normalizeFilters } from '../domain/filters.js';
import type { Filters, IndexedRecord } from '../domain/types.js';
import type { ModelManifest } from '../domain/manifest.js';
import { openBenchStore } from '../context.js';
import { ConfigSchema } from '../config/config.js';
import type { VectorStore } from '../stores/vector/vector-store.js';
import { MemoryVectorIndex } from '../stores/vector/memory-index/memory.vector-index.js';
import { LANCE_ANN } from '../stores/vector/lance.vector-store.js';
import { PG_HNSW } from '../stores/vector/pgvector.vector-store.js';
import { summarize } from './latency.stats.js';
import { seededRandom as rng } from '../domain/seeded-random.js';

const { values: args } = parseArgs({
  options: {
    pg: { type: 'string' },
    'skip-pg': { type: 'boolean', default: false },
    /** pgvector only (the embedded path's phases skipped). */
    'skip-embedded': { type: 'boolean', default: false },
    /** Products loaded into pgvector (the first pg-n of --n; all of them unless given). */
    'pg-n': { type: 'string' },
    n: { type: 'string', default: '44441' },
    dim: { type: 'string', default: '256' },
    queries: { type: 'string', default: '200' },
    k: { type: 'string', default: '10' },
    /** pgvector hnsw.ef_search values to measure, comma-separated. */
    'ef-search': { type: 'string', default: '400,800' },
    /** The embedded path's annMinProducts (the config default unless given). */
    'ann-min': { type: 'string' },
    /** Queries of each kind timed on the exact in-memory path when the HNSW answers at this size. */
    'exact-queries': { type: 'string', default: '50' },
    /** Queries timed against LanceDB's own exact search (slow at scale). */
    'lance-queries': { type: 'string', default: '20' },
    /** Also build LanceDB's own ANN index (vitrine index --ann) and measure the store's search with it. */
    'lance-ann': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const COLOURS = ['Black', 'White', 'Blue', 'Red', 'Green', 'Navy Blue', 'Grey', 'Pink'];
const TYPES = ['Tshirts', 'Shirts', 'Casual Shoes', 'Watches', 'Sports Shoes', 'Kurtas', 'Handbags', 'Tops'];

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}

function around(centre: Float32Array, spread: number, next: () => number): Float32Array {
  const v = new Float32Array(centre.length);
  for (let i = 0; i < v.length; i++) v[i] = centre[i] + (gaussian(next) * spread) / Math.sqrt(centre.length);
  return l2Normalize(v);
}

/**
 * The products, their vectors views of one Float32Array: a million separate small arrays would cost the garbage
 * collector more than the rest of the setup (the heap holds them all while every store is loaded).
 */
function synthetic(n: number, dim: number): IndexedRecord[] {
  const next = rng(2026);
  const centres = Array.from({ length: 64 }, () => l2Normalize(Float32Array.from({ length: dim }, () => gaussian(next))));
  const vectors = new Float32Array(n * dim);
  return Array.from({ length: n }, (_, i) => {
    const c = Math.floor(next() * centres.length);
    const attributes = { colour: COLOURS[Math.floor(next() * COLOURS.length)], articleType: TYPES[c % TYPES.length] };
    const vector = vectors.subarray(i * dim, (i + 1) * dim);
    vector.set(around(centres[c], 0.8, next));
    return { id: String(10000 + i), title: `Product ${i}`, attributes, imageRef: `/images/${10000 + i}.jpg`, contentHash: `h${i}`, vector };
  });
}

interface Query {
  kind: 'plain' | 'broad filter' | 'selective filter';
  vector: Float32Array;
  filters?: Filters;
  truth: string[];
}

interface Row {
  store: string;
  queries: string;
  p50: number;
  p95: number;
  recall: number;
  n: number;
}

const KINDS: Query['kind'][] = ['plain', 'broad filter', 'selective filter'];

async function measure(store: Pick<VectorStore, 'search'>, queries: Query[], k: number): Promise<Omit<Row, 'store' | 'queries'>> {
  for (const q of queries.slice(0, 5)) await store.search({ vector: q.vector, k, filters: q.filters });
  const times: number[] = [];
  let found = 0;
  let wanted = 0;
  for (const q of queries) {
    const t0 = performance.now();
    const hits = await store.search({ vector: q.vector, k, filters: q.filters });
    times.push(performance.now() - t0);
    const truth = new Set(q.truth);
    found += hits.filter((h) => truth.has(h.id)).length;
    wanted += q.truth.length;
  }
  const s = summarize(times);
  return { p50: s.p50, p95: s.p95, recall: found / Math.max(1, wanted), n: queries.length };
}

function pgUrl(): string {
  if (args.pg) return args.pg;
  const envFile = '/tmp/vitrine-pg.env';
  const line = existsSync(envFile) ? readFileSync(envFile, 'utf8').split('\n').find((l) => l.startsWith('VITRINE_TEST_PG_URL=')) : undefined;
  if (!line) throw new Error('no PostgreSQL: pass --pg postgres://... (or --skip-pg), or run scripts/postgres/start.sh first');
  return line.slice('VITRINE_TEST_PG_URL='.length);
}

/** The result, the wall time and the process's CPU time (all threads) in seconds: on a shared machine the CPU time is the steadier figure. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number, number]> {
  const t0 = performance.now();
  const cpu = process.cpuUsage();
  const r = await fn();
  const used = process.cpuUsage(cpu);
  return [r, (performance.now() - t0) / 1000, (used.user + used.system) / 1e6];
}

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  const n = Number(args.n);
  const dim = Number(args.dim);
  const k = Number(args.k);
  const nQueries = Number(args.queries);
  const annMin = Number(args['ann-min'] ?? ConfigSchema.parse({}).annMinProducts);
  const model: ModelManifest = { id: `synthetic-${dim}`, hash: 'b'.repeat(64), dimension: dim, preprocessing: {}, contextLength: 77 };
  const started = performance.now();
  log(`${n} synthetic products x ${dim} dims (clustered unit vectors), ${nQueries} queries of each kind, top-${k}, ${os.cpus().length} cores, node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

  const records = synthetic(n, dim);
  const phase = (what: string) => log(`# ${((performance.now() - started) / 1000).toFixed(0)} s: ${what}`);
  phase('vectors generated; exact truth next');
  // pgvector may be measured on the first pgN products only (its HNSW build at 1M takes far longer than the rest).
  const pgN = Math.min(n, Number(args['pg-n'] ?? n));
  const next = rng(7);
  const probes = Array.from({ length: nQueries }, (_, i) => ({
    vector: around(records[Math.floor(next() * pgN)].vector, 0.5, next),
    broad: { colour: COLOURS[i % COLOURS.length] },
    selective: { colour: COLOURS[(i * 3) % COLOURS.length], articleType: TYPES[i % TYPES.length] },
  }));
  /** The queries with their truth: exact search of the first `size` vectors (MemoryVectorIndex, float64 re-scored). */
  const queriesFor = async (size: number): Promise<Query[]> => {
    const truthIndex = await MemoryVectorIndex.create({ dim, capacity: size });
    for (let i = 0; i < size; i += 50_000) truthIndex.upsert(records.slice(i, Math.min(size, i + 50_000)));
    const out: Query[] = [];
    for (const { vector, broad, selective } of probes) {
      for (const [kind, filters] of [['plain', undefined], ['broad filter', broad], ['selective filter', selective]] as const) {
        const hits = await truthIndex.search({ vector, k, filters: filters ? normalizeFilters(filters, ['colour', 'articleType']) : undefined });
        out.push({ kind, vector, filters, truth: hits.map((h) => h.id) });
      }
    }
    await truthIndex.close();
    return out;
  };
  const queries = args['skip-embedded'] ? [] : await queriesFor(n);
  phase('truth computed; LanceDB write next');
  const ofKind = (kind: Query['kind'], from: Query[] = queries) => from.filter((q) => q.kind === kind);

  const rows: Row[] = [];
  const addBuild = (what: string, seconds: number, cpu?: number) => {
    builds[what] = cpu === undefined ? { seconds } : { seconds, cpu };
    log(`# ${what}: ${seconds.toFixed(1)} s${cpu === undefined ? '' : ` (CPU ${cpu.toFixed(1)} s)`}`);
  };
  /** Each row is printed as soon as it is measured (a long run interrupted still shows what it measured). */
  const addRow = (row: Row) => {
    rows.push(row);
    log(`# ${row.store} | ${row.queries} | n ${row.n} | p50 ${row.p50.toFixed(2)} ms | p95 ${row.p95.toFixed(2)} ms | recall@${k} ${row.recall.toFixed(3)}`);
  };
  const builds: Record<string, { seconds: number; cpu?: number }> = {};
  const memory: Record<string, number> = {};

  // The embedded store as a server reads it.
  if (!args['skip-embedded']) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-bench-stores-'));
    try {
      const writer = await openBenchStore(`lance:${dataDir}`);
      await writer.bindModel(model, ['colour', 'articleType']);
      const [, load, loadCpu] = await timed(async () => {
        for (let i = 0; i < n; i += 10_000) await writer.upsert(records.slice(i, i + 10_000));
        await writer.optimize?.();
      });
      addBuild(`LanceDB write (embedded store on disk: ${n} products in upserts of 10,000, then compaction)`, load, loadCpu);
      phase('LanceDB written; its exact search next');
      const lanceQueries = Number(args['lance-queries']);
      for (const kind of KINDS) addRow({ store: 'LanceDB exact (its own search, the reference)', queries: kind, ...(await measure(writer, ofKind(kind).slice(0, lanceQueries), k)) });
      if (args['lance-ann']) {
        const [, build, buildCpu] = await timed(() => writer.createAnnIndex!());
        addBuild('LanceDB HNSW-SQ build (vitrine index --ann)', build, buildCpu);
        const { ef, nprobes, refineFactor } = LANCE_ANN;
        for (const kind of KINDS) addRow({ store: `LanceDB HNSW-SQ (ef ${ef}, nprobes ${nprobes}, refine x${refineFactor})`, queries: kind, ...(await measure(writer, ofKind(kind), k)) });
      }
      await writer.close();

      // As a server reads it: exact first (the in-memory copy's load alone, and exact search at this size, to show
      // where approximate search starts to pay), then with the HNSW when n reaches annMinProducts (load + build,
      // timed to ready), so the HNSW's build is the difference.
      const readers = n >= annMin ? [{ annMinProducts: n + 1 }, { annMinProducts: annMin }] : [{ annMinProducts: annMin }];
      let exactLoad = [0, 0];
      let annLoad = [0, 0];
      for (const inMemory of readers) {
        const rssBefore = rssMiB();
        const reader = await openBenchStore(`lance:${dataDir}`, { inMemory });
        const [state, prepare, prepareCpu] = await timed(async () => reader.prepareReads!());
        const ann = state?.mode === 'ann';
        if (ann) annLoad = [prepare, prepareCpu];
        else exactLoad = [prepare, prepareCpu];
        addBuild(`embedded path: ${ann ? 'load into memory + HNSW build' : 'load into memory (exact search)'}`, prepare, prepareCpu);
        memory[`embedded path${ann ? ' with HNSW' : ', exact'}: process RSS growth while loading${inMemory === readers[1] ? ' (after the exact reader closed: memory it freed may be reused)' : ''}`] = rssMiB() - rssBefore;
        phase(`embedded path loaded (${state?.mode}); its searches next`);
        const label = ann ? `embedded path: in memory, ${state.ann}` : `embedded path: in memory, exact${n >= annMin ? ' (ANN off)' : ''}`;
        // Exact search at a size where the HNSW answers is there to show the crossover: fewer queries suffice.
        const count = ann || n < annMin ? nQueries : Math.min(nQueries, Number(args['exact-queries']));
        for (const kind of KINDS) addRow({ store: label, queries: kind, ...(await measure(reader, ofKind(kind).slice(0, count), k)) });
        await reader.close();
      }
      memory['embedded path: vector matrix (float32)'] = (n * dim * 4) / 2 ** 20;
      if (annLoad[0] > 0) addBuild('embedded path: HNSW build alone (load + build, less the exact load)', annLoad[0] - exactLoad[0], annLoad[1] - exactLoad[1]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  if (!args['skip-pg']) {
    const table = `bench_${Date.now().toString(36)}`;
    const base = new URL(pgUrl());
    base.searchParams.set('table', table);
    base.searchParams.set('index', 'none');
    const pg = await openBenchStore(base.toString());
    try {
      await pg.bindModel(model, ['colour', 'articleType']);
      const [, load] = await timed(async () => {
        for (let i = 0; i < pgN; i += 5000) await pg.upsert(records.slice(i, Math.min(pgN, i + 5000)));
      });
      addBuild(`pgvector load (${pgN} products)`, load);
      phase('pgvector loaded; HNSW build next');
      const [, build] = await timed(() => pg.createAnnIndex!());
      addBuild(`pgvector HNSW build (m ${base.searchParams.get('m') ?? PG_HNSW.m}, ef_construction ${base.searchParams.get('ef_construction') ?? PG_HNSW.efConstruction}, ${pgN} products)`, build);
      const pgQueries = pgN === n && queries.length > 0 ? queries : await queriesFor(pgN);
      for (const ef of args['ef-search']!.split(',').map(Number)) {
        const url = new URL(base);
        url.searchParams.set('ef_search', String(ef));
        const store = await openBenchStore(url.toString());
        try {
          for (const kind of KINDS) addRow({ store: `pgvector HNSW at ${pgN} products (ef_search ${ef}, iterative scan with filters)`, queries: kind, ...(await measure(store, ofKind(kind, pgQueries), k)) });
        } finally {
          await store.close();
        }
      }
    } finally {
      await pg.drop?.();
      await pg.close();
    }
  }

  const lines = [
    `| store | queries | n | p50 ms | p95 ms | recall@${k} |`,
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.store} | ${r.queries} | ${r.n} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.recall.toFixed(3)} |`),
    '',
    ...Object.entries(builds).map(([what, s]) => `- ${what}: ${s.seconds.toFixed(1)} s${s.cpu === undefined ? '' : ` (CPU ${s.cpu.toFixed(1)} s)`}`),
    ...Object.entries(memory).map(([what, mib]) => `- ${what}: ${mib.toFixed(0)} MiB`),
    `- whole run: ${((performance.now() - started) / 60_000).toFixed(1)} min, load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  ];
  log(lines.join('\n'));
  const summary = { n, pgN, dim, k, queries: nQueries, annMinProducts: annMin, rows, builds, memory };
  log(`BENCH_STORES_JSON ${JSON.stringify(summary)}`);
  if (args.out) await writeFile(args.out, JSON.stringify(summary, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
