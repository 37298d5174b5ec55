// The index service with fakes (a word-axis embedder, the in-memory store, photos held in a Map): each stage
// alone, then whole runs (resume, interruption, one read of the catalog, one bind of the model).
import { beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import type { Product } from '../domain/types.js';
import { FakeEmbedder } from '../testing/fake-embedder.js';
import { MemoryDriver, MemoryVectorStore } from '../stores/vector/memory.vector-store.js';
import type { CatalogEntry } from '../stores/catalog/read-catalog.js';
import type { ImageStore } from '../stores/images/image-store.js';
import type { Instrumentation } from './instrumentation.js';
import { attributeFieldsOf, contentHash, IndexService, readEntries, type IndexProgress, type ItemFailure } from './index.service.js';

const COLOURS = ['red', 'blue', 'green', 'black', 'white'];

function product(i: number, attributes: Record<string, string> = { colour: COLOURS[i % COLOURS.length] }): Product {
  return { id: `p${i}`, title: `${attributes.colour ?? 'plain'} shirt ${i}`, attributes, imageRef: `mem:p${i}` };
}

function entries(products: Product[]): CatalogEntry[] {
  return products.map((p) => ({ ok: true, product: p }));
}

/** Photos as bytes spelling their product's words; a missing one is an unreadable file. */
function photoLoader(photos: Map<string, string>) {
  const loads: string[] = [];
  const loadImage = async (ref: string) => {
    loads.push(ref);
    const text = photos.get(ref);
    if (text === undefined) throw new AppError('NOT_FOUND', `image file ${ref} does not exist`);
    return Buffer.from(text);
  };
  return { loadImage, loads };
}

/** Records stage names and outcome counts, as the observability layer would. */
function recordingInstrumentation() {
  const stages: { name: string; attributes: Record<string, unknown> }[] = [];
  const outcomes: Record<string, number> = { ok: 0, skipped: 0, failed: 0 };
  const instrumentation: Instrumentation = {
    stage: async (name, attributes, fn) => {
      stages.push({ name, attributes });
      return fn();
    },
    cache: () => undefined,
    indexed: (outcome, n) => {
      outcomes[outcome] += n;
    },
  };
  return { instrumentation, stages, outcomes };
}

/** The memory driver, counting manifest writes (binds) and record writes. */
class CountingDriver extends MemoryDriver {
  binds = 0;
  writes: number[] = [];
  override async updateManifest(...args: Parameters<MemoryDriver['updateManifest']>) {
    this.binds++;
    return super.updateManifest(...args);
  }
  override async write(...args: Parameters<MemoryDriver['write']>) {
    this.writes.push(args[0].length);
    return super.write(...args);
  }
}

describe('IndexService', () => {
  let embedder: FakeEmbedder;
  let driver: CountingDriver;
  let store: MemoryVectorStore;
  let photos: Map<string, string>;
  let products: Product[];

  beforeEach(() => {
    embedder = new FakeEmbedder();
    driver = new CountingDriver();
    store = MemoryVectorStore.create(driver);
    products = Array.from({ length: 10 }, (_, i) => product(i));
    photos = new Map(products.map((p) => [p.imageRef, p.title]));
  });

  const service = (options: ConstructorParameters<typeof IndexService>[1] = {}, extra: Partial<ConstructorParameters<typeof IndexService>[0]> = {}) =>
    new IndexService({ embedder, store, loadImage: photoLoader(photos).loadImage, ...extra }, { batchSize: 4, ...options });

  describe('stages', () => {
    it('read: products, and rows that could not be read as failures with their row', async () => {
      const read = await readEntries([
        { ok: true, product: product(1) },
        { ok: false, row: 3, reason: 'no id' },
        { ok: false, id: 'x', row: 4, reason: 'no title' },
      ]);
      expect(read.total).toBe(3);
      expect(read.products.map((p) => p.id)).toEqual(['p1']);
      expect(read.failures).toEqual([
        { id: undefined, row: 3, reason: 'no id' },
        { id: 'x', row: 4, reason: 'no title' },
      ]);
      expect(attributeFieldsOf([product(1), product(2, { size: 'M', colour: 'red' })])).toEqual(['colour', 'size']);
    });

    it('load: photo bytes and content hash per product; an unreadable photo fails with its reason', async () => {
      photos.delete('mem:p2');
      const run = await service().begin();
      const { items, failures } = await run.load(products.slice(0, 3));
      expect(items.map((i) => i.product.id)).toEqual(['p0', 'p1']);
      expect(items[0].contentHash).toBe(contentHash(products[0], Buffer.from(products[0].title)));
      expect(failures).toEqual([{ id: 'p2', reason: 'image file mem:p2 does not exist' }]);
    });

    it('content hash: changes with the photo, the title or an attribute, not with attribute order', () => {
      const bytes = Buffer.from('x');
      const base = contentHash(product(1, { a: '1', b: '2' }), bytes);
      expect(contentHash(product(1, { b: '2', a: '1' }), bytes)).toBe(base);
      expect(contentHash(product(1, { a: '1', b: '3' }), bytes)).not.toBe(base);
      expect(contentHash({ ...product(1, { a: '1', b: '2' }), title: 'other' }, bytes)).not.toBe(base);
      expect(contentHash(product(1, { a: '1', b: '2' }), Buffer.from('y'))).not.toBe(base);
    });

    it('check: what is new or changed is to do, what is unchanged is skipped; force does everything', async () => {
      await service().run({ entries: entries(products.slice(0, 3)) });
      photos.set('mem:p1', 'a new photo');
      for (const knownHashes of ['preload', 'lookup'] as const) {
        const run = await service().begin({ knownHashes });
        const { items } = await run.load(products.slice(0, 4));
        const { todo, unchanged } = await run.check(items);
        expect(todo.map((i) => i.product.id)).toEqual(['p1', 'p3']);
        expect(unchanged.map((i) => i.product.id)).toEqual(['p0', 'p2']);
      }
      const forced = await service().begin({ force: true });
      expect((await forced.check((await forced.load(products.slice(0, 4))).items)).unchanged).toEqual([]);
    });

    it('upload: photos go to the image store and its URL becomes the imageRef; a failed upload fails the item', async () => {
      const put: string[] = [];
      const images: ImageStore = {
        put: async (id) => {
          if (id === 'p1') throw new Error('bucket is full');
          put.push(id);
          return `https://cdn.example/${id}.jpg`;
        },
        get: async () => null,
        exists: async () => false,
        urlFor: (id) => `https://cdn.example/${id}.jpg`,
      };
      const run = await service({}, { uploadImages: images }).begin();
      const loaded = (await run.load(products.slice(0, 2))).items;
      const { items, failures } = await run.upload(loaded);
      expect(items.map((i) => i.product.imageRef)).toEqual(['https://cdn.example/p0.jpg']);
      expect(failures).toEqual([{ id: 'p1', reason: 'image upload failed: bucket is full' }]);
      // Uploading changes the content hash, so turning uploads on re-processes what was indexed without them.
      expect(loaded[0].contentHash).not.toBe(contentHash(products[0], Buffer.from(products[0].title)));
      // Without an image store the stage passes everything on untouched.
      const plain = await service().begin();
      expect((await plain.upload(loaded)).items).toEqual(loaded);
    });

    it('decode: pixels per photo with the configured decoder; an undecodable photo fails with its reason', async () => {
      photos.set('mem:p1', 'broken bytes');
      const decoded: number[] = [];
      const run = await service({
        decode: async (bytes) => {
          decoded.push(bytes.length);
          return embedder.preprocessImage(bytes);
        },
      }).begin();
      const { items, failures } = await run.decode((await run.load(products.slice(0, 3))).items);
      expect(items.map((i) => i.product.id)).toEqual(['p0', 'p2']);
      expect(items[0].pixels.data).toHaveLength(32);
      expect(failures).toEqual([{ id: 'p1', reason: 'not a decodable image' }]);
      expect(decoded).toHaveLength(3);
    });

    it('embed: one model call per batch; a model failure fails every item of the batch', async () => {
      const run = await service().begin();
      const decoded = (await run.decode((await run.load(products.slice(0, 3))).items)).items;
      const { items } = await run.embed(decoded);
      expect(embedder.pixelBatches).toEqual([3]);
      expect(items.map((r) => [r.id, r.vector.length, r.contentHash.length])).toEqual([
        ['p0', 32, 64],
        ['p1', 32, 64],
        ['p2', 32, 64],
      ]);
      embedder.failNextEncode = true;
      const failed = await run.embed(decoded);
      expect(failed.items).toEqual([]);
      expect(failed.failures.map((f) => f.reason)).toEqual(Array(3).fill('embedding failed: the model ran out of memory'));
      expect(await run.embed([])).toEqual({ items: [], failures: [] });
    });

    it('write: one store write; a store failure fails every record of it', async () => {
      const run = await service().begin();
      const records = (await run.embed((await run.decode((await run.load(products.slice(0, 2))).items)).items)).items;
      expect((await run.write(records)).items).toHaveLength(2);
      expect(await store.count()).toBe(2);
      const broken = MemoryVectorStore.create();
      const other = await new IndexService({ embedder, store: broken, loadImage: async () => Buffer.from('') }).begin();
      broken.upsert = async () => {
        throw new AppError('STORE_ERROR', 'the disk is full');
      };
      expect((await other.write(records)).failures).toEqual([
        { id: 'p0', reason: 'store write failed: the disk is full' },
        { id: 'p1', reason: 'store write failed: the disk is full' },
      ]);
    });

    it('each stage is traced through the instrumentation port, with batch sizes where they vary', async () => {
      const { instrumentation, stages } = recordingInstrumentation();
      await service({ instrumentation }).run({ entries: entries(products.slice(0, 5)) });
      const names = new Set(stages.map((s) => s.name));
      expect([...names].sort()).toEqual(['index.check', 'index.decode', 'index.embed', 'index.load', 'index.read', 'index.write']);
      expect(stages.filter((s) => s.name === 'index.embed').map((s) => s.attributes['vitrine.batch_size'])).toEqual([4, 1]);
      expect(stages.filter((s) => s.name === 'index.write').map((s) => s.attributes['vitrine.batch_size'])).toEqual([5]);
    });
  });

  describe('runs', () => {
    it('indexes a catalog: every item ends ok, skipped or failed; a re-run skips what is unchanged', async () => {
      photos.delete('mem:p3');
      photos.set('mem:p7', 'broken photo');
      const bad: CatalogEntry = { ok: false, row: 12, reason: 'no title' };
      const failures: ItemFailure[] = [];
      const progress: IndexProgress[] = [];
      const { instrumentation, outcomes } = recordingInstrumentation();
      const first = await service({ instrumentation }).run({
        entries: [...entries(products), bad],
        onFailure: (f) => failures.push(f),
        onProgress: (p) => progress.push(p),
      });
      expect(first).toMatchObject({ total: 11, processed: 11, ok: 8, skipped: 0, failed: 3, interrupted: false });
      expect(failures.map((f) => f.id ?? `row ${f.row}`).sort()).toEqual(['p3', 'p7', 'row 12']);
      expect(first.failures).toEqual(failures);
      expect(outcomes).toEqual({ ok: 8, skipped: 0, failed: 3 });
      expect(progress.at(-1)).toEqual({ processed: 11, ok: 8, skipped: 0, failed: 3 });
      expect(progress.map((p) => p.processed)).toEqual([...progress.map((p) => p.processed)].sort((a, b) => a - b));
      expect(await store.count()).toBe(8);
      expect(Object.keys(first.stageSeconds)).toEqual(['read', 'load', 'check', 'upload', 'decode', 'embed', 'write']);

      const again = await service().run({ entries: entries(products) });
      expect(again).toMatchObject({ ok: 0, skipped: 8, failed: 2 });
      const forced = await service().run({ entries: entries(products), force: true });
      expect(forced).toMatchObject({ ok: 8, skipped: 0, failed: 2 });
    });

    it('reads the catalog once and binds the model once, with every field the catalog uses', async () => {
      let iterations = 0;
      photos.set('mem:p10', 'red shirt 10');
      const catalog = {
        *[Symbol.iterator]() {
          iterations++;
          yield* entries([...products, product(10, { colour: 'red', size: 'XL' })]);
        },
      };
      let total = 0;
      const report = await service().run({ entries: catalog, onStart: (n) => void (total = n) });
      expect(iterations).toBe(1);
      expect(total).toBe(11);
      expect(report.ok).toBe(11);
      expect(driver.binds).toBe(1);
      expect((await store.readManifest())?.attributeFields).toEqual(['colour', 'size']);
    });

    it('batches model calls by batchSize and store writes by writeBatchSize', async () => {
      await service({ batchSize: 3, writeBatchSize: 6 }).run({ entries: entries(products) });
      expect(embedder.pixelBatches).toEqual([3, 3, 3, 1]);
      expect(driver.writes).toEqual([6, 4]);
    });

    it('pipelines: a write runs while the next batch is embedded, one write at a time; no stage outlasts the run', async () => {
      let inFlight = 0;
      let mostInFlight = 0;
      /** Batches embedded when each write ended. */
      const embeddedAtWriteEnd: number[] = [];
      class SlowDriver extends MemoryDriver {
        override async write(...args: Parameters<MemoryDriver['write']>) {
          inFlight++;
          mostInFlight = Math.max(mostInFlight, inFlight);
          const written = embeddedAtWriteEnd.length + 1;
          // Hold write k until batch k + 1 is embedded (or a bounded number of event-loop turns has passed): a
          // pipeline gets there, a loop that waits for each write does not.
          for (let turn = 0; turn < 100 && embedder.pixelBatches.length <= written; turn++) await new Promise((resolve) => setImmediate(resolve));
          embeddedAtWriteEnd.push(embedder.pixelBatches.length);
          try {
            return await super.write(...args);
          } finally {
            inFlight--;
          }
        }
      }
      const slow = MemoryVectorStore.create(new SlowDriver());
      const report = await new IndexService({ embedder, store: slow, loadImage: photoLoader(photos).loadImage }, { batchSize: 2, writeBatchSize: 2 }).run({ entries: entries(products) });
      expect(report.ok).toBe(10);
      expect(await slow.count()).toBe(10);
      expect(mostInFlight).toBe(1);
      expect(embeddedAtWriteEnd).toEqual([2, 3, 4, 5, 5]);
      for (const seconds of Object.values(report.stageSeconds)) expect(seconds).toBeLessThanOrEqual(report.wallSeconds);
      expect(report.cpuSeconds).toBeGreaterThan(0);
    });

    it('refuses a store built with another model before embedding anything', async () => {
      await store.bindModel(new FakeEmbedder({ hash: 'a'.repeat(64) }).manifest, []);
      await expect(service().run({ entries: entries(products) })).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
      expect(embedder.calls.preprocessImage).toBe(0);
    });

    it('stops after the batch in flight on its signal, keeps what was embedded, and a re-run resumes', async () => {
      const abort = new AbortController();
      const first = await service({ batchSize: 2 }).run({
        entries: entries(products),
        signal: abort.signal,
        onProgress: (p) => {
          if (p.processed >= 4) abort.abort();
        },
      });
      expect(first.interrupted).toBe(true);
      expect(first.ok).toBeGreaterThanOrEqual(4);
      expect(first.ok).toBeLessThan(10);
      expect(await store.count()).toBe(first.ok);
      const rerun = await service({ batchSize: 2 }).run({ entries: entries(products) });
      expect(rerun).toMatchObject({ skipped: first.ok, ok: 10 - first.ok, interrupted: false });
    });

    it('indexes one batch at a time for a write API, the model bound once for all batches', async () => {
      const run = await service().begin({ knownHashes: 'lookup', attributeFields: ['colour'] });
      expect(await run.indexProducts(products.slice(0, 2))).toEqual({ processed: 2, ok: 2, skipped: 0, failed: 0 });
      expect(await run.indexProducts(products.slice(0, 3))).toEqual({ processed: 5, ok: 3, skipped: 2, failed: 0 });
      expect(driver.binds).toBe(1);
      expect((await store.search({ vector: (await embedder.encodeTexts(['blue shirt 1'])).vectors[0], k: 1 }))[0].id).toBe('p1');
    });

    it('maintains the store after a run: upkeep where it has some, an approximate index only where it builds one', async () => {
      let optimized = 0;
      const withUpkeep = Object.assign(MemoryVectorStore.create(), { optimize: async () => void optimized++ });
      await new IndexService({ embedder, store: withUpkeep, loadImage: async () => Buffer.from('') }).maintain();
      expect(optimized).toBe(1);
      await expect(service().maintain({ ann: true })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('--ann') });
    });
  });
});
