// Defect 1 of issue 12: PostgreSQL restarted under load must not kill Vitrine. A real `vitrine serve` on pgvector
// answers searches at concurrency 8 while the test's own PostgreSQL instance is restarted (every session ends
// with 57P01), then stopped for a while and started again: the process stays up, every answer is a 200 or a 503
// with Retry-After (STORE_ERROR), /readyz says 503 STORE_ERROR while the store is down and 200 once it is back.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyStats, runLoad, type LoadStats } from '../../scripts/load.js';
import { makeSyntheticCatalog, type SyntheticCatalog } from '../support/synthetic-catalog.js';
import { DeadEnd, pgInstance, pgInstanceUnavailable, sleep, startServe, TINY_MODEL, vitrine, waitFor, type PgInstance, type RunningServer } from './support.js';

const unavailable = pgInstanceUnavailable();
if (unavailable) console.warn(`\n*** SKIPPING the PostgreSQL restart test: ${unavailable} ***\n`);

describe.skipIf(unavailable !== null)('vitrine serve across a PostgreSQL restart', () => {
  let pg: PgInstance;
  let catalog: SyntheticCatalog;
  let server: RunningServer | undefined;
  let store: string;

  beforeAll(async () => {
    pg = await pgInstance('reliability-test');
    store = `${pg.url}?table=rel_restart_${process.pid}&exact=1`;
    catalog = await makeSyntheticCatalog(40);
    const indexed = await vitrine(['index', catalog.csv, '--store', store, '--model', TINY_MODEL]);
    expect(indexed.code, indexed.stdout + indexed.stderr).toBe(0);
    server = await startServe(['--store', store, '--model', TINY_MODEL], { VITRINE_CACHE_ENTRIES: '0' });
  });
  afterAll(async () => {
    await server?.stop();
    await pg?.start().catch(() => undefined);
    await rm(catalog.dir, { recursive: true, force: true });
  });

  /** Fails at once (with its output) when the server process has ended, instead of waiting out a timeout. */
  function alive(): void {
    if (server!.child.exitCode !== null || server!.child.signalCode !== null) throw new DeadEnd(`vitrine serve died:\n${server!.output()}`);
  }

  it('stays up, answers 200 or 503 + Retry-After throughout, and /readyz follows the store', async () => {
    const stats: LoadStats = emptyStats();
    const stopLoad = new AbortController();
    const load = runLoad({ url: server!.url, concurrency: 8, signal: stopLoad.signal }, stats);
    await waitFor('some answered searches', async () => (stats.ok >= 20 ? true : undefined));

    await pg.restart();
    await waitFor('searches answered after the restart', async () => {
      alive();
      const before = stats.ok;
      await sleep(500);
      return stats.ok > before ? true : undefined;
    });

    await pg.stop();
    const down = await waitFor('/readyz 503 while the store is down', async () => {
      alive();
      const r = await fetch(`${server!.url}/readyz`);
      return r.status === 503 ? ((await r.json()) as { code: string }) : undefined;
    });
    expect(down.code).toBe('STORE_ERROR');
    const search = await fetch(`${server!.url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"red dress"}' });
    expect(search.status).toBe(503);
    expect(search.headers.get('retry-after')).toMatch(/^\d+$/);
    const body = (await search.json()) as { code: string; message: string };
    expect(body.code).toBe('STORE_ERROR');
    expect(body.message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|\/srv\//);

    // A server started while the store is down waits for it instead of exiting.
    const late = await startServe(['--store', store, '--model', TINY_MODEL], {}, { ready: false });
    try {
      const waiting = await waitFor('/readyz of a server started during the outage', async () => {
        const r = await fetch(`${late.url}/readyz`);
        const body = (await r.json()) as { code?: string };
        // NOT_READY until its first attempt to open the store has failed.
        return r.status === 503 && body.code !== 'NOT_READY' ? body : undefined;
      });
      expect(waiting.code).toBe('STORE_ERROR');

      await pg.start();
      await waitFor('/readyz 200 once the store is back', async () => ((await fetch(`${server!.url}/readyz`)).status === 200 ? true : undefined));
      await waitFor('the late server ready too', async () => ((await fetch(`${late.url}/readyz`)).status === 200 ? true : undefined));
      expect(late.child.exitCode).toBeNull();
    } finally {
      await late.stop();
    }
    const okBefore = stats.ok;
    await waitFor('searches answered again', async () => (stats.ok > okBefore + 20 ? true : undefined));
    stopLoad.abort();
    await load;

    expect(server!.child.exitCode, server!.output()).toBeNull();
    expect(stats.failures, JSON.stringify(stats.byStatus)).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(stats.ok).toBeGreaterThan(40);
  });
});
