// The embedded store read from memory (what `vitrine serve` runs): the whole contract suite, then the in-memory
// answers against LanceDB's own exact search on the same data dir (same ids, order and scores to 1e-5) with and
// without filters, after this process's upserts and deletes, and after another process (a real second Node process)
// has written into the data dir. No timing is asserted: the waits poll the store's version until it moves.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVectorStoreContract } from './vector-store.contract.js';
import { openLanceStore } from '../../src/stores/vector/lance.vector-store.js';
import type { VectorStore, VectorSearchOptions } from '../../src/stores/vector/vector-store.js';
import type { Filters } from '../../src/domain/types.js';
import { randomUnit, rng, syntheticModel, syntheticQueries, syntheticRecords } from '../scale/synthetic-index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const IN_MEMORY = { annMinProducts: 1_000_000 };

let contractDir = '';
runVectorStoreContract(
  'LanceDB (embedded), read from memory',
  async () => {
    contractDir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-lance-mem-'));
    return openLanceStore({ dataDir: contractDir, inMemory: IN_MEMORY });
  },
  async () => rm(contractDir, { recursive: true, force: true }),
);

const DIM = 32;
const FIELDS = ['colour', 'articleType', 'gender'];

describe('LanceDB read from memory answers as its own exact search does', () => {
  let dir: string;
  let fast: VectorStore;
  let reference: VectorStore;

  /** Until both stores see the same committed table version (`tableVersion` when given) and the copy reflects it. */
  async function inStep(tableVersion?: string): Promise<void> {
    const table = (v: string) => v.split(':')[0];
    for (;;) {
      const [a, b] = [table(await fast.version!()), table(await reference.version!())];
      if (a === b && (tableVersion === undefined || a === tableVersion)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await fast.prepareReads!();
    expect(fast.readState!()?.version).toBe(await fast.version!());
  }

  async function expectSameAnswers(queries: Float32Array[]): Promise<void> {
    const cases: Omit<VectorSearchOptions, 'vector'>[] = [
      { k: 10 },
      { k: 8, offset: 16 },
      { k: 10, filters: { colour: 'Red' } },
      { k: 10, filters: { colour: ['Red', 'Black'], gender: 'Women' } },
      { k: 5, filters: { articleType: 'Watches', gender: ['Men', 'Unisex'] } },
      { k: 10, filters: { colour: 'Purple' } },
    ];
    for (const [i, vector] of queries.entries()) {
      for (const c of cases) {
        const a = await fast.search({ vector, ...c });
        const b = await reference.search({ vector, ...c });
        expect(a.map((h) => h.id)).toEqual(b.map((h) => h.id));
        a.forEach((h, j) => {
          expect(Math.abs(h.score - b[j].score)).toBeLessThan(1e-5);
          expect({ ...h, score: 0 }).toEqual({ ...b[j], score: 0 });
        });
      }
      // "More like this" leaves the product out; minScore cuts after paging.
      const top = await reference.search({ vector, k: 3 });
      const excludeIds = [top[0].id];
      expect((await fast.search({ vector, k: 10, excludeIds })).map((h) => h.id)).toEqual((await reference.search({ vector, k: 10, excludeIds })).map((h) => h.id));
      // Halfway between two hits: scores agree to 1e-5, not bit for bit, so a cut-off exactly at a score could fall
      // either side of it.
      const minScore = (top[1].score + top[2].score) / 2;
      expect((await fast.search({ vector, k: 10, minScore })).map((h) => h.id)).toEqual((await reference.search({ vector, k: 10, minScore })).map((h) => h.id));
      if (i === 0) {
        const filterSets: (Filters | undefined)[] = [undefined, { gender: 'Men' }, { colour: ['Red', 'Blue'], articleType: 'Jeans' }];
        for (const filters of filterSets) {
          expect(await fast.count(filters)).toBe(await reference.count(filters));
          expect(await fast.facets(FIELDS, filters)).toEqual(await reference.facets(FIELDS, filters));
        }
        const id = top[0].id;
        expect(await fast.get(id, { withVector: true })).toEqual(await reference.get(id, { withVector: true }));
      }
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-lance-mem-'));
    fast = await openLanceStore({ dataDir: dir, inMemory: IN_MEMORY });
    reference = await openLanceStore({ dataDir: dir });
    await fast.bindModel(syntheticModel(DIM), FIELDS);
    const records = syntheticRecords(3000, DIM, 21);
    // Exact duplicates under other ids: ties only the id order settles, in both.
    records.push({ ...records[5], id: 'dup-b', contentHash: 'dup-b' }, { ...records[5], id: 'dup-a', contentHash: 'dup-a' });
    for (let i = 0; i < records.length; i += 500) await fast.upsert(records.slice(i, i + 500));
    expect(await fast.prepareReads!()).toMatchObject({ mode: 'exact', products: 3002 });
    await inStep();
  });

  afterAll(async () => {
    await fast?.close();
    await reference?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same hits (ids, order, scores), counts, facets and products', async () => {
    await expectSameAnswers(syntheticQueries(12, DIM, 3));
    const tie = await fast.search({ vector: (await reference.get('dup-a', { withVector: true }))!.vector!, k: 3 });
    expect(tie.slice(0, 2).map((h) => h.id)).toEqual(['dup-a', 'dup-b']);
  });

  it('still does after this process upserts and deletes', async () => {
    const next = rng(5);
    const changed = syntheticRecords(3000, DIM, 21)
      .filter((_, i) => i % 15 === 0)
      .map((r, i) => ({ ...r, vector: randomUnit(DIM, next), attributes: { ...r.attributes, colour: i % 2 ? 'Black' : 'Red' }, contentHash: `${r.contentHash}-v2` }));
    const added = syntheticRecords(300, DIM, 33).map((r) => ({ ...r, id: `n${r.id}` }));
    await fast.upsert([...changed, ...added]);
    expect(await fast.delete(['p000001', 'p000002', 'dup-b', 'no-such-id'])).toBe(3);
    await inStep();
    expect(fast.readState!()).toMatchObject({ mode: 'exact', products: 3002 + 300 - 3 });
    await expectSameAnswers(syntheticQueries(8, DIM, 4));
  });

  it('catches up with a re-index written by another process', async () => {
    const next = rng(77);
    const job = {
      dataDir: dir,
      model: syntheticModel(DIM),
      // Half the catalog re-embedded (new vectors), a new field, new products, and deletions.
      upsert: [
        ...syntheticRecords(3000, DIM, 21)
          .filter((_, i) => i % 2 === 0)
          .map((r) => ({ ...r, vector: Array.from(randomUnit(DIM, next)), attributes: { ...r.attributes, season: 'Winter' }, contentHash: `${r.contentHash}-v3` })),
        ...syntheticRecords(200, DIM, 44).map((r) => ({ ...r, id: `x${r.id}`, vector: Array.from(r.vector) })),
      ],
      delete: ['p000003', 'p000005', 'np000007'],
    };
    const jobFile = path.join(dir, '..', `${path.basename(dir)}-job.json`);
    await writeFile(jobFile, JSON.stringify(job));
    const script = `
      import { readFile } from 'node:fs/promises';
      import { openLanceStore } from ${JSON.stringify(path.join(ROOT, 'dist/stores/vector/lance.vector-store.js'))};
      const job = JSON.parse(await readFile(process.argv[1], 'utf8'));
      const store = await openLanceStore({ dataDir: job.dataDir });
      await store.bindModel(job.model, ['colour', 'articleType', 'gender', 'season']);
      const records = job.upsert.map((r) => ({ ...r, vector: Float32Array.from(r.vector) }));
      for (let i = 0; i < records.length; i += 400) await store.upsert(records.slice(i, i + 400));
      await store.delete(job.delete);
      process.stdout.write(await store.version());
      await store.close();`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, jobFile], { cwd: ROOT });
    await rm(jobFile, { force: true });
    await inStep(stdout.trim().split(':')[0]);
    expect(await fast.count()).toBe(await reference.count());
    expect(fast.readState!()?.products).toBe(await reference.count());
    expect(await fast.facets(['season'], { colour: 'Red' })).toEqual(await reference.facets(['season'], { colour: 'Red' }));
    await expectSameAnswers(syntheticQueries(8, DIM, 6));
  });
});
