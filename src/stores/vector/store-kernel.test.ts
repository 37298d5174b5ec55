// The kernel's own rules, over drivers that misbehave in the ways real ones may (ties in any order, more
// candidates than asked, fields added by another process), and two kernels sharing one driver as two processes
// share one index.
import { describe, expect, it } from 'vitest';
import type { ModelManifest } from '../../domain/manifest.js';
import type { IndexedRecord } from '../../domain/types.js';
import { l2Normalize } from '../../domain/vector-math.js';
import { MemoryDriver } from './memory.vector-store.js';
import { attributeColumns, decideBind, lastPerId, newAttributeFields, VectorStoreKernel, type NearestQuery } from './store-kernel.js';
import type { StoredHit } from './vector-store.js';

const model = (hash = 'a'.repeat(64), dimension = 4): ModelManifest => ({ id: `m-${hash[0]}`, hash, dimension, preprocessing: {}, contextLength: 77 });

const rec = (id: string, v: number[], attributes: Record<string, string> = {}): IndexedRecord => ({
  id,
  title: id,
  attributes,
  imageRef: `/${id}`,
  contentHash: `h${id}`,
  vector: l2Normalize(v),
});

/** Returns candidates in reverse order and records what the kernel asked for. */
class ShufflingDriver extends MemoryDriver {
  readonly queries: NearestQuery[] = [];
  readonly written: IndexedRecord[][] = [];
  override async nearest(query: NearestQuery): Promise<StoredHit[]> {
    this.queries.push(query);
    return (await super.nearest(query)).reverse();
  }
  override async write(records: IndexedRecord[]): Promise<void> {
    this.written.push(records);
    return super.write(records);
  }
}

/** Counts the whole-store reads the kernel makes (scans, facet counts). */
class CountingDriver extends MemoryDriver {
  scans = 0;
  facetReads = 0;
  override async facets(...args: Parameters<MemoryDriver['facets']>) {
    this.facetReads++;
    return super.facets(...args);
  }
  override async *scan(options: { batchSize: number; withVector: boolean }) {
    this.scans++;
    yield* super.scan(options);
  }
}

