// The search service with fakes (a word-axis embedder and the in-memory store): validation against the limits,
// ranking, filters and counts, "more like this", the never-indexed store, the caches and the stage trace.
import { beforeEach, describe, expect, it } from 'vitest';
import type { IndexedRecord } from '../domain/types.js';
import { FakeEmbedder, wordVector } from '../testing/fake-embedder.js';
import { MemoryVectorStore } from '../stores/vector/memory.vector-store.js';
import type { Instrumentation } from './instrumentation.js';
import { QueryCache } from './query-cache.js';
import { SearchService, type SearchResult } from './search.service.js';

const LIMITS = { defaultK: 3, maxK: 5, maxOffset: 20, maxQueryChars: 40 };

function record(id: string, words: string, attributes: Record<string, string>): IndexedRecord {
  return { id, title: words, attributes, imageRef: `/img/${id}.jpg`, contentHash: `h-${id}`, vector: wordVector(words, 32) };
}

const CATALOG = [
  record('a', 'red shirt', { colour: 'red', gender: 'Men' }),
  record('b', 'red dress', { colour: 'red', gender: 'Women' }),
  record('c', 'blue shirt', { colour: 'blue', gender: 'Men' }),
  record('d', 'blue jeans', { colour: 'blue', gender: 'Women' }),
  record('e', 'green socks', { colour: 'green', gender: 'Men' }),
  record('f', 'black watch', { colour: 'black', gender: 'Women' }),
];

