// Migrating an embedded index to pgvector: the same top-10 ids for sampled queries, resumable, verified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openLanceStore, type LanceVectorStore } from '../../src/stores/vector/lance.vector-store.js';
import { PgVectorStore } from '../../src/stores/vector/pgvector.vector-store.js';
import { migrateIndex } from '../../src/services/migrate.service.js';
import { pgUrlOrWarn, uniqueName, withOptions } from '../stand-ins/test-env.js';
import { startQdrantStandIn } from '../stand-ins/qdrant.js';
import { startPineconeStandIn } from '../stand-ins/pinecone.js';
import { openVectorStore } from '../../src/stores/vector/open-store.js';
import { syntheticModel, syntheticQueries, syntheticRecords } from './synthetic-index.js';

const url = pgUrlOrWarn('vitrine migrate (embedded -> pgvector)');
const DIM = 32;
const N = 1500;
const run = promisify(execFile);
const cliEntry = path.resolve('dist/cli/migrate.command.js');

describe.skipIf(!url)('migrate: embedded -> pgvector', () => {
  let dir = '';
  let lance: LanceVectorStore;
  const tables: string[] = [];
  const pgUrl = (table: string, extra: Record<string, string> = {}) => {
    tables.push(table);
    return withOptions(url!, { table, ...extra });
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-migrate-'));
    lance = await openLanceStore({ dataDir: dir });
    await lance.bindModel(syntheticModel(DIM), ['colour', 'articleType', 'gender']);
    await lance.upsert(syntheticRecords(N, DIM));
  });

  afterAll(async () => {
    await lance?.close();
    for (const table of new Set(tables)) {
      const s = await PgVectorStore.open({ url: withOptions(url!, { table }) });
      await s.drop();
      await s.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('copies everything, gives identical top-10 ids, and a second run copies nothing', async () => {
    const target = await PgVectorStore.open({ url: pgUrl(uniqueName('migrated'), { exact: '1' }) });
    try {
      const report = await migrateIndex({ from: lance, to: target, batchSize: 400 });
      expect(report).toMatchObject({ scanned: N, copied: N, skipped: 0, sourceCount: N, targetCount: N, missing: 0, ok: true });
      expect((await target.readManifest())?.model).toEqual(syntheticModel(DIM));

      for (const [i, vector] of syntheticQueries(20, DIM).entries()) {
        const filters = i % 2 === 0 ? undefined : { gender: 'Women', colour: ['Red', 'Blue'] };
        const a = await lance.search({ vector, k: 10, filters });
        const b = await target.search({ vector, k: 10, filters });
        expect(b.map((h) => h.id)).toEqual(a.map((h) => h.id));
        b.forEach((h, j) => expect(h.score).toBeCloseTo(a[j].score, 5));
      }
      const one = await target.get('p000042', { withVector: true });
      const original = await lance.get('p000042', { withVector: true });
      expect(Array.from(one!.vector!)).toEqual(Array.from(original!.vector!));

      const again = await migrateIndex({ from: lance, to: target, batchSize: 400 });
      expect(again).toMatchObject({ copied: 0, skipped: N, ok: true });
    } finally {
      await target.close();
    }
  });

  it('resumes a partial copy and reports a target with extra products as not ok', async () => {
    const table = uniqueName('partial');
    const target = await PgVectorStore.open({ url: pgUrl(table) });
    try {
      await target.bindModel(syntheticModel(DIM), []);
      await target.upsert(syntheticRecords(N, DIM).slice(0, 600));
      const report = await migrateIndex({ from: lance, to: target, batchSize: 500 });
      expect(report).toMatchObject({ copied: N - 600, skipped: 600, ok: true });
      await target.upsert([{ ...syntheticRecords(1, DIM)[0], id: 'stranger' }]);
      const extra = await migrateIndex({ from: lance, to: target });
      expect(extra).toMatchObject({ copied: 0, sourceCount: N, targetCount: N + 1, ok: false });
    } finally {
      await target.close();
    }
  });

  it('refuses a target built with another model', async () => {
    const target = await PgVectorStore.open({ url: pgUrl(uniqueName('othermodel')) });
    try {
      await target.bindModel({ ...syntheticModel(DIM), hash: 'd'.repeat(64) }, []);
      await expect(migrateIndex({ from: lance, to: target })).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
    } finally {
      await target.close();
    }
  });

  it.skipIf(!existsSync(cliEntry))('the built command exits 0 on success and 1 on a count mismatch', async () => {
    const program = `
      const { Command } = await import('commander');
      const { registerMigrateCommand } = await import(${JSON.stringify(cliEntry)});
      const program = new Command();
      registerMigrateCommand(program);
      await program.parseAsync(process.argv.slice(0, 1).concat(['x', ...process.argv.slice(1)]));`;
    const migrate = (args: string[]) => run(process.execPath, ['--input-type=module', '-e', program, 'migrate', ...args], { cwd: process.cwd() });
    const to = pgUrl(uniqueName('cli'));
    const ok = await migrate(['--from', `lance:${dir}`, '--to', to, '--json']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ copied: N, ok: true });
    const extra = await PgVectorStore.open({ url: to });
    await extra.upsert([{ ...syntheticRecords(1, DIM)[0], id: 'stranger' }]);
    await extra.close();
    const failed = await migrate(['--from', `lance:${dir}`, '--to', to]).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('verification failed') });
  });
});

describe('migrate: embedded -> Qdrant and Pinecone (stand-ins) -> back', () => {
  it('copies through every store URL kind with identical top-10 ids', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-migrate-hosted-'));
    const qdrant = await startQdrantStandIn();
    const pinecone = await startPineconeStandIn();
    try {
      const lance = await openLanceStore({ dataDir: path.join(dir, 'source') });
      await lance.bindModel(syntheticModel(DIM), ['colour', 'articleType', 'gender']);
      await lance.upsert(syntheticRecords(400, DIM, 3));
      const q = await openVectorStore({ url: `qdrant://${new URL(qdrant.url).host}/products`, dataDir: dir });
      const p = await openVectorStore({ url: `pinecone://products?controller=${encodeURIComponent(pinecone.url)}`, dataDir: dir, apiKeys: { pinecone: 'k' } });
      const back = await openLanceStore({ dataDir: path.join(dir, 'back') });
      expect(await migrateIndex({ from: lance, to: q, batchSize: 150 })).toMatchObject({ copied: 400, ok: true });
      expect(await migrateIndex({ from: q, to: p, batchSize: 150 })).toMatchObject({ copied: 400, ok: true });
      expect(await migrateIndex({ from: p, to: back, batchSize: 150 })).toMatchObject({ copied: 400, ok: true });
      for (const [i, vector] of syntheticQueries(8, DIM, 4).entries()) {
        const filters = i % 2 ? { colour: ['Red', 'Blue'] } : undefined;
        const expected = (await lance.search({ vector, k: 10, filters })).map((h) => h.id);
        for (const store of [q, p, back]) expect((await store.search({ vector, k: 10, filters })).map((h) => h.id)).toEqual(expected);
      }
      await Promise.all([lance.close(), q.close(), p.close(), back.close()]);
    } finally {
      await qdrant.close();
      await pinecone.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
