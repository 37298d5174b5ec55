// `npm run bench:stores`: the same index in the embedded store (LanceDB, exact) and in PostgreSQL + pgvector (HNSW
// and exact), side by side in one run: build time, search latency p50/p95 and recall@10 against exact search
// (brute force here, in process). Vectors are synthetic: seeded, clustered unit vectors (64 clusters, like
// product categories), 44,441 x 256 by default, the size of the fashion catalog; no model is needed.
// Queries are catalog vectors with noise ("more like this"), some with a metadata filter.
//
//   eval "$(scripts/postgres/start.sh)"; npm run bench:stores -- --pg "$VITRINE_TEST_PG_URL"
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { l2Normalize } from '../domain/vector-math.js';
import type { Filters, IndexedRecord } from '../domain/types.js';
import type { ModelManifest } from '../domain/manifest.js';
import { byScoreThenId, type Scored } from '../domain/ranking.js';
import { openBenchStore } from '../context.js';
import type { VectorStore } from '../stores/vector/vector-store.js';

const { values: args } = parseArgs({
  options: {
    pg: { type: 'string' },
    n: { type: 'string', default: '44441' },
    dim: { type: 'string', default: '256' },
    queries: { type: 'string', default: '200' },
    k: { type: 'string', default: '10' },
    'ef-search': { type: 'string', default: '100' },
    out: { type: 'string' },
  },
});

const COLOURS = ['Black', 'White', 'Blue', 'Red', 'Green', 'Navy Blue', 'Grey', 'Pink'];
const TYPES = ['Tshirts', 'Shirts', 'Casual Shoes', 'Watches', 'Sports Shoes', 'Kurtas', 'Handbags', 'Tops'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}

function around(centre: Float32Array, spread: number, next: () => number): Float32Array {
  const v = new Float32Array(centre.length);
  for (let i = 0; i < v.length; i++) v[i] = centre[i] + (gaussian(next) * spread) / Math.sqrt(centre.length);
  return l2Normalize(v);
}

function synthetic(n: number, dim: number): IndexedRecord[] {
  const next = rng(2026);
  const centres = Array.from({ length: 64 }, () => l2Normalize(Float32Array.from({ length: dim }, () => gaussian(next))));
  return Array.from({ length: n }, (_, i) => {
    const c = Math.floor(next() * centres.length);
    return {
      id: String(10000 + i),
      title: `Product ${i}`,
      attributes: { colour: COLOURS[Math.floor(next() * COLOURS.length)], articleType: TYPES[c % TYPES.length] },
      imageRef: `/images/${10000 + i}.jpg`,
      contentHash: `h${i}`,
      vector: around(centres[c], 0.8, next),
    };
  });
}

