// One behavioural suite for every VectorStore adapter: each adapter's test file calls runVectorStoreContract.
import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import type { VectorStore } from '../../src/stores/vector/vector-store.js';
import type { ModelManifest } from '../../src/domain/manifest.js';
import type { IndexedRecord } from '../../src/domain/types.js';
import { l2Normalize } from '../../src/domain/vector-math.js';

export const DIM = 8;

export function modelManifest(overrides: Partial<ModelManifest> = {}): ModelManifest {
  return { id: 'test-model', hash: 'a'.repeat(64), dimension: DIM, preprocessing: {}, contextLength: 77, ...overrides };
}

function unit(seed: number): Float32Array {
  const v = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) v[i] = Math.sin(seed * 12.9898 + i * 78.233);
  return l2Normalize(v);
}

export function record(id: string, seed: number, attributes: Record<string, string> = {}): IndexedRecord {
  return { id, title: `title ${id}`, attributes, imageRef: `/img/${id}.jpg`, contentHash: `hash-${id}-${seed}`, vector: unit(seed) };
}

export interface ContractOptions {
  /** The store has a writer lock (Qdrant and Pinecone have no locking primitive: a documented limitation). */
  writerLock?: boolean;
}

export function runVectorStoreContract(name: string, open: () => Promise<VectorStore>, cleanup: () => Promise<void>, options: ContractOptions = {}): void {
  describe(`VectorStore contract: ${name}`, () => {
    let store: VectorStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    const seed = async () => {
      await store.bindModel(modelManifest(), ['colour', 'gender']);
      await store.upsert([
        record('a', 1, { colour: 'Red', gender: 'Men' }),
        record('b', 2, { colour: 'Blue', gender: 'Women' }),
        record('c', 3, { colour: 'Red', gender: 'Women' }),
        record('d', 4, { colour: 'Green' }),
      ]);
    };

    it('an empty store has no manifest, no items and returns no hits', async () => {
      expect(await store.readManifest()).toBeNull();
      expect(await store.count()).toBe(0);
      await store.bindModel(modelManifest(), []);
      expect(await store.search({ vector: unit(1), k: 5 })).toEqual([]);
    });

    it('a never-indexed store answers NO_INDEX to a search, naming the store and the index command, and reads as empty', async () => {
      expect(await store.readManifest()).toBeNull();
      const error = await store.search({ vector: unit(1), k: 5 }).catch((e) => e);
      expect(error).toMatchObject({ code: 'NO_INDEX', httpStatus: 503 });
      expect(error.message).toBe(`${store.location.label} holds no index yet: run vitrine index <catalog> ${store.location.indexFlags} first`);
      expect(store.location.label).not.toMatch(/\/\/[^/\s]*:[^/\s]*@/);
      await expect(store.upsert([record('a', 1)])).rejects.toMatchObject({ code: 'NO_INDEX' });
      expect(await store.count()).toBe(0);
      expect(await store.get('a')).toBeNull();
      expect((await store.contentHashes(['a'])).size).toBe(0);
      expect(await store.delete(['a'])).toBe(0);
      expect(await store.facets([])).toEqual({});
      for await (const batch of store.scan({ batchSize: 10, withVector: false })) expect(batch).toEqual([]);
      // Reading wrote nothing: the store is still never-indexed.
      expect(await store.expectModel(modelManifest())).toBeNull();
      await expect(store.search({ vector: unit(1), k: 5 })).rejects.toMatchObject({ code: 'NO_INDEX' });
    });

    it('refuses another model with one MODEL_MISMATCH message naming both models and the store\'s re-index hint', async () => {
      await seed();
      const other = modelManifest({ id: 'other-model', hash: 'b'.repeat(64) });
      const expected =
        `the index in ${store.location.label} was built with model test-model (hash aaaaaaaaaaaa, 8 dims), ` +
        `not other-model (hash bbbbbbbbbbbb, 8 dims): ${store.location.reindexHint}`;
      const writer = await store.bindModel(other, []).catch((e) => e);
      expect(writer).toMatchObject({ code: 'MODEL_MISMATCH', httpStatus: 409, message: expected });
      expect(writer.details).toEqual({ indexModel: 'test-model', indexHash: 'a'.repeat(64), model: 'other-model', modelHash: 'b'.repeat(64) });
      const reader = await store.expectModel(other).catch((e) => e);
      expect(reader).toMatchObject({ code: 'MODEL_MISMATCH', message: expected });
      expect((await store.expectModel(modelManifest()))?.model.id).toBe('test-model');
      expect(await store.count()).toBe(4);
    });

    it('finds the exact vector first with score 1 and keeps metadata', async () => {
      await seed();
      const hits = await store.search({ vector: unit(3), k: 2 });
      expect(hits).toHaveLength(2);
      expect(hits[0].id).toBe('c');
      expect(hits[0].score).toBeCloseTo(1, 5);
      expect(hits[0].attributes).toEqual({ colour: 'Red', gender: 'Women' });
      expect(hits[0].title).toBe('title c');
      expect(hits[1].score).toBeLessThanOrEqual(hits[0].score);
    });

    it('pages with k and offset without overlap', async () => {
      await seed();
      const all = await store.search({ vector: unit(1), k: 4 });
      const page2 = await store.search({ vector: unit(1), k: 2, offset: 2 });
      expect(page2.map((h) => h.id)).toEqual(all.slice(2).map((h) => h.id));
    });

    it('filters on one value and on several values', async () => {
      await seed();
      const red = await store.search({ vector: unit(2), k: 10, filters: { colour: 'Red' } });
      expect(red.map((h) => h.id).sort()).toEqual(['a', 'c']);
      const redOrGreen = await store.search({ vector: unit(2), k: 10, filters: { colour: ['Red', 'Green'], gender: 'Women' } });
      expect(redOrGreen.map((h) => h.id)).toEqual(['c']);
      expect(await store.count({ colour: 'Red' })).toBe(2);
    });

    it('rejects an unknown filter field', async () => {
      await seed();
      await expect(store.search({ vector: unit(2), k: 3, filters: { size: 'XL' } })).rejects.toMatchObject({ code: 'UNKNOWN_FILTER_FIELD' });
    });

    it('re-upserting an id replaces it instead of duplicating it', async () => {
      await seed();
      await store.upsert([record('a', 9, { colour: 'Black', gender: 'Men' })]);
      expect(await store.count()).toBe(4);
      const a = await store.get('a');
      expect(a?.attributes.colour).toBe('Black');
      expect((await store.contentHashes(['a', 'zz'])).get('a')).toBe('hash-a-9');
      expect((await store.search({ vector: unit(9), k: 1 }))[0].id).toBe('a');
    });

    it('deletes by id', async () => {
      await seed();
      expect(await store.delete(['a', 'b', 'nope'])).toBe(2);
      expect(await store.count()).toBe(2);
      expect(await store.get('a')).toBeNull();
    });

    it('refuses another model and vectors of another dimension', async () => {
      await seed();
      await expect(store.bindModel(modelManifest({ hash: 'b'.repeat(64) }), [])).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
      await expect(store.search({ vector: new Float32Array(DIM + 1), k: 1 })).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
    });

    it('keeps unicode metadata and quotes intact, also in filters', async () => {
      await store.bindModel(modelManifest(), ['colour']);
      await store.upsert([{ ...record("é'1", 5, { colour: "Bleu d'été 🌊" }), title: 'Robe d’été — 夏' }]);
      const hits = await store.search({ vector: unit(5), k: 1, filters: { colour: "Bleu d'été 🌊" } });
      expect(hits[0]).toMatchObject({ id: "é'1", title: 'Robe d’été — 夏', attributes: { colour: "Bleu d'été 🌊" } });
    });

    it('returns stored vectors as written and scans in batches of at most batchSize, each item once', async () => {
      await seed();
      const a = await store.get('a', { withVector: true });
      Array.from(record('a', 1).vector).forEach((x, i) => expect(a!.vector![i]).toBeCloseTo(x, 6));
      expect((await store.get('a'))?.vector).toBeUndefined();
      const ids: string[] = [];
      for await (const batch of store.scan({ batchSize: 3, withVector: false })) {
        expect(batch.length).toBeGreaterThan(0);
        expect(batch.length).toBeLessThanOrEqual(3);
        for (const item of batch) {
          ids.push(item.id);
          expect(item.contentHash).toMatch(/^hash-/);
        }
      }
      expect(ids.sort()).toEqual(['a', 'b', 'c', 'd']);
    });

    it('a bound but empty store counts 0, has empty facets and scans nothing', async () => {
      await store.bindModel(modelManifest(), ['colour']);
      expect(await store.count({ colour: 'Red' })).toBe(0);
      expect(await store.facets(['colour'])).toEqual({ colour: [] });
      for await (const batch of store.scan({ batchSize: 10, withVector: false })) expect(batch).toEqual([]);
      expect(await store.delete(['x'])).toBe(0);
      expect((await store.readManifest())?.attributeFields).toEqual(['colour']);
    });

    it('keyword search ranks the best matches that pass the filters, counts them all and tells a match from the rest', async () => {
      await seed();
      // Every title holds "title"; red products are a and c, in any spelling of the value.
      const all = await store.keywordSearch({ text: 'title' });
      expect(all.ranked.map((m) => m.id).sort()).toEqual(['a', 'b', 'c', 'd']);
      expect(all.matched).toBe(4);
      const red = await store.keywordSearch({ text: 'title', filters: { colour: ' RED ' }, limit: 1 });
      expect(red.matched).toBe(2);
      expect(red.ranked).toHaveLength(1);
      expect(red.ranked[0].id).toBe(all.ranked.filter((m) => m.id === 'a' || m.id === 'c')[0].id);
      // filters aside, the words match every product: facets count over these
      expect(red.ids().sort()).toEqual(['a', 'b', 'c', 'd']);
      expect([red.has('b'), red.has('zzz')]).toEqual([true, false]);
      const withoutA = await store.keywordSearch({ text: 'title', filters: { colour: 'Red' }, excludeIds: ['a'] });
      expect(withoutA.ranked.map((m) => m.id)).toEqual(['c']);
      expect(withoutA.matched).toBe(1);
      expect(withoutA.has('a')).toBe(false);
      expect((await store.keywordSearch({ text: 'green' })).ranked.map((m) => m.id)).toEqual(['d']);
      // a similarity cut (minScore) applies to every match: only a is that close to a's own vector
      const close = await store.keywordSearch({ text: 'title', similarTo: { vector: unit(1), keep: (cosine) => cosine > 0.999 } });
      expect(close.ranked.map((m) => m.id)).toEqual(['a']);
      expect(close.matched).toBe(1);
      expect(close.ids()).toEqual(['a']);
      expect([close.has('a'), close.has('b')]).toEqual([true, false]);
      const cosines = await store.similarities(unit(1), ['a', 'b', 'zzz']);
      expect(cosines.get('a')).toBeCloseTo(1, 5);
      expect([...cosines.keys()].sort()).toEqual(['a', 'b']);
    });

    it('excludes ids, honours minScore, counts facets disjunctively and scans everything', async () => {
      await seed();
      const hits = await store.search({ vector: unit(1), k: 4, excludeIds: ['a'] });
      expect(hits.map((h) => h.id)).not.toContain('a');
      const strict = await store.search({ vector: unit(1), k: 4, minScore: 0.999 });
      expect(strict.map((h) => h.id)).toEqual(['a']);
      const facets = await store.facets(['colour', 'gender'], { colour: 'Red' });
      expect(facets.colour).toEqual([
        { value: 'Red', count: 2 },
        { value: 'Blue', count: 1 },
        { value: 'Green', count: 1 },
      ]);
      expect(facets.gender).toEqual([
        { value: 'Men', count: 1 },
        { value: 'Women', count: 1 },
      ]);
      const seen: string[] = [];
      for await (const batch of store.scan({ batchSize: 3, withVector: true })) {
        for (const item of batch) {
          seen.push(item.id);
          expect(item.vector).toHaveLength(DIM);
        }
      }
      expect(seen.sort()).toEqual(['a', 'b', 'c', 'd']);
    });

    it.skipIf(options.writerLock === false)('one writer at a time: a second writer gets INDEX_LOCKED naming the first, until it releases', async () => {
      const first = await store.lockWriter!('vitrine index');
      const error = await store.lockWriter!('the write API').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INDEX_LOCKED', httpStatus: 409 });
      expect((error as Error).message).toMatch(new RegExp(`is being written by vitrine index \\(pid ${process.pid} on `));
      await first.release();
      const second = await store.lockWriter!('the write API');
      await second.release();
    });
  });
}
