// Read scale-out: products written to the primary are searched through a streaming replica (a hot standby made
// by scripts/postgres/start-replica.sh) with the same results, once the replica has replayed the primary's WAL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PgVectorStore } from '../../src/stores/vector/pgvector.vector-store.js';
import { pgUrlOrWarn, uniqueName, withOptions } from '../stand-ins/test-env.js';
import { syntheticModel, syntheticQueries, syntheticRecords } from './synthetic-index.js';

const primaryUrl = pgUrlOrWarn('pgvector read replica (primary)');
const replicaUrl = primaryUrl ? pgUrlOrWarn('pgvector read replica', 'VITRINE_TEST_PG_REPLICA_URL') : undefined;
const DIM = 16;

async function waitForReplay(primary: string, replica: string, timeoutMs = 30_000): Promise<number> {
  const p = new pg.Client({ connectionString: primary });
  const r = new pg.Client({ connectionString: replica });
  await Promise.all([p.connect(), r.connect()]);
  const started = Date.now();
  try {
    const target = (await p.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
    for (;;) {
      const caughtUp = (await r.query<{ ok: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [target])).rows[0].ok;
      if (caughtUp) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`the replica did not replay ${target} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await Promise.all([p.end(), r.end()]);
  }
}

describe.skipIf(!replicaUrl)('pgvector: write to the primary, search the replica', () => {
  const table = uniqueName('replicated');
  let primary: PgVectorStore;
  let replica: PgVectorStore;

  beforeAll(async () => {
    primary = await PgVectorStore.open({ url: withOptions(primaryUrl!, { table }) });
    await primary.bindModel(syntheticModel(DIM), ['colour', 'articleType', 'gender']);
    await primary.upsert(syntheticRecords(800, DIM, 11));
    const lagMs = await waitForReplay(primaryUrl!, replicaUrl!);
    console.info(`replica caught up ${lagMs} ms after the write`);
    replica = await PgVectorStore.open({ url: withOptions(replicaUrl!, { table }) });
  });

  afterAll(async () => {
    await replica?.close();
    await primary?.drop();
    await primary?.close();
  });

  it('returns the same hits, counts and facets as the primary', async () => {
    expect(await replica.readManifest()).toEqual(await primary.readManifest());
    expect(await replica.count()).toBe(800);
    for (const [i, vector] of syntheticQueries(10, DIM, 5).entries()) {
      const filters = i % 2 ? { colour: ['Red', 'Black'] } : undefined;
      const a = await primary.search({ vector, k: 10, filters });
      const b = await replica.search({ vector, k: 10, filters });
      expect(b).toEqual(a);
    }
    expect(await replica.facets(['colour', 'gender'], { gender: 'Men' })).toEqual(await primary.facets(['colour', 'gender'], { gender: 'Men' }));
  });

  it('sees later writes after replay, and refuses writes itself with STORE_ERROR', async () => {
    await primary.upsert([{ ...syntheticRecords(1, DIM, 12)[0], id: 'late-arrival' }]);
    await waitForReplay(primaryUrl!, replicaUrl!);
    expect(await replica.get('late-arrival')).not.toBeNull();
    expect(await replica.version!()).toBe(await primary.version!());
    await expect(replica.upsert(syntheticRecords(1, DIM, 13))).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: expect.stringContaining('read-only'),
    });
  });
});
