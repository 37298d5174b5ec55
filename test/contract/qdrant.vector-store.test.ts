import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVectorStoreContract, modelManifest, record } from './vector-store.contract.js';
import { QdrantVectorStore, parseQdrantUrl, pointId } from '../../src/stores/vector/qdrant.vector-store.js';
import { startQdrantStandIn } from '../stand-ins/qdrant.js';
import { uniqueName, warnSkipped } from '../stand-ins/test-env.js';

const fastRetry = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 50 };
let standIn: Awaited<ReturnType<typeof startQdrantStandIn>>;
const standInUrl = (collection: string, query = '') => `qdrant://${new URL(standIn.url).host}/${collection}${query}`;

describe('Qdrant (local stand-in of the REST API)', () => {
  beforeAll(async () => {
    standIn = await startQdrantStandIn();
  });
  afterAll(async () => standIn.close());

  let collection = '';
  runVectorStoreContract(
    'QdrantVectorStore (stand-in)',
    async () => {
      collection = uniqueName('contract');
      return QdrantVectorStore.open({ url: standInUrl(collection), retry: fastRetry });
    },
    async () => {
      standIn.collections.delete(collection);
    },
    { writerLock: false },
  );

  it('creates the collection with the shards and replicas the URL asks for, and keeps the manifest in its metadata', async () => {
    const name = uniqueName('sharded');
    const store = await QdrantVectorStore.open({ url: standInUrl(name, '?shard_number=3&replication_factor=2') });
    await store.bindModel(modelManifest(), ['colour']);
    const c = standIn.collections.get(name)!;
    expect([c.shardNumber, c.replicationFactor, c.size, c.distance]).toEqual([3, 2, 8, 'Cosine']);
    expect(JSON.parse(String(c.metadata.vitrine_manifest)).model.id).toBe('test-model');
    expect(c.indexes.has('attr_0')).toBe(true);
    const reopened = await QdrantVectorStore.open({ url: standInUrl(name) });
    expect((await reopened.readManifest())?.attributeFields).toEqual(['colour']);
  });

  it('retries HTTP 429 honouring Retry-After, then succeeds', async () => {
    const store = await QdrantVectorStore.open({ url: standInUrl(uniqueName('ratelimited')), retry: fastRetry });
    await store.bindModel(modelManifest(), ['colour']);
    const before = standIn.log.length;
    standIn.failNext(2, { status: 429, headers: { 'retry-after': '0' }, json: { status: { error: 'Too many requests' } } });
    await store.upsert([record('a', 1, { colour: 'Red' })]);
    expect(standIn.log.slice(before).filter((l) => l.endsWith('/points')).length).toBe(3);
    expect(await store.count()).toBe(1);
  });

  it('gives up after the retries with STORE_ERROR carrying the cause', async () => {
    const store = await QdrantVectorStore.open({ url: standInUrl(uniqueName('down')), retry: fastRetry });
    standIn.failNext(10, { status: 429, json: { status: { error: 'Too many requests' } } });
    const error = await store.bindModel(modelManifest(), []).catch((e) => e);
    standIn.failNext(0, {});
    expect(error).toMatchObject({ code: 'STORE_ERROR', message: expect.stringContaining('Qdrant collection') });
    expect(error.cause).toBeDefined();
  });

  it('parses URLs and maps ids to stable UUIDs', () => {
    expect(parseQdrantUrl('qdrants://cloud.example:6334/shop?shard_number=4&exact=1')).toMatchObject({
      endpoint: 'https://cloud.example:6334',
      collection: 'shop',
      shardNumber: 4,
      exact: true,
    });
    expect(() => parseQdrantUrl('qdrant://localhost:6333/')).toThrow(/collection name/);
    expect(pointId("é'1")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pointId('x')).toBe(pointId('x'));
  });
});

const live = process.env.QDRANT_URL;
if (!live) {
  warnSkipped('QdrantVectorStore against a real Qdrant', 'QDRANT_URL is not set', 'set QDRANT_URL=qdrant://host:6333 (and QDRANT_API_KEY for Qdrant Cloud) to run it');
}
describe.skipIf(!live)('QdrantVectorStore (live Qdrant at QDRANT_URL)', () => {
  let collection = '';
  runVectorStoreContract(
    'QdrantVectorStore (live)',
    async () => {
      collection = uniqueName('vitrine_contract');
      return QdrantVectorStore.open({ url: `${live!.replace(/\/+$/, '')}/${collection}`, apiKey: process.env.QDRANT_API_KEY });
    },
    async () => {
      const s = await QdrantVectorStore.open({ url: `${live!.replace(/\/+$/, '')}/${collection}`, apiKey: process.env.QDRANT_API_KEY });
      await s.drop();
    },
    { writerLock: false },
  );
});
