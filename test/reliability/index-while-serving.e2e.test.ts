// Defect 2 of issue 12: `vitrine index` into a data dir that a real `vitrine serve` reads. While the index process
// writes (many small commits, then its final compaction), searches at concurrency 8 all answer 200: no 5xx, no
// request failed because a file it read was deleted; and the server sees the finished index (its count) shortly
// after the writer commits.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyStats, runLoad } from '../../scripts/load.js';
import { SHARED, sleep, spawnVitrine, startServe, TINY_MODEL, vitrine, waitFor, type RunningServer } from './support.js';

const hasShared = existsSync(path.join(SHARED, 'catalog.csv'));
if (!hasShared) console.warn('\n*** SKIPPING the index-while-serving test: ../shared/data/fashion-products is missing ***\n');

describe.skipIf(!hasShared)('vitrine index into a data dir being served', () => {
  let work: string;
  let data: string;
  let server: RunningServer | undefined;
  const images = path.join(SHARED, 'images');

  async function catalogOf(name: string, from: number, to: number): Promise<string> {
    const rows = (await readFile(path.join(SHARED, 'catalog.csv'), 'utf8')).split('\n');
    const file = path.join(work, `${name}.csv`);
    await writeFile(file, [rows[0], ...rows.slice(1 + from, 1 + to)].join('\n') + '\n');
    return file;
  }

  async function served(): Promise<number> {
    const r = await fetch(`${server!.url}/readyz`);
    return ((await r.json()) as { count: number }).count;
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-rw-'));
    data = path.join(work, 'data');
    const first = await vitrine(['index', await catalogOf('first', 0, 200), '--images', images, '--data', data, '--model', TINY_MODEL]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    server = await startServe(['--data', data, '--model', TINY_MODEL], { VITRINE_CACHE_ENTRIES: '0' });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('answers every search while two index runs write, and catches up with each commit', async () => {
    const stats = emptyStats();
    const stopLoad = new AbortController();
    const load = runLoad({ url: server!.url, concurrency: 8, signal: stopLoad.signal, extra: { facets: true } }, stats);
    await waitFor('searches answered', async () => (stats.ok >= 20 ? true : undefined));

    // Small batches: many commits (and fragments), then the final compaction that rewrote and deleted them.
    const lags: number[] = [];
    for (const [name, from, to] of [['second', 200, 900], ['third', 900, 1000]] as const) {
      const run = spawnVitrine(['index', await catalogOf(name, 0, to), '--images', images, '--data', data, '--model', TINY_MODEL, '--batch-size', '16']);
      const code = await run.exited;
      expect(code, run.output()).toBe(0);
      const committed = performance.now();
      await waitFor(`the server to see ${to} products`, async () => ((await served()) === to ? true : undefined));
      lags.push(performance.now() - committed);
      expect(from).toBeLessThan(to);
      await sleep(300);
    }
    stopLoad.abort();
    await load;

    console.log(`index while serving: ${stats.requests} searches, ${stats.ok} ok, ${stats.failed} failed, ${JSON.stringify(stats.byStatus)}; ` +
      `server caught up ${lags.map((l) => `${(l / 1000).toFixed(2)} s`).join(', ')} after each commit`);
    expect(stats.failures, JSON.stringify(stats.byStatus)).toEqual([]);
    expect(stats.shed).toBe(0);
    expect(stats.ok).toBeGreaterThan(40);
    expect(server!.child.exitCode).toBeNull();
  });
});