/** Exact top-k by cosine (unit vectors: dot product), optionally filtered, ranked as every store ranks: the ground truth. */
function exactTopK(records: IndexedRecord[], q: Float32Array, k: number, filters?: Filters): string[] {
  const best: Scored[] = [];
  for (const r of records) {
    if (filters && !Object.entries(filters).every(([f, v]) => (Array.isArray(v) ? v : [v]).includes(r.attributes[f]))) continue;
    let score = 0;
    for (let i = 0; i < q.length; i++) score += q[i] * r.vector[i];
    if (best.length < k || score >= best[best.length - 1].score) {
      best.push({ id: r.id, score });
      best.sort(byScoreThenId);
      if (best.length > k) best.pop();
    }
  }
  return best.map((b) => b.id);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

interface Query {
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
}

async function measure(store: VectorStore, queries: Query[], k: number): Promise<{ p50: number; p95: number; recall: number }> {
  for (const q of queries.slice(0, 10)) await store.search({ vector: q.vector, k, filters: q.filters });
  const times: number[] = [];
  let found = 0;
  for (const q of queries) {
    const t0 = performance.now();
    const hits = await store.search({ vector: q.vector, k, filters: q.filters });
    times.push(performance.now() - t0);
    const truth = new Set(q.truth);
    found += hits.filter((h) => truth.has(h.id)).length;
  }
  return { p50: pct(times, 50), p95: pct(times, 95), recall: found / (queries.length * k) };
}

function pgUrl(): string {
  if (args.pg) return args.pg;
  const envFile = '/tmp/vitrine-pg.env';
  const line = existsSync(envFile) ? readFileSync(envFile, 'utf8').split('\n').find((l) => l.startsWith('VITRINE_TEST_PG_URL=')) : undefined;
  if (!line) throw new Error('no PostgreSQL: pass --pg postgres://... or run scripts/postgres/start.sh first');
  return line.slice('VITRINE_TEST_PG_URL='.length);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
}

async function main() {
  const n = Number(args.n);
  const dim = Number(args.dim);
  const k = Number(args.k);
  const nQueries = Number(args.queries);
  const efSearch = args['ef-search']!;
  const model: ModelManifest = { id: `synthetic-${dim}`, hash: 'b'.repeat(64), dimension: dim, preprocessing: {}, contextLength: 77 };
  console.log(`${n} synthetic products x ${dim} dims (clustered unit vectors), ${nQueries} queries, top-${k}, ${os.cpus().length} cores, node ${process.version}`);

  const records = synthetic(n, dim);
  const next = rng(7);
  const plain: Query[] = [];
  const filtered: Query[] = [];
  for (let i = 0; i < nQueries; i++) {
    const vector = around(records[Math.floor(next() * n)].vector, 0.5, next);
    plain.push({ vector, truth: exactTopK(records, vector, k) });
    const filters = { colour: COLOURS[i % COLOURS.length] };
    filtered.push({ vector, filters, truth: exactTopK(records, vector, k, filters) });
  }

  const rows: Row[] = [];
  const builds: Record<string, number> = {};

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-bench-stores-'));
  const lance = await openBenchStore(`lance:${dataDir}`);
  try {
    await lance.bindModel(model, ['colour', 'articleType']);
    const [, load] = await timed(async () => {
      for (let i = 0; i < n; i += 5000) await lance.upsert(records.slice(i, i + 5000));
      await lance.optimize?.();
    });
    builds['LanceDB load'] = load;
    for (const [label, qs] of [['plain', plain], ['colour filter', filtered]] as const) rows.push({ store: 'LanceDB embedded (exact)', queries: label, ...(await measure(lance, qs, k)) });
  } finally {
    await lance.close();
    await rm(dataDir, { recursive: true, force: true });
  }

  const table = `bench_${Date.now().toString(36)}`;
  const base = new URL(pgUrl());
  base.searchParams.set('table', table);
  base.searchParams.set('index', 'none');
  base.searchParams.set('ef_search', efSearch);
  const pg = await openBenchStore(base.toString());
  try {
    await pg.bindModel(model, ['colour', 'articleType']);
    const [, load] = await timed(async () => {
      for (let i = 0; i < n; i += 2000) await pg.upsert(records.slice(i, i + 2000));
    });
    builds['pgvector load'] = load;
    const [, build] = await timed(() => pg.createAnnIndex!());
    builds['pgvector HNSW build (m 16, ef_construction 64)'] = build;
    for (const [label, qs] of [['plain', plain], ['colour filter', filtered]] as const) {
      rows.push({ store: `pgvector HNSW (ef_search ${efSearch})`, queries: label, ...(await measure(pg, qs, k)) });
    }
    const exactUrl = new URL(base);
    exactUrl.searchParams.set('exact', '1');
    const exact = await openBenchStore(exactUrl.toString());
    try {
      for (const [label, qs] of [['plain', plain], ['colour filter', filtered]] as const) {
        rows.push({ store: 'pgvector exact (seq scan)', queries: label, ...(await measure(exact, qs.slice(0, Math.min(qs.length, 50)), k)) });
      }
    } finally {
      await exact.close();
    }
  } finally {
    await pg.drop?.();
    await pg.close();
  }

  const lines = [
    `| store | queries | p50 ms | p95 ms | recall@${k} |`,
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.store} | ${r.queries} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.recall.toFixed(3)} |`),
    '',
    ...Object.entries(builds).map(([what, s]) => `- ${what}: ${s.toFixed(1)} s`),
  ];
  console.log(lines.join('\n'));
  if (args.out) await writeFile(args.out, JSON.stringify({ n, dim, k, queries: nQueries, efSearch: Number(efSearch), rows, builds }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
