// Defect 5 of issue 12: two writers at once. Two `vitrine index` processes start together on one index (the
// embedded store, and a Postgres table): one indexes, the other stops at once with INDEX_LOCKED (exit 75) and
// writes nothing, so the index holds every product exactly once. A writer killed with SIGKILL leaves no lock that
// blocks the next run.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVectorStore } from '../../src/stores/vector/open-store.js';
import { SHARED, sleep, spawnVitrine, TINY_MODEL, vitrine } from './support.js';

const hasShared = existsSync(path.join(SHARED, 'catalog.csv'));
if (!hasShared) console.warn('\n*** SKIPPING the writer-lock tests: ../shared/data/fashion-products is missing ***\n');

function pgUrl(): string | undefined {
  if (process.env.VITRINE_TEST_PG_URL) return process.env.VITRINE_TEST_PG_URL;
  try {
    return /^VITRINE_TEST_PG_URL=(.*)$/m.exec(readFileSync('/tmp/vitrine-pg.env', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
const PG = pgUrl();
if (!PG) console.warn('\n*** SKIPPING the Postgres writer-lock test: no VITRINE_TEST_PG_URL (run scripts/postgres/start.sh) ***\n');

/** Every id in the store, with repeats. */
async function storedIds(url: string): Promise<string[]> {
  const store = await openVectorStore({ url, dataDir: '.' });
  try {
    const ids: string[] = [];
    for await (const batch of store.scan({ batchSize: 1000, withVector: false })) ids.push(...batch.map((r) => r.id));
    return ids;
  } finally {
    await store.close();
  }
}

describe.skipIf(!hasShared)('one writer at a time', () => {
  let work: string;
  let catalog: string;
  const images = path.join(SHARED, 'images');

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-lock-'));
    const rows = (await readFile(path.join(SHARED, 'catalog.csv'), 'utf8')).split('\n').slice(0, 801);
    catalog = path.join(work, 'catalog.csv');
    await writeFile(catalog, rows.join('\n') + '\n');
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function twoWriters(storeArgs: string[]): Promise<{ codes: number[]; outputs: string[] }> {
    const args = ['index', catalog, '--images', images, ...storeArgs, '--model', TINY_MODEL, '--batch-size', '16'];
    const a = spawnVitrine(args);
    const b = spawnVitrine(args);
    const codes = [(await a.exited) ?? -1, (await b.exited) ?? -1];
    return { codes, outputs: [a.output(), b.output()] };
  }

  function expectOneLocked(result: { codes: number[]; outputs: string[] }): void {
    const winner = result.codes.indexOf(0);
    expect(winner, result.outputs.join('\n----\n')).toBeGreaterThanOrEqual(0);
    const loser = 1 - winner;
    expect(result.codes[loser], result.outputs[loser]).toBe(75);
    expect(result.outputs[loser]).toMatch(/vitrine: error \[INDEX_LOCKED\]: .* is being written by vitrine index \(pid \d+/);
    expect(result.outputs[winner]).toMatch(/ok 800, skipped 0 \(unchanged\), failed 0/);
  }

  it('the embedded store: the second writer gets INDEX_LOCKED and the index holds each product once', async () => {
    const data = path.join(work, 'lance');
    expectOneLocked(await twoWriters(['--data', data]));
    const ids = await storedIds(`lance:${data}`);
    expect(ids).toHaveLength(800);
    expect(new Set(ids).size).toBe(800);
  });

  it.skipIf(!PG)('Postgres: the advisory lock lets one writer in', async () => {
    const table = `rel_lock_${process.pid}`;
    const store = `${PG}?table=${table}`;
    try {
      expectOneLocked(await twoWriters(['--store', store]));
      const ids = await storedIds(store);
      expect(ids).toHaveLength(800);
      expect(new Set(ids).size).toBe(800);
    } finally {
      const s = await openVectorStore({ url: store, dataDir: '.' });
      await s.drop?.();
      await s.close();
    }
  });

  it('a writer killed with SIGKILL leaves no lock behind that stops the next run', async () => {
    const data = path.join(work, 'killed');
    const run = spawnVitrine(['index', catalog, '--images', images, '--data', data, '--model', TINY_MODEL, '--batch-size', '8']);
    for (let i = 0; i < 600 && !existsSync(path.join(data, 'manifest.json')); i++) await sleep(50);
    await sleep(300);
    run.child.kill('SIGKILL');
    await run.exited;
    const again = await vitrine(['index', catalog, '--images', images, '--data', data, '--model', TINY_MODEL]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(new Set(await storedIds(`lance:${data}`)).size).toBe(800);
  });
});
