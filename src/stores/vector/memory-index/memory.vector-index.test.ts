// The in-memory index against a brute-force reference (float64 dot products, domain filters and facet counts,
// score desc then id asc): identical ids, order and scores, with and without filters, after upserts and deletes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countFacets, matchesFilters, normalizeFilters, type NormalizedFilters } from '../../../domain/filters.js';
import type { Attributes, Filters } from '../../../domain/types.js';
import { MemoryVectorIndex, type MemoryIndexRecord } from './memory.vector-index.js';
import { MatrixScorer, dot64, float32ErrorBound } from './matrix.scorer.js';
import { seededRandom as seeded } from '../../../domain/seeded-random.js';

const DIM = 48;
const FIELDS = ['gender', 'articleType', 'colour'];

function unit(random: () => number, dim = DIM): Float32Array {
  const v = new Float32Array(dim);
  let n = 0;
  for (let j = 0; j < dim; j++) {
    // Sum of uniforms: roughly Gaussian, so directions are spread over the sphere.
    v[j] = random() + random() + random() - 1.5;
    n += v[j] * v[j];
  }
  n = Math.sqrt(n);
  for (let j = 0; j < dim; j++) v[j] /= n;
  return v;
}

function attributesFor(random: () => number, i: number): Attributes {
  const a: Attributes = { gender: random() < 0.5 ? 'Men' : 'Women' };
  // Skewed: a few common article types and many rare ones (rare ones take the column-scan path).
  const t = Math.floor(random() ** 3 * 60);
  a.articleType = `type-${t}`;
  if (i % 7 !== 0) a.colour = ['Red', 'Blue', 'Navy Blue', 'Black', 'White'][Math.floor(random() * 5)];
  return a;
}

