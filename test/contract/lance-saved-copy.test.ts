// A server's in-memory copy saved beside the embedded index (memory-index/copy-file.ts): the next server reads it
// when, and only when, it was saved at the store's current version and fingerprint. A copy of an older state (after
// another writer's upserts, deletes or re-embedding) is never served; a damaged copy is read past; neither is
// flagged by the integrity check. The tampered copy below proves which source a server answered from.
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPY_FILE, openLanceStore } from '../../src/stores/vector/lance.vector-store.js';
import { CopyFile } from '../../src/stores/vector/memory-index/copy-file.js';
import type { VectorStore } from '../../src/stores/vector/vector-store.js';
import type { Filters } from '../../src/domain/types.js';
import { randomUnit, rng, syntheticModel, syntheticQueries, syntheticRecords } from '../scale/synthetic-index.js';

const DIM = 16;
const FIELDS = ['colour', 'articleType', 'gender'];
const IN_MEMORY = { annMinProducts: 1_000_000 };

/** The key a copy file was saved with (its header). */
async function savedKey(file: string): Promise<string> {
  const bytes = await readFile(file);
  return (JSON.parse(bytes.toString('utf8', 12, 12 + bytes.readUInt32LE(8))) as { key: string }).key;
}

/** Rewrites the saved copy with one product's title changed, keeping its key: a server that shows it read the copy. */
async function tamperTitle(file: string, id: string, title: string): Promise<void> {
  const copies = new CopyFile(file);
  const copy = (await copies.read({ key: await savedKey(file), dim: DIM }))!;
  copy.payload.titles[copy.rows.ids.indexOf(id)] = title;
  await copies.write(copy);
}

