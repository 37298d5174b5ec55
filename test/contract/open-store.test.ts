// Store URL dispatch: each scheme opens its adapter; unknown schemes and bad options are CONFIG_ERRORs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openVectorStore } from '../../src/stores/vector/open-store.js';
import { checkModel, redactUrl } from '../../src/stores/vector/model-guard.js';
import { modelManifest } from './vector-store.contract.js';
import { LanceVectorStore, lanceLocation } from '../../src/stores/vector/lance.vector-store.js';
import { PgVectorStore, parsePgUrl, pgLocation } from '../../src/stores/vector/pgvector.vector-store.js';
import { QdrantVectorStore, parseQdrantUrl, qdrantLocation } from '../../src/stores/vector/qdrant.vector-store.js';
import { PineconeVectorStore, parsePineconeUrl, pineconeLocation } from '../../src/stores/vector/pinecone.vector-store.js';
import { startQdrantStandIn } from '../stand-ins/qdrant.js';
import { startPineconeStandIn } from '../stand-ins/pinecone.js';
import { testEnv, withOptions } from '../stand-ins/test-env.js';

describe('openVectorStore', () => {
  let dir = '';
  let qdrant: Awaited<ReturnType<typeof startQdrantStandIn>>;
  let pinecone: Awaited<ReturnType<typeof startPineconeStandIn>>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-open-'));
    qdrant = await startQdrantStandIn();
    pinecone = await startPineconeStandIn();
  });
  afterAll(async () => {
    await qdrant.close();
    await pinecone.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens the embedded store by default and for lance: URLs', async () => {
    const a = await openVectorStore({ dataDir: dir });
    expect(a).toBeInstanceOf(LanceVectorStore);
    await a.close();
    const b = await openVectorStore({ url: `lance:${dir}`, dataDir: '/nonexistent' });
    expect(b).toBeInstanceOf(LanceVectorStore);
    await b.close();
  });

  it('opens Qdrant and Pinecone by scheme', async () => {
    const q = await openVectorStore({ url: `qdrant://${new URL(qdrant.url).host}/products`, dataDir: dir });
    expect(q).toBeInstanceOf(QdrantVectorStore);
    const p = await openVectorStore({ url: `pinecone://shop?controller=${encodeURIComponent(pinecone.url)}`, dataDir: dir, apiKeys: { pinecone: 'k' } });
    expect(p).toBeInstanceOf(PineconeVectorStore);
  });

  it.skipIf(!testEnv('VITRINE_TEST_PG_URL'))('opens PostgreSQL for postgres:// and postgresql:// URLs', async () => {
    const url = withOptions(testEnv('VITRINE_TEST_PG_URL')!, { table: 'open_store_probe' });
    for (const u of [url, url.replace(/^postgres:/, 'postgresql:')]) {
      const s = await openVectorStore({ url: u, dataDir: dir });
      expect(s).toBeInstanceOf(PgVectorStore);
      await s.close();
    }
  });

  it('rejects unknown schemes and bad options with CONFIG_ERROR, without leaking passwords', async () => {
    const error = await openVectorStore({ url: 'mysql://root:secret@db/x', dataDir: dir }).catch((e) => e);
    expect(error).toMatchObject({ code: 'CONFIG_ERROR' });
    expect(error.message).not.toContain('secret');
    await expect(openVectorStore({ url: 'postgres://u@h/db?table=Bad-Name', dataDir: dir })).rejects.toMatchObject({ code: 'CONFIG_ERROR' });
    await expect(openVectorStore({ url: 'qdrant://h:6333/', dataDir: dir })).rejects.toMatchObject({ code: 'CONFIG_ERROR' });
    await expect(openVectorStore({ url: 'pinecone://Bad_Index', dataDir: dir, apiKeys: { pinecone: 'k' } })).rejects.toMatchObject({ code: 'CONFIG_ERROR' });
  });

  it('the model guard refuses another model with a hint that fits the store', () => {
    const built = modelManifest();
    const other = modelManifest({ id: 'other', hash: 'f'.repeat(64) });
    const pgWhere = pgLocation(parsePgUrl('postgres://u:pw@h/db?table=shop'));
    expect(() => checkModel(built, built, pgWhere)).not.toThrow();
    const pg = (() => {
      try {
        checkModel(built, other, pgWhere);
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    expect(pg).toMatchObject({ code: 'MODEL_MISMATCH', message: expect.stringContaining('DROP TABLE shop, shop_manifest') });
    expect(pg!.message).not.toContain(':pw@');
    expect(pgWhere.indexFlags).toBe('--store postgres://u:***@h/db?table=shop');
    expect(() => checkModel(built, other, qdrantLocation(parseQdrantUrl('qdrant://h:6333/c')))).toThrow(/another collection/);
    expect(() => checkModel(built, other, pineconeLocation(parsePineconeUrl('pinecone://i')))).toThrow(/another index/);
    expect(() => checkModel(built, other, lanceLocation(dir))).toThrow(/new data dir/);
  });

  it('redacts the password of any store URL, and only the password', () => {
    expect(redactUrl('postgres://vitrine:s3cr/et@db:5432/shop?table=t')).toBe('postgres://vitrine:***@db:5432/shop?table=t');
    expect(redactUrl('qdrants://key:abc@cloud:6334/c')).toBe('qdrants://key:***@cloud:6334/c');
    expect(redactUrl('postgres://vitrine@db/shop')).toBe('postgres://vitrine@db/shop');
    expect(redactUrl('lance:./vitrine-data')).toBe('lance:./vitrine-data');
  });

  it('opening a data dir that does not exist creates nothing, and a search there answers NO_INDEX', async () => {
    const missing = path.join(dir, 'not-there');
    const store = await openVectorStore({ dataDir: missing });
    await expect(store.search({ vector: new Float32Array(8), k: 1 })).rejects.toMatchObject({ code: 'NO_INDEX', message: expect.stringContaining(missing) });
    expect(await store.count()).toBe(0);
    await store.close();
    expect(existsSync(missing)).toBe(false);
  });
});
