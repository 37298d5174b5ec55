import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { modelManifest, record, runVectorStoreContract } from './vector-store.contract.js';
import { PgVectorStore } from '../../src/stores/vector/pgvector.vector-store.js';
import { pgUrlOrWarn, uniqueName, withOptions } from '../stand-ins/test-env.js';

const url = pgUrlOrWarn('PgVectorStore contract (PostgreSQL + pgvector)');

if (!url) {
  describe.skip('VectorStore contract: PgVectorStore (no test Postgres: see the warning above)', () => {
    it('needs VITRINE_TEST_PG_URL', () => undefined);
  });
} else {
  const modes: Record<string, string>[] = [{ exact: '1' }, { exact: '0', ef_search: '40' }];
  for (const mode of modes) {
    let table = '';
    runVectorStoreContract(
      `PgVectorStore (${mode.exact === '1' ? 'exact' : 'HNSW'})`,
      async () => {
        table = uniqueName('contract');
        return PgVectorStore.open({ url: withOptions(url, { ...mode, table }) });
      },
      async () => {
        const store = await PgVectorStore.open({ url: withOptions(url, { table }) });
        await store.drop();
        await store.close();
      },
    );
  }

  describe('PgVectorStore specifics', () => {
    it('reports a missing pgvector extension as STORE_ERROR with the fix', async () => {
      // A database without the extension, where a non-superuser cannot create it.
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const db = uniqueName('noext');
      const role = uniqueName('plain');
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      await admin.query(`CREATE DATABASE ${db} OWNER postgres`);
      try {
        const u = new URL(url);
        u.username = role;
        u.pathname = `/${db}`;
        await expect(PgVectorStore.open({ url: u.toString() })).rejects.toMatchObject({
          code: 'STORE_ERROR',
          message: expect.stringMatching(/pgvector extension is missing.*CREATE EXTENSION vector/),
        });
      } finally {
        await admin.query(`DROP DATABASE ${db}`);
        await admin.query(`DROP ROLE ${role}`);
        await admin.end();
      }
    });

    it('sees fields, products and versions written by another process', async () => {
      const table = uniqueName('shared');
      const server = await PgVectorStore.open({ url: withOptions(url, { table }) });
      const indexer = await PgVectorStore.open({ url: withOptions(url, { table }) });
      try {
        await indexer.bindModel(modelManifest(), ['colour']);
        await indexer.upsert([record('a', 1, { colour: 'Red' })]);
        expect(await server.count({ colour: 'Red' })).toBe(1);
        const before = await server.version!();
        await indexer.upsert([record('b', 2, { colour: 'Red', size: 'XL' })]);
        expect(await server.version!()).not.toBe(before);
        // Counts and facets are cached per index generation: another process's write shows at once.
        expect(await server.count({ colour: 'Red' })).toBe(2);
        expect((await server.facets(['colour'])).colour).toEqual([{ value: 'Red', count: 2 }]);
        await indexer.delete(['a']);
        expect(await server.count({ colour: 'Red' })).toBe(1);
        const hits = await server.search({ vector: record('b', 2).vector, k: 5, filters: { size: 'XL' } });
        expect(hits.map((h) => h.id)).toEqual(['b']);
      } finally {
        await server.close();
        await indexer.drop();
        await indexer.close();
      }
    });

    it('reports an unreachable server as STORE_ERROR', async () => {
      await expect(PgVectorStore.open({ url: 'postgres://nobody@127.0.0.1:1/none' })).rejects.toMatchObject({ code: 'STORE_ERROR' });
    });

    it('rejects a bad table name as CONFIG_ERROR', async () => {
      await expect(PgVectorStore.open({ url: withOptions(url, { table: 'x; DROP TABLE y' }) })).rejects.toMatchObject({ code: 'CONFIG_ERROR' });
    });
  });
}