describe('the saved in-memory copy of the embedded store', () => {
  let dir: string;
  let file: string;
  let writer: VectorStore;
  const servers: VectorStore[] = [];

  /** A server's store as `vitrine serve` opens it, loaded (from the copy or the store). */
  async function serve(): Promise<VectorStore> {
    const store = await openLanceStore({ dataDir: dir, inMemory: IN_MEMORY });
    servers.push(store);
    await store.prepareReads!({ keywords: true });
    return store;
  }

  /** Same hits, counts, facets and products as the store's own reads (the writer reads LanceDB directly). */
  async function expectStoreTruth(server: VectorStore): Promise<void> {
    expect(await server.count()).toBe(await writer.count());
    expect(server.readState!()?.products).toBe(await writer.count());
    for (const vector of syntheticQueries(4, DIM, 9)) {
      const filterSets: (Filters | undefined)[] = [undefined, { colour: 'Red' }, { gender: ['Men', 'Unisex'] }];
      for (const filters of filterSets) {
        const a = await server.search({ vector, k: 10, filters });
        const b = await writer.search({ vector, k: 10, filters });
        expect(a.map((h) => h.id)).toEqual(b.map((h) => h.id));
        a.forEach((h, i) => expect({ ...h, score: 0 }).toEqual({ ...b[i], score: 0 }));
      }
    }
    expect(await server.facets(FIELDS, { colour: 'Red' })).toEqual(await writer.facets(FIELDS, { colour: 'Red' }));
    const some = (await writer.search({ vector: syntheticQueries(1, DIM, 2)[0], k: 1 }))[0].id;
    expect(await server.get(some, { withVector: true })).toEqual(await writer.get(some, { withVector: true }));
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-copy-store-'));
    file = path.join(dir, COPY_FILE);
    writer = await openLanceStore({ dataDir: dir });
    await writer.bindModel(syntheticModel(DIM), FIELDS);
    const records = syntheticRecords(1200, DIM, 5);
    for (let i = 0; i < records.length; i += 400) await writer.upsert(records.slice(i, i + 400));
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    await writer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is saved by a server that read the store, and the next server answers from it as from the store', async () => {
    expect(existsSync(file)).toBe(false);
    const first = await serve();
    await first.saveReadCopy!();
    expect(existsSync(file)).toBe(true);
    expect(await savedKey(file)).toContain(await writer.version!());
    const words = await first.keywordSearch({ text: 'red shirt' });

    const second = await serve();
    await expectStoreTruth(second);
    const again = await second.keywordSearch({ text: 'red shirt' });
    expect(again.ranked).toEqual(words.ranked);
    expect(again.matched).toBe(words.matched);
    // Saved already at this version: nothing is written again.
    const before = (await stat(file)).mtimeMs;
    await second.saveReadCopy!();
    expect((await stat(file)).mtimeMs).toBe(before);
  });

  it('holds the keyword index, which the next server loads instead of building it: the same matches and scores', async () => {
    const key = await savedKey(file);
    const copy = (await new CopyFile(file).read({ key, dim: DIM }))!;
    expect(copy.keywords?.fields.sort()).toEqual([...FIELDS].sort());
    const queries = ['red', 'red shirts', 'men', 'women red', 'product 12', 'prodct 7', 'blu', 'unisex shoes', 'nothing here'];
    const server = await serve();
    // The writer keeps no in-memory copy: its keyword index is built from a scan of the store.
    for (const text of queries) {
      const [a, b] = [await server.keywordSearch({ text }), await writer.keywordSearch({ text })];
      expect(a.ranked, text).toEqual(b.ranked);
      expect(a.matched, text).toBe(b.matched);
    }
    // A word renamed in the saved index shows which one a server searched.
    const words = copy.keywords!;
    words.terms[words.terms.indexOf('red')] = 'savedred';
    await new CopyFile(file).write(copy);
    const loaded = await serve();
    expect((await loaded.keywordSearch({ text: 'savedred' })).matched).toBe((await writer.keywordSearch({ text: 'red' })).matched);
    // Saved with other fields than the copy's columns choose now: built again, not loaded.
    await new CopyFile(file).write({ ...copy, keywords: { ...words, fields: ['colour'] } });
    const rebuilt = await serve();
    expect((await rebuilt.keywordSearch({ text: 'savedred' })).matched).toBe(0);
    expect((await rebuilt.keywordSearch({ text: 'red men' })).ranked).toEqual((await writer.keywordSearch({ text: 'red men' })).ranked);
    // ... and saved again with the index it built.
    await rebuilt.saveReadCopy!();
    const resaved = (await new CopyFile(file).read({ key, dim: DIM }))!;
    expect(resaved.keywords?.fields.sort()).toEqual([...FIELDS].sort());
    expect(resaved.keywords?.terms).toContain('red');
  });

  it('is read when saved at the current version (a tampered title shows it) and not flagged by verify', async () => {
    await tamperTitle(file, 'p000010', 'read from the copy');
    const server = await serve();
    expect((await server.get('p000010'))?.title).toBe('read from the copy');
    expect(await writer.verify!({ deep: false })).toMatchObject({ ok: true, problems: [] });
  });

  it('is never used once another writer has upserted, deleted or re-embedded: the server answers the store', async () => {
    await tamperTitle(file, 'p000010', 'stale copy');
    const next = rng(3);
    const reembedded = syntheticRecords(1200, DIM, 5)
      .filter((_, i) => i % 3 === 0)
      .map((r) => ({ ...r, vector: randomUnit(DIM, next), contentHash: `${r.contentHash}-v2` }));
    await writer.upsert([...reembedded, ...syntheticRecords(50, DIM, 8).map((r) => ({ ...r, id: `n${r.id}` }))]);
    expect(await writer.delete(['p000011', 'p000012'])).toBe(2);

    const server = await serve();
    expect((await server.get('p000010'))?.title).toBe((await writer.get('p000010'))?.title);
    expect((await server.get('p000010'))?.title).not.toBe('stale copy');
    expect(await server.get('p000011')).toBeNull();
    expect(await server.get('np000001')).not.toBeNull();
    await expectStoreTruth(server);
    // The server that read the store leaves a copy of the new state, which the next one reads.
    await server.saveReadCopy!();
    expect(await savedKey(file)).toContain(await writer.version!());
    await expectStoreTruth(await serve());
  });

  it('is read past when truncated or damaged, and saved again whole', async () => {
    const size = (await stat(file)).size;
    await truncate(file, Math.floor(size / 2));
    const server = await serve();
    await expectStoreTruth(server);
    await server.saveReadCopy!();
    expect((await stat(file)).size).toBe(size);

    const handle = await open(file, 'r+');
    await handle.write(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, Math.floor(size / 3));
    await handle.close();
    await tamperTitle(file, 'p000010', 'never read').catch(() => undefined);
    await expectStoreTruth(await serve());
  });
});