describe('VectorStoreKernel', () => {
  it('asks the driver for offset + k candidates and ranks them by score, then id, whatever order they come in', async () => {
    const driver = new ShufflingDriver();
    const store = new VectorStoreKernel(driver);
    await store.bindModel(model(), ['colour']);
    await store.upsert([rec('b', [1, 0, 0, 0]), rec('a', [1, 0, 0, 0]), rec('c', [1, 1, 0, 0]), rec('d', [0, 1, 0, 0])]);
    const page = await store.search({ vector: l2Normalize([1, 0, 0, 0]), k: 2, offset: 1, excludeIds: ['zz'] });
    expect(page.map((h) => h.id)).toEqual(['b', 'c']);
    expect(driver.queries[0]).toMatchObject({ limit: 3, excludeIds: ['zz'] });
    expect(Object.keys(page[0]).sort()).toEqual(['attributes', 'id', 'imageRef', 'score', 'title']);
  });

  it('checks a batch before the driver sees it: one record per id (the last), the index dimension, new fields bound first', async () => {
    const driver = new ShufflingDriver();
    const store = new VectorStoreKernel(driver);
    await store.bindModel(model(), ['colour']);
    await store.upsert([rec('a', [1, 0, 0, 0], { colour: 'Red' }), rec('a', [0, 1, 0, 0], { colour: 'Blue', size: 'M' })]);
    expect(driver.written).toHaveLength(1);
    expect(driver.written[0].map((r) => r.attributes)).toEqual([{ colour: 'Blue', size: 'M' }]);
    expect((await store.readManifest())?.attributeFields).toEqual(['colour', 'size']);
    await expect(store.upsert([rec('x', [1, 0, 0, 0]), rec('y', [1, 0, 0, 0, 0])])).rejects.toMatchObject({
      code: 'MODEL_MISMATCH',
      message: 'vector for y has 5 dims; the index has 4',
    });
    expect(driver.written).toHaveLength(1);
    await expect(store.search({ vector: new Float32Array(3), k: 1 })).rejects.toMatchObject({ code: 'MODEL_MISMATCH', message: 'query vector has 3 dims; the index has 4' });
  });

  it('sees a field another process added: an unknown filter field is looked up once more before it is refused', async () => {
    const shared = new MemoryDriver();
    const server = new VectorStoreKernel(shared);
    const indexer = new VectorStoreKernel(shared);
    await indexer.bindModel(model(), ['colour']);
    await indexer.upsert([rec('a', [1, 0, 0, 0], { colour: 'Red' })]);
    expect(await server.count({ colour: 'Red' })).toBe(1);
    await indexer.upsert([rec('b', [1, 0, 0, 0], { colour: 'Red', size: 'XL' })]);
    expect((await server.search({ vector: l2Normalize([1, 0, 0, 0]), k: 5, filters: { size: 'XL' } })).map((h) => h.id)).toEqual(['b']);
    expect(await server.facets(['size'])).toEqual({ size: [{ value: 'XL', count: 1 }] });
    await expect(server.count({ weight: '1kg' })).rejects.toMatchObject({ code: 'UNKNOWN_FILTER_FIELD' });
  });

  it('prepareReads({ keywords: true }) builds the keyword index and the known filter values up front: the first query reads nothing more', async () => {
    const driver = new CountingDriver();
    const writer = new VectorStoreKernel(driver);
    await writer.bindModel(model(), ['colour']);
    await writer.upsert([rec('red-dress', [1, 0, 0, 0], { colour: 'Red' }), rec('blue-shirt', [0, 1, 0, 0], { colour: 'Blue' })]);
    const server = new VectorStoreKernel(driver);
    await server.prepareReads({ keywords: true });
    const before = { scans: driver.scans, facetReads: driver.facetReads };
    expect(before.scans).toBeGreaterThan(0);
    expect((await server.keywordSearch({ text: 'dress' })).ranked.map((h) => h.id)).toEqual(['red-dress']);
    expect((await server.resolveFilters({ colour: ' red ' })).filters.get('colour')).toEqual(['Red']);
    expect({ scans: driver.scans, facetReads: driver.facetReads }).toEqual(before);
  });

  it("a server's own writes reach its keyword index in place; another process's writes rebuild it from the store", async () => {
    const driver = new CountingDriver();
    const server = new VectorStoreKernel(driver);
    await server.bindModel(model(), ['colour']);
    await server.upsert([rec('red-dress', [1, 0, 0, 0], { colour: 'Red' }), rec('blue-shirt', [0, 1, 0, 0], { colour: 'Blue' })]);
    await server.prepareReads({ keywords: true });
    const scans = driver.scans;
    const words = async (text: string) => (await server.keywordSearch({ text })).ranked.map((h) => h.id).sort();
    await server.upsert([{ ...rec('green-dress', [0, 0, 1, 0], { colour: 'Green' }), title: 'green dress' }, { ...rec('red-dress', [1, 0, 0, 0], { colour: 'Red' }), title: 'red gown' }]);
    expect(await words('dress')).toEqual(['green-dress']);
    expect(await words('gown')).toEqual(['red-dress']);
    expect(await server.delete(['blue-shirt'])).toBe(1);
    expect(await words('blue')).toEqual([]);
    expect(driver.scans).toBe(scans);
    // Another process (a second kernel on the same driver) writes: the server's index is built again from the store.
    const other = new VectorStoreKernel(driver);
    await other.upsert([{ ...rec('pink-dress', [0, 0, 0, 1], { colour: 'Pink' }), title: 'pink dress' }]);
    expect(await words('dress')).toEqual(['green-dress', 'pink-dress']);
    expect(driver.scans).toBeGreaterThan(scans);
  });

  it('a reader keeps refusing another model, also for an index another process writes after it started', async () => {
    const shared = new MemoryDriver();
    const server = new VectorStoreKernel(shared);
    expect(await server.expectModel(model())).toBeNull();
    await expect(server.search({ vector: l2Normalize([1, 0, 0, 0]), k: 1 })).rejects.toMatchObject({ code: 'NO_INDEX' });
    const otherWriter = new VectorStoreKernel(shared);
    await otherWriter.bindModel(model('b'.repeat(64)), []);
    await otherWriter.upsert([rec('a', [1, 0, 0, 0])]);
    await expect(server.search({ vector: l2Normalize([1, 0, 0, 0]), k: 1 })).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
    await expect(server.readManifest()).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
  });

  it('offers upkeep, an approximate index, versions and drop only where the driver has them', async () => {
    const plain = new VectorStoreKernel(new MemoryDriver());
    expect(plain.optimize).toBeUndefined();
    expect(plain.createAnnIndex).toBeUndefined();
    expect(plain.drop).toBeUndefined();
    expect(await plain.version!()).toBe('memory:0');
    let annBuilt = 0;
    const driver = Object.assign(new MemoryDriver(), { createAnnIndex: async () => void annBuilt++ });
    const withAnn = new VectorStoreKernel(driver);
    await expect(withAnn.createAnnIndex!()).rejects.toMatchObject({ code: 'NO_INDEX' });
    await withAnn.bindModel(model(), []);
    await withAnn.createAnnIndex!();
    expect(annBuilt).toBe(1);
  });
});

