// Defect 3 of issue 12 against a real `vitrine serve` on 1,000 shared products: eight ~1 MB requests with 95,000
// filter values each, sent at once and again and again, while a client keeps searching. Before, they froze search for
// 22-36 s and left the server at 2.2 GB; now they are refused unread (413) or by count (400), searches keep being
// answered, and the server's memory stays where it was (RSS read from /proc).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyStats, percentile, rssOf, runLoad } from '../../scripts/load.js';
import { SHARED, startServe, TINY_MODEL, vitrine, type RunningServer } from './support.js';

const hasShared = existsSync(path.join(SHARED, 'catalog.csv'));
if (!hasShared) console.warn('\n*** SKIPPING the filter-flood test: ../shared/data/fashion-products is missing ***\n');

describe.skipIf(!hasShared)('a flood of filter values', () => {
  let work: string;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-flood-'));
    const rows = (await readFile(path.join(SHARED, 'catalog.csv'), 'utf8')).split('\n').slice(0, 1001);
    const catalog = path.join(work, 'catalog.csv');
    await writeFile(catalog, rows.join('\n') + '\n');
    const data = path.join(work, 'data');
    const res = await vitrine(['index', catalog, '--images', path.join(SHARED, 'images'), '--data', data, '--model', TINY_MODEL]);
    expect(res.code, res.stderr).toBe(0);
    server = await startServe(['--data', data, '--model', TINY_MODEL], { VITRINE_CACHE_ENTRIES: '0' });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('refuses them quickly, keeps answering searches, and keeps its memory', async () => {
    // Just under 1 MiB, as the issue sent them (the old server's only limit was a 1 MiB body).
    const flood = JSON.stringify({ text: 'shirt', filters: { baseColour: Array.from({ length: 95_000 }, (_, i) => `c-${i}`) } });
    expect(flood.length).toBeGreaterThan(800_000);
    expect(flood.length).toBeLessThan(1024 * 1024);
    // Warm up, then measure.
    const warm = new AbortController();
    const warmStats = runLoad({ url: server!.url, concurrency: 2, signal: warm.signal }, emptyStats());
    await new Promise((r) => setTimeout(r, 2000));
    warm.abort();
    await warmStats;
    const rssBefore = (await rssOf(server!.child.pid!))!;

    const stats = emptyStats();
    const stop = new AbortController();
    const load = runLoad({ url: server!.url, concurrency: 2, signal: stop.signal, extra: { filters: { gender: 'Men' } } }, stats);
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          fetch(`${server!.url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: flood })
            .then((r) => r.status)
            .catch(() => -1),
        ),
      );
      statuses.push(...answers);
    }
    stop.abort();
    await load;
    const rssAfter = (await rssOf(server!.child.pid!))!;
    console.log(
      `filter flood: ${statuses.length} flood requests answered ${JSON.stringify(Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length])))}; ` +
        `meanwhile ${stats.ok} searches ok, ${stats.failed} failed, p99 ${percentile(stats.latenciesMs, 99).toFixed(0)} ms; ` +
        `RSS ${(rssBefore / 2 ** 20).toFixed(0)} -> ${(rssAfter / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(statuses.every((s) => s === 413)).toBe(true);
    expect(stats.failed).toBe(0);
    expect(stats.ok).toBeGreaterThan(0);
    // The flood itself must not grow the server: 40 requests of 1 MB would be 40 MB if each were kept.
    expect(rssAfter - rssBefore).toBeLessThan(100 * 2 ** 20);
  });
});