function makeRecords(n: number, seed: number, prefix = 'p'): MemoryIndexRecord[] {
  const random = seeded(seed);
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${String(i).padStart(5, '0')}`, vector: unit(random), attributes: attributesFor(random, i) }));
}

/** The brute-force reference: every record scored, filtered, ranked and paged. */
function reference(records: Map<string, MemoryIndexRecord>, query: Float32Array, k: number, options: { offset?: number; filters?: NormalizedFilters; exclude?: string[]; minScore?: number } = {}) {
  const offset = options.offset ?? 0;
  const hits: { id: string; score: number }[] = [];
  for (const r of records.values()) {
    if (options.exclude?.includes(r.id)) continue;
    if (options.filters && !matchesFilters(r.attributes, options.filters)) continue;
    let s = 0;
    for (let j = 0; j < query.length; j++) s += r.vector[j] * query[j];
    hits.push({ id: r.id, score: s });
  }
  hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return hits.slice(offset, offset + k).filter((h) => h.score >= (options.minScore ?? -Infinity));
}

function expectSameHits(actual: { id: string; score: number }[], expected: { id: string; score: number }[]) {
  expect(actual.map((h) => h.id)).toEqual(expected.map((h) => h.id));
  actual.forEach((h, i) => expect(Math.abs(h.score - expected[i].score)).toBeLessThan(1e-9));
}

const filtersOf = (f: Filters) => normalizeFilters(f, FIELDS);

describe('MatrixScorer', () => {
  it('scores all rows and a subset within the float32 error bound of float64 dot products', async () => {
    const random = seeded(7);
    const rows = 500;
    const dim = 67; // not a multiple of 4 or 8: the tails of every loop count
    const matrix = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) matrix.set(unit(random, dim), r * dim);
    const query = unit(random, dim);
    const scorer = await MatrixScorer.create({ dim });
    try {
      const all = await scorer.scoreAll(matrix, rows - 10, query);
      expect(all.length).toBe(rows - 10);
      const bound = float32ErrorBound(dim, 1, 1) / 2;
      for (let r = 0; r < rows - 10; r++) expect(Math.abs(all[r] - dot64(matrix, dim, r, query))).toBeLessThanOrEqual(bound);
      const picks = Int32Array.from([3, 499, 0, 250]);
      const some = await scorer.scoreRows(matrix, rows, picks, query);
      picks.forEach((r, i) => expect(Math.abs(some[i] - dot64(matrix, dim, r, query))).toBeLessThanOrEqual(bound));
    } finally {
      await scorer.close();
    }
  });
});

describe('MemoryVectorIndex', () => {
  let index: MemoryVectorIndex;
  const truth = new Map<string, MemoryIndexRecord>();
  const queries = (() => {
    const random = seeded(99);
    return Array.from({ length: 12 }, () => unit(random));
  })();

  beforeAll(async () => {
    index = await MemoryVectorIndex.create({ dim: DIM, capacity: 256 });
    const records = makeRecords(3000, 1);
    // Exact duplicates under other ids: ties that only the id order can settle.
    records.push({ ...records[10], id: 'dup-b' }, { ...records[10], id: 'dup-a' }, { ...records[20], id: 'p00020x' });
    index.upsert(records);
    for (const r of records) truth.set(r.id, r);
  });
  afterAll(async () => index.close());

  it('holds every record', () => {
    expect(index.size).toBe(truth.size);
    expect(index.get('dup-a')?.attributes).toEqual(truth.get('dup-a')!.attributes);
    expect(index.get('nope')).toBeNull();
  });

  it('returns exactly the brute-force page without filters, for several k and offsets', async () => {
    for (const [i, q] of queries.entries()) {
      for (const [k, offset] of [[10, 0], [8, 16], [1, 0], [100, 3]]) {
        expectSameHits(await index.search({ vector: q, k, offset }), reference(truth, q, k, { offset }));
      }
      if (i === 0) expect(index.lastPath).toBe('exact-all');
    }
  });

  it('orders exact ties by id', async () => {
    const q = truth.get('p00010')!.vector;
    const hits = await index.search({ vector: q, k: 3 });
    expect(hits.map((h) => h.id)).toEqual(['dup-a', 'dup-b', 'p00010']);
    expect(hits[0].score).toBe(hits[2].score);
  });

  it('filters: one value, values OR-ed within a field, fields AND-ed, rare values, a value nobody has', async () => {
    const cases: Filters[] = [
      { gender: 'Men' },
      { articleType: 'type-0' },
      { articleType: ['type-55', 'type-41'] },
      { gender: 'Women', colour: ['Navy Blue', 'Red'] },
      { gender: 'Women', articleType: 'type-2', colour: 'Black' },
      { colour: 'Purple' },
    ];
    const paths = new Set<string>();
    for (const c of cases) {
      const filters = filtersOf(c);
      for (const q of queries.slice(0, 4)) {
        expectSameHits(await index.search({ vector: q, k: 10, filters }), reference(truth, q, 10, { filters }));
        paths.add(index.lastPath);
      }
    }
    expect(paths).toEqual(new Set(['exact-all', 'exact-subset', 'empty']));
  });

  it('leaves out excluded ids and drops hits under minScore after paging', async () => {
    const q = truth.get('p00042')!.vector;
    const exclude = ['p00042', 'does-not-exist'];
    expectSameHits(await index.search({ vector: q, k: 10, excludeIds: exclude }), reference(truth, q, 10, { exclude }));
    const full = reference(truth, q, 10);
    const minScore = full[4].score;
    expectSameHits(await index.search({ vector: q, k: 10, minScore }), reference(truth, q, 10, { minScore }));
    expect((await index.search({ vector: q, k: 10, minScore })).length).toBe(5);
  });

  it('counts and facets as the domain counts them (each field ignoring its own filter)', () => {
    const all = [...truth.values()].map((r) => r.attributes);
    const cases: Filters[] = [{}, { gender: 'Men' }, { gender: 'Women', colour: ['Red', 'Blue'] }, { articleType: 'type-59' }, { colour: 'Purple' }];
    for (const c of cases) {
      const filters = filtersOf(c);
      expect(index.facets(FIELDS, filters)).toEqual(countFacets(all, FIELDS, filters));
      expect(index.count(filters)).toBe(all.filter((a) => matchesFilters(a, filters)).length);
    }
    expect(index.facets(['gender', 'unknownField'], new Map())).toEqual({ ...countFacets(all, ['gender'], new Map()), unknownField: [] });
  });

  it('facets over a candidate set of ids', () => {
    const ids = [...truth.keys()].filter((_, i) => i % 5 === 0);
    const filters = filtersOf({ gender: 'Men' });
    expect(index.facets(FIELDS, filters, ids)).toEqual(countFacets(ids.map((id) => truth.get(id)!.attributes), FIELDS, filters));
  });

  it('stays exact after upserts (new vectors, new attributes, growth) and deletes (rows reused)', async () => {
    const random = seeded(5);
    // Replace 300 products' vectors and attributes.
    const changed = [...truth.values()].filter((_, i) => i % 10 === 3).map((r, i) => ({ id: r.id, vector: unit(random), attributes: attributesFor(random, i + 1) }));
    // Delete 500, including a duplicate.
    const deleted = [...truth.keys()].filter((_, i) => i % 6 === 1).concat('dup-a');
    index.upsert(changed);
    for (const r of changed) truth.set(r.id, r);
    expect(index.delete([...deleted, 'never-there'])).toBe(new Set(deleted).size);
    for (const id of deleted) truth.delete(id);
    // Add 2,500 new ones: the freed rows are reused first, then the matrix grows.
    const added = makeRecords(2500, 11, 'n');
    added[0].attributes = { ...added[0].attributes, season: 'Winter' };
    index.upsert(added);
    for (const r of added) truth.set(r.id, r);
    expect(index.size).toBe(truth.size);
    for (const q of queries) {
      expectSameHits(await index.search({ vector: q, k: 10 }), reference(truth, q, 10));
      const filters = filtersOf({ gender: 'Men', colour: 'Red' });
      expectSameHits(await index.search({ vector: q, k: 10, filters }), reference(truth, q, 10, { filters }));
    }
    const q = truth.get('p00010')!.vector;
    expect((await index.search({ vector: q, k: 2 })).map((h) => h.id)).toEqual(['dup-b', 'p00010']);
    const fields = [...FIELDS, 'season'];
    const all = [...truth.values()].map((r) => r.attributes);
    expect(index.facets(fields, filtersOf({ colour: 'Blue' }))).toEqual(countFacets(all, fields, filtersOf({ colour: 'Blue' })));
    expect(index.count()).toBe(truth.size);
  });

  it('stays exact when a broad filter keeps only rows far from the query (longer candidate lists, then the full scan)', async () => {
    // 2,000 rows: the 40% "Men" all point away from the query, so the best rows overall are all "Women" and the
    // short exact-search lists hold no eligible row: the search asks again for more, then scans every row.
    const random = seeded(77);
    const records: MemoryIndexRecord[] = Array.from({ length: 2000 }, (_, i) => {
      const v = unit(random);
      const men = i % 5 < 2;
      if ((v[0] > 0) === men) v[0] = -v[0];
      return { id: `f${String(i).padStart(5, '0')}`, vector: v, attributes: { gender: men ? 'Men' : 'Women' } };
    });
    const local = await MemoryVectorIndex.create({ dim: DIM, capacity: 3000 });
    try {
      local.upsert(records);
      const byId = new Map(records.map((r) => [r.id, r]));
      const query = new Float32Array(DIM);
      query[0] = 1;
      for (const [k, offset] of [[8, 0], [10, 30], [100, 0], [1, 600]]) {
        for (const gender of ['Men', 'Women']) {
          const filters = filtersOf({ gender });
          expectSameHits(await local.search({ vector: query, k, offset, filters }), reference(byId, query, k, { offset, filters }));
          expect(local.lastPath).toBe('exact-all');
        }
        expectSameHits(await local.search({ vector: query, k, offset }), reference(byId, query, k, { offset }));
      }
      // 300 copies of one vector, ids descending by row: the page is the smallest ids, wherever their rows are.
      const copies = Array.from({ length: 300 }, (_, i) => ({ id: `t${String(999 - i).padStart(4, '0')}`, vector: records[1].vector, attributes: { gender: 'Men' } }));
      local.upsert(copies);
      for (const c of copies) byId.set(c.id, c);
      for (const filters of [undefined, filtersOf({ gender: 'Men' })]) {
        const hits = await local.search({ vector: records[1].vector, k: 5, filters });
        expect(hits.map((h) => h.id)).toEqual(['f00001', 't0700', 't0701', 't0702', 't0703']);
        expectSameHits(hits, reference(byId, records[1].vector, 5, { filters }));
      }
      // Deleted rows (zeroed) and rows not yet in use never show up, even when every row is asked for.
      local.delete(records.filter((_, i) => i % 3 === 0).map((r) => r.id));
      for (const r of records.filter((_, i) => i % 3 === 0)) byId.delete(r.id);
      const far = new Float32Array(DIM);
      far[0] = -1;
      expectSameHits(await local.search({ vector: far, k: byId.size + 5 }), reference(byId, far, byId.size + 5));
    } finally {
      await local.close();
    }
  });

  it('refuses a vector of another dimension', async () => {
    await expect(index.search({ vector: new Float32Array(DIM + 1), k: 1 })).rejects.toThrow(/dims/);
    expect(() => index.upsert([{ id: 'x', vector: new Float32Array(3), attributes: {} }])).toThrow(/dims/);
  });
});
