// The approximate path of the in-memory index on synthetic clustered vectors: recall@10 against the exact path,
// with and without filters; hits always carry exact scores; deleted products never come back and upserted
// vectors are searched by their new value. No timing is asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeFilters } from '../../../domain/filters.js';
import { MemoryVectorIndex, type MemoryIndexRecord } from './memory.vector-index.js';
import { dot64 } from './matrix.scorer.js';
import { usearchAnnFactory } from './usearch.ann-index.js';
import { seededRandom as seeded } from '../../../domain/seeded-random.js';

const DIM = 64;
const N = 20_000;
const random = seeded(2026);
const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());

function normalised(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return v.map((x) => x / n);
}

// Clustered like product categories: 32 centres, products spread around them.
const centres = Array.from({ length: 32 }, () => normalised(Float32Array.from({ length: DIM }, gaussian)));
const around = (c: Float32Array, spread: number) => normalised(c.map((x) => x + (gaussian() * spread) / Math.sqrt(DIM)));
const records: MemoryIndexRecord[] = Array.from({ length: N }, (_, i) => {
  const c = Math.floor(random() * centres.length);
  return { id: `p${i}`, vector: around(centres[c], 0.8), attributes: { group: `g${c % 8}`, colour: `c${Math.floor(random() * 8)}`, rare: i % 50 === 0 ? 'yes' : 'no' } };
});
const queries = Array.from({ length: 100 }, () => around(records[Math.floor(random() * N)].vector, 0.3));
const FIELDS = ['group', 'colour', 'rare'];

describe('MemoryVectorIndex with a usearch HNSW index', () => {
  let exact: MemoryVectorIndex;
  let ann: MemoryVectorIndex;

  beforeAll(async () => {
    exact = await MemoryVectorIndex.create({ dim: DIM });
    ann = await MemoryVectorIndex.create({ dim: DIM, ann: usearchAnnFactory({ threads: 1 }) });
    exact.upsert(records);
    ann.upsert(records);
    await ann.buildAnn();
  });
  afterAll(async () => {
    await exact.close();
    await ann.close();
  });

  async function recallAt10(filters?: Record<string, string>): Promise<{ recall: number; paths: Set<string> }> {
    const normalized = filters ? normalizeFilters(filters, FIELDS) : undefined;
    let found = 0;
    let wanted = 0;
    const paths = new Set<string>();
    for (const q of queries) {
      const truth = await exact.search({ vector: q, k: 10, filters: normalized });
      const got = await ann.search({ vector: q, k: 10, filters: normalized });
      paths.add(ann.lastPath);
      // Whatever the ANN proposes is scored exactly.
      for (const h of got) expect(Math.abs(h.score - dot64(ann.get(h.id)!.vector, DIM, 0, q))).toBeLessThan(1e-12);
      const ids = new Set(truth.map((h) => h.id));
      found += got.filter((h) => ids.has(h.id)).length;
      wanted += truth.length;
    }
    return { recall: found / wanted, paths };
  }

  it('reaches recall@10 >= 0.99 without a filter, through the ANN', async () => {
    const { recall, paths } = await recallAt10();
    expect(paths).toEqual(new Set(['ann']));
    expect(recall).toBeGreaterThanOrEqual(0.99);
  });

  it('reaches recall@10 >= 0.99 with a broad filter that is independent of the vectors (ANN, more neighbours)', async () => {
    const { recall, paths } = await recallAt10({ colour: 'c3' });
    expect(paths).toEqual(new Set(['ann']));
    expect(recall).toBeGreaterThanOrEqual(0.99);
  });

  it('reaches recall@10 >= 0.99 with a filter that empties the query neighbourhood (exact where the ANN cannot)', async () => {
    // Groups are whole clusters: for most queries the nearest accepted products lie far from the query.
    const { recall, paths } = await recallAt10({ group: 'g3' });
    expect(paths.has('exact-subset') || paths.has('exact-all')).toBe(true);
    expect(recall).toBeGreaterThanOrEqual(0.99);
  });

  it('answers a selective filter exactly', async () => {
    const { recall, paths } = await recallAt10({ rare: 'yes' });
    expect(paths).toEqual(new Set(['exact-subset']));
    expect(recall).toBe(1);
  });

  it('never returns a deleted product and searches upserted vectors by their new value', async () => {
    const q = queries[0];
    const before = await ann.search({ vector: q, k: 10 });
    ann.delete(before.slice(0, 5).map((h) => h.id));
    exact.delete(before.slice(0, 5).map((h) => h.id));
    // Move a far-away product right onto the query.
    const moved = { id: 'p19999', vector: q, attributes: { group: 'g0', colour: 'c0', rare: 'no' } };
    ann.upsert([moved]);
    exact.upsert([moved]);
    const after = await ann.search({ vector: q, k: 10 });
    expect(ann.lastPath).toBe('ann');
    expect(after[0].id).toBe('p19999');
    expect(after.map((h) => h.id)).not.toContain(before[0].id);
    const { recall } = await recallAt10();
    expect(recall).toBeGreaterThanOrEqual(0.99);
  });
});
