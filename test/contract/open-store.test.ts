// Store URL dispatch: each scheme opens its adapter; unknown schemes and bad options are CONFIG_ERRORs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkStoreModel, openVectorStore } from '../../src/stores/vector/open-store.js';
import { modelManifest } from './vector-store.contract.js';
import { LanceVectorStore } from '../../src/stores/vector/lance.vector-store.js';
import { PgVectorStore } from '../../src/stores/vector/pgvector.vector-store.js';
import { QdrantVectorStore } from '../../src/stores/vector/qdrant.vector-store.js';
import { PineconeVectorStore } from '../../src/stores/vector/pinecone.vector-store.js';
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

  it('checkStoreModel refuses another model with a hint that fits the store', () => {
    const built = modelManifest();
    const other = modelManifest({ id: 'other', hash: 'f'.repeat(64) });
    expect(() => checkStoreModel(built, built, { url: 'postgres://u:pw@h/db?table=shop', dataDir: dir })).not.toThrow();
    const pg = (() => {
      try {
        checkStoreModel(built, other, { url: 'postgres://u:pw@h/db?table=shop', dataDir: dir });
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    expect(pg).toMatchObject({ code: 'MODEL_MISMATCH', message: expect.stringContaining('DROP TABLE shop, shop_manifest') });
    expect(pg!.message).not.toContain(':pw@');
    expect(() => checkStoreModel(built, other, { url: 'qdrant://h:6333/c', dataDir: dir })).toThrow(/another collection/);
    expect(() => checkStoreModel(built, other, { url: 'pinecone://i', dataDir: dir })).toThrow(/another index/);
    expect(() => checkStoreModel(built, other, { dataDir: dir })).toThrow(/new data dir/);
  });
});
