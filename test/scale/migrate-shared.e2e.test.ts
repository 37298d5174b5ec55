// The shared catalog's index (house model, embedded store) moved to pgvector with the built CLI: the same
// top-10 products for sampled title queries, searched through `vitrine search --store`.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pgUrlOrWarn, uniqueName, withOptions } from '../stand-ins/test-env.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const SHARED = path.resolve(ROOT, '../shared/data/fashion-products');
const hasShared = existsSync(path.join(SHARED, 'catalog.csv'));
const url = pgUrlOrWarn('migrate the shared catalog index to pgvector');

async function vitrine(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

describe.skipIf(!url || !hasShared)('migrate the shared catalog from the embedded store to pgvector', () => {
  let work: string;
  let lanceData: string;
  let pgStore: string;
  const table = uniqueName('shared_catalog');
  const rows = hasShared ? readFileSync(path.join(SHARED, 'catalog.csv'), 'utf8').trim().split('\n') : [];
  // Every 15th product: about 3,000 products from every split.
  const sample = rows.slice(1).filter((_, i) => i % 15 === 0);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-migrate-shared-'));
    lanceData = path.join(work, 'data');
    const catalog = path.join(work, 'catalog.csv');
    await writeFile(catalog, [rows[0], ...sample].join('\n') + '\n');
    await vitrine(['index', catalog, '--images', path.join(SHARED, 'images'), '--data', lanceData]);
    pgStore = withOptions(url!, { table, exact: '1' });
  });
  afterAll(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS ${table}, ${table}_manifest`);
    await client.end();
    await rm(work, { recursive: true, force: true });
  });

  it('copies every product, verifies the count, and a second run copies nothing', async () => {
    const first = JSON.parse(await vitrine(['migrate', '--from', `lance:${lanceData}`, '--to', pgStore, '--json']));
    expect(first).toMatchObject({ ok: true, copied: sample.length, sourceCount: sample.length, targetCount: sample.length, missing: 0 });
    const info = JSON.parse(await vitrine(['info', '--store', pgStore, '--json']));
    expect(info.count).toBe(sample.length);
    const second = JSON.parse(await vitrine(['migrate', '--from', `lance:${lanceData}`, '--to', pgStore, '--json']));
    expect(second).toMatchObject({ ok: true, copied: 0, skipped: sample.length });
  });

  it('answers sampled title queries with the same top 10 in both stores', async () => {
    const titles = sample.filter((_, i) => i % 200 === 0).map((r) => r.split(',')[1]);
    expect(titles.length).toBeGreaterThanOrEqual(14);
    for (const title of titles) {
      const fromLance = JSON.parse(await vitrine(['search', title, '--data', lanceData, '-k', '10', '--json'])).hits;
      const fromPg = JSON.parse(await vitrine(['search', title, '--store', pgStore, '-k', '10', '--json'])).hits;
      expect(fromPg.map((h: { id: string }) => h.id)).toEqual(fromLance.map((h: { id: string }) => h.id));
      fromPg.forEach((h: { score: number }, i: number) => expect(h.score).toBeCloseTo(fromLance[i].score, 4));
    }
  });
});
