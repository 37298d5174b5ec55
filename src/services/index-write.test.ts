// The index service as the write API uses it: batches through the same stages as `vitrine index`, one writer at a
// time (the store's lock per batch, writers of one process taking turns), an outcome per product.
import { describe, expect, it } from 'vitest';
import type { Product } from '../domain/types.js';
import { FakeEmbedder } from '../testing/fake-embedder.js';
import { MemoryVectorStore } from '../stores/vector/memory.vector-store.js';
import { IndexService } from './index.service.js';

const photos = new Map<string, string>([
  ['mem:red', 'red shirt photo'],
  ['mem:blue', 'blue shirt photo'],
  ['mem:broken', 'broken bytes'],
]);
const loadImage = async (ref: string) => Buffer.from(photos.get(ref) ?? 'broken missing');
const product = (id: string, ref: string, colour = 'red'): Product => ({ id, title: `${colour} shirt`, attributes: { colour }, imageRef: ref });

describe('IndexService.writeBatch', () => {
  it('indexes, skips unchanged, fails bad photos and deletes, saying which for each', async () => {
    const store = MemoryVectorStore.create();
    const indexer = new IndexService({ embedder: new FakeEmbedder(), store, loadImage });
    expect(await indexer.writeBatch({ upsert: [product('a', 'mem:red'), product('b', 'mem:blue', 'blue')], delete: [] })).toEqual([
      { id: 'a', outcome: 'indexed' },
      { id: 'b', outcome: 'indexed' },
    ]);
    const second = await indexer.writeBatch({ upsert: [product('a', 'mem:red'), product('c', 'mem:broken')], delete: ['b', 'zz'] });
    expect(second).toEqual([
      { id: 'a', outcome: 'unchanged' },
      { id: 'c', outcome: 'failed', reason: 'not a decodable image' },
      { id: 'b', outcome: 'deleted' },
      { id: 'zz', outcome: 'absent' },
    ]);
    expect(await store.count()).toBe(1);
    expect((await store.readManifest())?.attributeFields).toEqual(['colour']);
  });

  it('writers of one process take turns; another writer holding the lock is INDEX_LOCKED', async () => {
    const store = MemoryVectorStore.create();
    const indexer = new IndexService({ embedder: new FakeEmbedder(), store, loadImage });
    const both = await Promise.all([
      indexer.writeBatch({ upsert: [product('a', 'mem:red')], delete: [] }),
      indexer.writeBatch({ upsert: [product('b', 'mem:blue', 'blue')], delete: [] }),
    ]);
    expect(both.flat().map((r) => r.outcome)).toEqual(['indexed', 'indexed']);
    const other = await store.lockWriter('vitrine index');
    await expect(indexer.writeBatch({ upsert: [product('c', 'mem:red')], delete: [] })).rejects.toMatchObject({ code: 'INDEX_LOCKED' });
    await other.release();
    await expect(indexer.writeBatch({ upsert: [], delete: ['a'] })).resolves.toEqual([{ id: 'a', outcome: 'deleted' }]);
  });

  it('refuses (OVERLOADED) a write when too many are already waiting for their turn', async () => {
    const store = MemoryVectorStore.create();
    const indexer = new IndexService({ embedder: new FakeEmbedder(), store, loadImage });
    const first = indexer.writeBatch({ upsert: [product('a', 'mem:red')], delete: [] }, { maxWaiting: 1 });
    const second = indexer.writeBatch({ upsert: [product('b', 'mem:red')], delete: [] }, { maxWaiting: 1 });
    await expect(indexer.writeBatch({ upsert: [product('c', 'mem:red')], delete: [] }, { maxWaiting: 1 })).rejects.toMatchObject({ code: 'OVERLOADED' });
    await Promise.all([first, second]);
  });
});
