import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelManifest, record, runVectorStoreContract } from './vector-store.contract.js';
import { PineconeVectorStore, parsePineconeUrl, recordId } from '../../src/stores/vector/pinecone.vector-store.js';
import { matchesFilter, startPineconeStandIn } from '../stand-ins/pinecone.js';
import { warnSkipped } from '../stand-ins/test-env.js';

const fastRetry = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 50 };
let standIn: Awaited<ReturnType<typeof startPineconeStandIn>>;
let n = 0;
const indexName = () => `contract-${process.pid}-${++n}`;
const standInUrl = (index: string, query = '') => `pinecone://${index}?controller=${encodeURIComponent(standIn.url)}${query}`;
const open = (url: string) => PineconeVectorStore.open({ url, apiKey: 'stand-in-key', retry: fastRetry });

describe('Pinecone (local stand-in of the REST API)', () => {
  beforeAll(async () => {
    standIn = await startPineconeStandIn();
  });
  afterAll(async () => standIn.close());

  let index = '';
  runVectorStoreContract(
    'PineconeVectorStore (stand-in)',
    async () => {
      index = indexName();
      return open(standInUrl(index));
    },
    async () => {
      standIn.indexes.delete(index);
    },
    { writerLock: false },
  );

  it('creates a cosine serverless index and keeps the manifest in a reserved namespace', async () => {
    const name = indexName();
    const store = await open(standInUrl(name, '&namespace=shop&cloud=gcp&region=europe-west4'));
    await store.bindModel(modelManifest(), ['colour']);
    await store.upsert([record('a', 1, { colour: 'Red' })]);
    const ix = standIn.indexes.get(name)!;
    expect([ix.dimension, ix.metric, ix.cloud, ix.region]).toEqual([8, 'cosine', 'gcp', 'europe-west4']);
    expect([...ix.namespaces.get('shop')!.keys()]).toEqual(['a']);
    expect(ix.namespaces.get('__vitrine_manifest__')!.has('manifest')).toBe(true);
    expect(await store.count()).toBe(1);
  });

  it('counts and facets from a local metadata copy that follows its own writes', async () => {
    const store = await open(standInUrl(indexName()));
    await store.bindModel(modelManifest(), ['colour']);
    await store.upsert([record('a', 1, { colour: 'Red' }), record('b', 2, { colour: 'Blue' })]);
    expect(await store.count({ colour: 'Red' })).toBe(1);
    await store.upsert([record('c', 3, { colour: 'Red' })]);
    await store.delete(['b']);
    expect(await store.count({ colour: 'Red' })).toBe(2);
    expect((await store.facets(['colour'])).colour).toEqual([{ value: 'Red', count: 2 }]);
  });

  it('retries HTTP 429 honouring Retry-After, then succeeds', async () => {
    const store = await open(standInUrl(indexName()));
    await store.bindModel(modelManifest(), []);
    const before = standIn.log.length;
    standIn.failNext(2, { status: 429, headers: { 'retry-after': '0' }, json: { error: { code: 'RESOURCE_EXHAUSTED', message: 'slow down' } } });
    await store.upsert([record('a', 1)]);
    expect(standIn.log.slice(before).filter((l) => l.endsWith('/vectors/upsert')).length).toBe(3);
  });

  it('gives up after the retries with STORE_ERROR carrying the cause', async () => {
    const store = await open(standInUrl(indexName()));
    await store.bindModel(modelManifest(), []);
    standIn.failNext(10, { status: 429, json: { error: { code: 'RESOURCE_EXHAUSTED', message: 'slow down' } } });
    const error = await store.upsert([record('a', 1)]).catch((e) => e);
    standIn.failNext(0, {});
    expect(error).toMatchObject({ code: 'STORE_ERROR', message: expect.stringContaining('Pinecone index') });
    expect(error.cause).toBeDefined();
  });

  it('needs an API key, parses URLs, escapes ids that Pinecone would not take', async () => {
    const saved = process.env.PINECONE_API_KEY;
    delete process.env.PINECONE_API_KEY;
    await expect(PineconeVectorStore.open({ url: 'pinecone://shop' })).rejects.toMatchObject({ code: 'CONFIG_ERROR' });
    if (saved !== undefined) process.env.PINECONE_API_KEY = saved;
    expect(parsePineconeUrl('pinecone://shop?namespace=eu&metadata_ttl=5')).toMatchObject({ index: 'shop', namespace: 'eu', metadataTtlMs: 5000 });
    expect(recordId('p-001')).toBe('p-001');
    expect(recordId("é'1")).toMatch(/^b64:/);
    expect(recordId('b64:x')).not.toBe('b64:x');
    expect(matchesFilter({ a: 'x', b: 'y' }, { $and: [{ a: { $in: ['x'] } }, { b: { $nin: ['z'] } }] })).toBe(true);
  });
});

const liveKey = process.env.PINECONE_API_KEY;
if (!liveKey) {
  warnSkipped('PineconeVectorStore against real Pinecone', 'PINECONE_API_KEY is not set', 'set PINECONE_API_KEY (and PINECONE_TEST_INDEX, default vitrine-contract) to run it; it creates and deletes serverless indexes');
}
describe.skipIf(!liveKey)('PineconeVectorStore (live Pinecone)', () => {
  // Pinecone is eventually consistent: the live run checks a write becomes searchable, not the full contract.
  it('writes, finds and deletes a record', async () => {
    const name = process.env.PINECONE_TEST_INDEX ?? 'vitrine-contract';
    const store = await PineconeVectorStore.open({ url: `pinecone://${name}?namespace=contract-${Date.now()}`, apiKey: liveKey });
    await store.bindModel(modelManifest(), ['colour']);
    await store.upsert([record('a', 1, { colour: 'Red' }), record('b', 2, { colour: 'Blue' })]);
    let hits: { id: string }[] = [];
    for (let i = 0; i < 30 && hits.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      hits = await store.search({ vector: record('a', 1).vector, k: 2 });
    }
    expect(hits[0]?.id).toBe('a');
    expect(await store.delete(['a', 'b'])).toBe(2);
  }, 120_000);
});
