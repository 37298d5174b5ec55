// Defect 4 of issue 12, with the built CLI on 1,000 shared products: a stray `"` in a title (`32" waist`) no longer
// aborts the run, a row whose quote never closes is one failed item naming its own row while the rows after it are
// indexed, and the exit code tells a finished run (0), a run with failed items (2) and an interrupted one (3) apart.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLanceStore } from '../../src/stores/vector/lance.vector-store.js';
import { SHARED, sleep, spawnVitrine, TINY_MODEL, vitrine } from './support.js';

const hasShared = existsSync(path.join(SHARED, 'catalog.csv'));
if (!hasShared) console.warn('\n*** SKIPPING the catalog and exit-code tests: ../shared/data/fashion-products is missing ***\n');

describe.skipIf(!hasShared)('catalog rows and exit codes', () => {
  let work: string;
  let rows: string[];
  const images = path.join(SHARED, 'images');

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-csv-'));
    rows = (await readFile(path.join(SHARED, 'catalog.csv'), 'utf8')).split('\n').slice(0, 1001);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('indexes past a stray quote and an unclosed one, failing only the broken row by its line, and exits 2', async () => {
    const edited = [...rows];
    // File line 301 (data row 300): an inch mark in an unquoted title.
    const [id301, , ...rest301] = edited[300].split(',');
    edited[300] = [id301, 'Levis Men 32" waist Blue Jeans', ...rest301].join(',');
    // File line 701: a quoted title whose closing quote is missing.
    const [id701, , ...rest701] = edited[700].split(',');
    edited[700] = [id701, '"Broken quote Jeans', ...rest701].join(',');
    const catalog = path.join(work, 'quotes.csv');
    await writeFile(catalog, edited.join('\n') + '\n');
    const data = path.join(work, 'quotes-data');

    const res = await vitrine(['index', catalog, '--images', images, '--data', data, '--model', TINY_MODEL]);
    expect(res.code, res.stdout + res.stderr).toBe(2);
    expect(res.stdout).toMatch(/ok 999, skipped 0 \(unchanged\), failed 1/);
    expect(res.stdout).toContain(`failed ${id701}: row 701: a quoted field is never closed`);
    const failures = (await readFile(path.join(data, 'index-failures.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(failures).toEqual([expect.objectContaining({ id: id701, row: 701 })]);
    const store = await openLanceStore({ dataDir: data });
    try {
      expect(await store.count()).toBe(999);
      expect((await store.get(id301))?.title).toBe('Levis Men 32" waist Blue Jeans');
    } finally {
      await store.close();
    }
  });

  it('exits 0 when every item is indexed or unchanged', async () => {
    const catalog = path.join(work, 'clean.csv');
    await writeFile(catalog, rows.slice(0, 101).join('\n') + '\n');
    const data = path.join(work, 'clean-data');
    const first = await vitrine(['index', catalog, '--images', images, '--data', data, '--model', TINY_MODEL]);
    expect(first.code, first.stderr).toBe(0);
    const again = await vitrine(['index', catalog, '--images', images, '--data', data, '--model', TINY_MODEL]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/ok 0, skipped 100 \(unchanged\), failed 0/);
  });

  it('an interrupted run exits 3, keeps what it embedded, and the same command resumes to exit 0', async () => {
    const catalog = path.join(work, 'all.csv');
    await writeFile(catalog, rows.join('\n') + '\n');
    const data = path.join(work, 'interrupted');
    const args = ['index', catalog, '--images', images, '--data', data, '--model', TINY_MODEL, '--batch-size', '8'];
    const run = spawnVitrine(args);
    for (let i = 0; i < 1200 && !existsSync(path.join(data, 'manifest.json')); i++) await sleep(50);
    await sleep(500);
    run.child.kill('SIGINT');
    const code = await run.exited;
    expect(code, run.output()).toBe(3);
    expect(run.output()).toMatch(/interrupted: what was embedded so far is saved/);
    const resumed = await vitrine(args);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const m = /ok (\d+), skipped (\d+) \(unchanged\), failed 0/.exec(resumed.stdout);
    expect(Number(m![1]) + Number(m![2])).toBe(1000);
    expect(Number(m![2])).toBeGreaterThan(0);
  });
});