describe('kernel rules', () => {
  const where = { label: 'the data dir /d', reindexHint: 'start over', indexFlags: '--data /d' };

  it('decideBind: creates, adds fields in order, leaves an unchanged manifest alone, refuses another model', () => {
    const created = decideBind(null, model(), ['b', 'a', 'b'], where, 't0')!;
    expect(created).toMatchObject({ attributeFields: ['b', 'a'], createdAt: 't0', updatedAt: 't0', metric: 'cosine', normalized: true });
    expect(decideBind(created, model(), ['a'], where, 't1')).toBeNull();
    expect(decideBind(created, model(), ['c', 'a'], where, 't1')).toMatchObject({ attributeFields: ['b', 'a', 'c'], createdAt: 't0', updatedAt: 't1' });
    expect(() => decideBind(created, model('c'.repeat(64)), [], where, 't1')).toThrow(/built with model m-a .*: start over$/);
    expect(() => decideBind(created, model('a'.repeat(64), 8), [], where, 't1')).toThrow(/4 dims.*8 dims/);
  });

  it('columns, new fields and last-per-id', () => {
    expect(attributeColumns({ colour: 'attr_0' }, ['colour', '2020', 'size'])).toEqual({ colour: 'attr_0', '2020': 'attr_1', size: 'attr_2' });
    expect(newAttributeFields([rec('a', [1], { x: '1', y: '2' }), rec('b', [1], { z: '3' })], ['y'])).toEqual(['x', 'z']);
    expect(lastPerId([rec('a', [1], { v: '1' }), rec('b', [1]), rec('a', [1], { v: '2' })]).map((r) => [r.id, r.attributes.v])).toEqual([
      ['a', '2'],
      ['b', undefined],
    ]);
  });

  it('verify reads every record: a vector changed behind the kernel, or a record stored twice, is a problem', async () => {
    const driver = new MemoryDriver();
    const store = new VectorStoreKernel(driver);
    await expect(store.verify()).rejects.toMatchObject({ code: 'NO_INDEX' });
    await store.bindModel(model(), []);
    await store.upsert([rec('a', [1, 0, 0, 0]), rec('b', [0, 1, 0, 0])]);
    expect(await store.verify({ deep: true })).toEqual({ ok: true, count: 2, problems: [], warnings: [] });
    // What a flipped bit does to a stored vector: it is no longer of unit length.
    await driver.write([{ ...rec('b', [0, 1, 0, 0]), vector: Float32Array.from([0, 1.5, 0, 0]) }]);
    const quick = await store.verify();
    expect(quick.ok).toBe(true);
    const deep = await store.verify({ deep: true });
    expect(deep.ok).toBe(false);
    expect(deep.problems).toEqual(['product b has a vector of length 1.5000, not 1']);
  });

  it('one writer at a time in a process: a second lock is INDEX_LOCKED until the first is released', async () => {
    const store = new VectorStoreKernel(new MemoryDriver());
    const lock = await store.lockWriter('vitrine index');
    await expect(store.lockWriter('the write API')).rejects.toMatchObject({ code: 'INDEX_LOCKED' });
    await lock.release();
    await (await store.lockWriter('the write API')).release();
  });
});