describe('SearchService', () => {
  let embedder: FakeEmbedder;
  let store: MemoryVectorStore;
  let stages: string[];
  let cacheEvents: string[];
  let service: SearchService;

  const build = (cache: QueryCache<SearchResult> | null = null) => {
    const instrumentation: Instrumentation = {
      stage: async (name, _attributes, fn) => {
        stages.push(name);
        return fn();
      },
      cache: (name, hit) => void cacheEvents.push(`${name}:${hit ? 'hit' : 'miss'}`),
      indexed: () => undefined,
    };
    return new SearchService({ embedder, store }, { limits: LIMITS, instrumentation, cache, defaultMode: 'vector' });
  };

  beforeEach(async () => {
    embedder = new FakeEmbedder();
    store = MemoryVectorStore.create();
    stages = [];
    cacheEvents = [];
    await store.bindModel(embedder.manifest, ['colour', 'gender']);
    await store.upsert(CATALOG);
    service = build();
  });

  it('validates a query against its limits', async () => {
    await expect(service.search({})).rejects.toMatchObject({ code: 'EMPTY_QUERY' });
    await expect(service.search({ text: '   ' })).rejects.toMatchObject({ code: 'EMPTY_QUERY' });
    await expect(service.search({ text: 'shirt', k: 6 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'k must be an integer from 1 to 5, got 6' });
    await expect(service.search({ text: 'shirt', k: 1.5 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(service.search({ text: 'shirt', offset: 21 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('from 0 to 20') });
    await expect(service.search({ text: 'shirt', minScore: 2 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(service.search({ text: 'x'.repeat(41) })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'query text is 41 characters; the limit is 40' });
    expect(embedder.calls.encodeTexts).toBe(0);
  });

  it('ranks by similarity, pages without overlap, and counts what the filters match', async () => {
    const first = await service.search({ text: 'red shirt' });
    expect(first).toMatchObject({ k: 3, offset: 0, total: 6, truncated: false, cached: false });
    expect(first.hits.map((h) => h.id)).toEqual(['a', 'b', 'c']);
    expect(first.hits[0].score).toBeCloseTo(1, 6);
    expect(first.hits[0]).toMatchObject({ title: 'red shirt', imageRef: '/img/a.jpg', attributes: { colour: 'red', gender: 'Men' } });
    const next = await service.search({ text: 'red shirt', k: 3, offset: 3 });
    expect(next.hits.map((h) => h.id)).not.toContain('a');
    expect(new Set([...first.hits, ...next.hits].map((h) => h.id)).size).toBe(6);
    const women = await service.search({ text: 'red shirt', filters: { gender: 'Women' }, k: 5, facets: true });
    expect(women.hits.map((h) => h.id)).toEqual(['b', 'd', 'f']);
    expect(women.total).toBe(3);
    expect(women.facets?.gender).toEqual([
      { value: 'Men', count: 3 },
      { value: 'Women', count: 3 },
    ]);
    expect((await service.search({ text: 'red shirt', minScore: 0.9 })).hits.map((h) => h.id)).toEqual(['a']);
    await expect(service.search({ text: 'shirt', filters: { size: 'M' } })).rejects.toMatchObject({ code: 'UNKNOWN_FILTER_FIELD' });
  });

  it('finds more like a product, leaving the product itself out', async () => {
    const result = await service.search({ productId: 'c', k: 2 });
    expect(result.hits.map((h) => h.id)).toEqual(['a', 'd']);
    await expect(service.search({ productId: 'zz' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('mixes a text and a photo into one query', async () => {
    const result = await service.search({ text: 'blue', image: Buffer.from('jeans'), k: 1 });
    expect(result.hits.map((h) => h.id)).toEqual(['d']);
    expect(stages).toEqual(expect.arrayContaining(['text_encode', 'image_decode', 'image_encode', 'vector_search', 'metadata_lookup']));
  });

  it('says truncated when the text was cut to the model context', async () => {
    embedder = new FakeEmbedder({ contextChars: 10 });
    await store.close();
    store = MemoryVectorStore.create();
    await store.bindModel(embedder.manifest, []);
    await store.upsert(CATALOG.map((r) => ({ ...r, attributes: {} })));
    const result = await build().search({ text: 'red shirt with a very long description' });
    expect(result.truncated).toBe(true);
  });

  it('answers NO_INDEX for a store that was never indexed, for searches and facets alike', async () => {
    const empty = new SearchService({ embedder, store: MemoryVectorStore.create() }, { limits: LIMITS, cache: null });
    await expect(empty.search({ text: 'red' })).rejects.toMatchObject({ code: 'NO_INDEX', message: expect.stringContaining('holds no index yet') });
    await expect(empty.search({ productId: 'a' })).rejects.toMatchObject({ code: 'NO_INDEX' });
    await expect(empty.facets()).rejects.toMatchObject({ code: 'NO_INDEX' });
  });

  it('caches embeddings and results, and drops results when the index changes', async () => {
    const cached = build(new QueryCache<SearchResult>());
    const first = await cached.search({ text: 'Blue  shirt', k: 2 });
    const second = await cached.search({ text: ' blue shirt', k: 2 });
    expect(second.cached).toBe(false);
    expect(first.cached).toBe(false);
    const third = await cached.search({ text: 'blue shirt', k: 2 });
    expect(third.cached).toBe(true);
    expect(third.hits).toEqual(second.hits);
    expect(embedder.calls.encodeTexts).toBe(2);
    await store.upsert([record('g', 'blue shirt', { colour: 'blue', gender: 'Men' })]);
    const after = await cached.search({ text: 'blue shirt', k: 2 });
    expect(after.cached).toBe(false);
    expect(after.hits.map((h) => h.id)).toEqual(['c', 'g']);
    expect(embedder.calls.encodeTexts).toBe(2);
    expect(cacheEvents).toContain('embedding:hit');
  });

  describe('modes, counts and forgiving filters', () => {
    it('keyword mode finds the words of titles and attributes, typos forgiven, and counts only its matches', async () => {
      const result = await service.search({ text: 'shrt', mode: 'keyword', k: 5, facets: true });
      expect(result.mode).toBe('keyword');
      expect(result.hits.map((h) => h.id).sort()).toEqual(['a', 'c']);
      expect(result.total).toBe(2);
      // score is BM25 (the mode's ranking), similarity the model's cosine (here the fake's word overlap)
      expect(result.hits[0].score).toBeGreaterThan(0);
      expect(result.hits.find((h) => h.id === 'a')!.similarity).toBeCloseTo(0, 6);
      // facet counts follow the query: only the two shirts are counted
      expect(result.facets?.colour).toEqual([
        { value: 'blue', count: 1 },
        { value: 'red', count: 1 },
      ]);
      expect(result.facets?.gender).toEqual([{ value: 'Men', count: 2 }]);
    });

    it('keyword mode needs words; a photo alone is searched by vector whatever the default', async () => {
      await expect(service.search({ image: Buffer.from('jeans'), mode: 'keyword' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('give a text') });
      const hybridByDefault = new SearchService({ embedder, store }, { limits: LIMITS, cache: null, defaultMode: 'hybrid' });
      expect((await hybridByDefault.search({ image: Buffer.from('jeans') })).mode).toBe('vector');
      expect((await hybridByDefault.search({ text: 'jeans' })).mode).toBe('hybrid');
      await expect(service.search({ text: 'jeans', mode: 'fuzzy' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('vector, keyword, hybrid') });
    });

    it('hybrid fuses keyword matches with the best vector candidates; total and facets describe that set', async () => {
      const hybrid = new SearchService({ embedder, store }, { limits: LIMITS, cache: null, hybrid: { rankConstant: 1, vectorWeight: 1, keywordWeight: 2, vectorCandidates: 2, keywordCandidates: 10 } });
      const result = await hybrid.search({ text: 'dress', mode: 'hybrid', k: 5, facets: true });
      // keyword: b (the dress); vector candidates: b (cosine 0.71) and the first tie at cosine 0 by id, a
      expect(result.hits.map((h) => h.id)).toEqual(['b', 'a']);
      expect(result.total).toBe(2);
      expect(result.hits[0].score).toBeCloseTo(1 / 2 + 2 / 2, 12);
      expect(result.hits[0].similarity).toBeCloseTo(Math.SQRT1_2, 6);
      expect(result.facets?.gender).toEqual([
        { value: 'Men', count: 1 },
        { value: 'Women', count: 1 },
      ]);
      // a filter narrows the set, it never refills it from further down the vector ranking
      const women = await hybrid.search({ text: 'dress', mode: 'hybrid', filters: { gender: 'Women' }, facets: true });
      expect(women.hits.map((h) => h.id)).toEqual(['b']);
      expect(women.total).toBe(1);
      expect(women.facets?.gender).toEqual(result.facets?.gender);
    });

    it('hybrid fuses only the best keywordCandidates matches; deeper ones follow with their keyword share, in one order for every page', async () => {
      const colours = ['red', 'blue', 'green', 'black', 'white'];
      const many = MemoryVectorStore.create();
      await many.bindModel(embedder.manifest, ['colour', 'gender']);
      await many.upsert([
        ...Array.from({ length: 18 }, (_, i) =>
          record(`s${String(i).padStart(2, '0')}`, `${colours[i % 5]} ${i % 2 ? 'slim' : 'cotton'} shirt ${'long '.repeat(i % 4)}`, { colour: colours[i % 5], gender: i % 3 ? 'Men' : 'Women' }),
        ),
        record('x1', 'shirt', { colour: 'red', gender: 'Men' }),
        record('x2', 'blue jeans', { colour: 'blue', gender: 'Women' }),
      ]);
      const hybrid = { rankConstant: 1, vectorWeight: 1, keywordWeight: 2, vectorCandidates: 3, keywordCandidates: 4 };
      const service = new SearchService({ embedder, store: many }, { limits: LIMITS, cache: null, hybrid });
      for (const filters of [undefined, { gender: 'men' }]) {
        // The definition, from the store's full keyword ranking and its vector ranking.
        const keyword = (await many.keywordSearch({ text: 'slim shirt', filters })).ranked;
        const [query] = (await embedder.encodeTexts(['slim shirt'])).vectors;
        const vector = (await many.search({ vector: query, k: hybrid.vectorCandidates })).filter((h) => !filters || h.attributes.gender === 'Men');
        const expected = new Map<string, number>();
        vector.forEach((h, i) => expected.set(h.id, 1 / (1 + i + 1)));
        keyword.forEach((m, i) => {
          if (i < hybrid.keywordCandidates || !expected.has(m.id)) expected.set(m.id, (expected.get(m.id) ?? 0) + 2 / (1 + i + 1));
        });
        const order = [...expected].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
        const pages: SearchResult[] = [];
        for (let offset = 0; offset < order.length + 5; offset += 5) pages.push(await service.search({ text: 'slim shirt', mode: 'hybrid', k: 5, offset, filters, facets: true }));
        const hits = pages.flatMap((p) => p.hits);
        expect(hits.map((h) => h.id)).toEqual(order);
        expect(pages.every((p) => p.total === order.length)).toBe(true);
        expect(hits.every((h, i) => i === 0 || hits[i - 1].score >= h.score)).toBe(true);
        expect(hits.map((h) => h.score)).toEqual(order.map((id) => expect.closeTo(expected.get(id)!, 12)));
        // facets count the whole set before each field's own filter
        const genders = pages[0].facets!.gender.reduce((n, v) => n + v.count, 0);
        expect(genders).toBe(new Set([...(await many.keywordSearch({ text: 'slim shirt' })).ids(), ...(await many.search({ vector: query, k: 3 })).map((h) => h.id)]).size);
      }
    });

    it('minScore cuts on similarity in every mode, and total counts what is left', async () => {
      for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
        const result = await service.search({ text: 'red shirt', mode, minScore: 0.6, k: 5 });
        expect(result.hits.every((h) => h.similarity >= 0.6)).toBe(true);
        expect(result.hits.map((h) => h.id)).toEqual(['a']);
        expect(result.total).toBe(1);
      }
    });

    it('reports the calibrated similarity of the query kind (text or image) and cuts minScore on it', async () => {
      const calibration = { text: { scale: 10, bias: -5 }, image: { scale: 4, bias: -1 } };
      const calibrated = new FakeEmbedder({ calibration });
      const withCalibration = new SearchService({ embedder: calibrated, store }, { limits: LIMITS, cache: null });
      const logistic = (cosine: number, c: { scale: number; bias: number }) => 1 / (1 + Math.exp(-(c.scale * cosine + c.bias)));
      for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
        const text = await withCalibration.search({ text: 'red shirt', mode, k: 5 });
        const a = text.hits.find((h) => h.id === 'a')!;
        expect(a.similarity).toBeCloseTo(logistic(1, calibration.text), 6);
        // 'b' shares one word of two with the query: cosine 1/2 (keyword mode wants both words: no 'b' there)
        if (mode !== 'keyword') expect(text.hits.find((h) => h.id === 'b')!.similarity).toBeCloseTo(logistic(0.5, calibration.text), 6);
        // minScore 0.6 in similarity units keeps cosines above 0.54: only 'a'
        const cut = await withCalibration.search({ text: 'red shirt', mode, minScore: 0.6, k: 5 });
        expect(cut.hits.map((h) => h.id)).toEqual(['a']);
        expect(cut.total).toBe(1);
      }
      const photo = await withCalibration.search({ image: Buffer.from('red shirt'), k: 1 });
      expect(photo.hits[0].similarity).toBeCloseTo(logistic(1, calibration.image), 6);
    });

    it('"more like this" leaves its product out of total and facets', async () => {
      const result = await service.search({ productId: 'c', k: 5, facets: true });
      expect(result.total).toBe(5);
      expect(result.facets?.colour.find((v) => v.value === 'blue')).toEqual({ value: 'blue', count: 1 });
    });

    it('matches filter values case-insensitively and trimmed, and names the closest values of one that matches nothing', async () => {
      const forgiving = await service.search({ text: 'red shirt', filters: { gender: ' women ' }, k: 5 });
      expect(forgiving.hits.map((h) => h.id)).toEqual(['b', 'd', 'f']);
      expect(forgiving.total).toBe(3);
      expect(forgiving.unmatchedFilters).toEqual([]);
      const typo = await service.search({ text: 'red shirt', filters: { gender: 'womn' } });
      expect(typo.hits).toEqual([]);
      expect(typo.total).toBe(0);
      expect(typo.unmatchedFilters).toEqual([{ field: 'gender', value: 'womn', closest: ['Women', 'Men'] }]);
      const facets = await service.facets({ colour: 'RED' });
      expect(facets.total).toBe(2);
      expect(facets.unmatchedFilters).toEqual([]);
    });

    it('shows the configured facet fields in their order, or by default the most selective fields first', async () => {
      expect((await service.facets()).facetOrder).toEqual(['colour', 'gender']);
      const chosen = new SearchService({ embedder, store }, { limits: LIMITS, cache: null, facetFields: ['gender'] });
      const result = await chosen.search({ text: 'shirt', facets: true });
      expect(result.facetOrder).toEqual(['gender']);
      expect(Object.keys(result.facets ?? {})).toEqual(['gender']);
    });
  });
});
