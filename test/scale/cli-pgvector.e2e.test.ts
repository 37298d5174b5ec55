// The built CLI as users run it, with a PostgreSQL store: index a synthetic catalog into pgvector and into the
// embedded store with the tiny model, then the same searches through both give the same products.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PgVectorStore } from '../../src/stores/vector/pgvector.vector-store.js';
import { makeSyntheticCatalog, type SyntheticCatalog } from '../support/synthetic-catalog.js';
import { pgUrlOrWarn, uniqueName, withOptions } from '../stand-ins/test-env.js';

const run = promisify(execFile);
const CLI = path.resolve('dist/cli/main.js');
const TINY_MODEL = path.resolve('test/fixtures/tiny-clip');
const url = pgUrlOrWarn('vitrine CLI with a pgvector store');

describe.skipIf(!url || !existsSync(CLI))('vitrine index / search / info with --store postgres://', () => {
  let catalog: SyntheticCatalog;
  let data = '';
  const table = uniqueName('cli');
  const store = () => withOptions(url!, { table });
  const vitrine = (args: string[]) => run(process.execPath, [CLI, ...args], { env: { ...process.env, VITRINE_STORE: '' }, maxBuffer: 16 * 1024 * 1024 });

  beforeAll(async () => {
    catalog = await makeSyntheticCatalog(24);
    data = await mkdtemp(path.join(os.tmpdir(), 'vitrine-cli-pg-'));
  });

  afterAll(async () => {
    const s = await PgVectorStore.open({ url: store() });
    await s.drop();
    await s.close();
    await rm(data, { recursive: true, force: true });
    await rm(catalog.dir, { recursive: true, force: true });
  });

  it('indexes into Postgres, resumes, and searches like the embedded store', async () => {
    const first = await vitrine(['index', catalog.csv, '--store', store(), '--data', data, '--model', TINY_MODEL]);
    expect(first.stdout).toMatch(/ok 24, skipped 0/);
    const again = await vitrine(['index', catalog.csv, '--store', store(), '--data', data, '--model', TINY_MODEL]);
    expect(again.stdout).toMatch(/ok 0, skipped 24/);
    await vitrine(['index', catalog.csv, '--data', data, '--model', TINY_MODEL]);

    const info = JSON.parse((await vitrine(['info', '--store', store(), '--json'])).stdout);
    expect(info).toMatchObject({ count: 24, attributeFields: expect.arrayContaining(['gender', 'articleType', 'baseColour']) });
    expect(info.store).toContain('postgres://');

    for (const args of [['red shirt'], ['blue', '--filter', 'gender=Women'], ['dress', '-k', '5']]) {
      const pg = JSON.parse((await vitrine(['search', ...args, '--store', store(), '--model', TINY_MODEL, '--json'])).stdout);
      const lance = JSON.parse((await vitrine(['search', ...args, '--data', data, '--model', TINY_MODEL, '--json'])).stdout);
      expect(pg.hits.length).toBeGreaterThan(0);
      expect(pg.hits.map((h: { id: string }) => h.id)).toEqual(lance.hits.map((h: { id: string }) => h.id));
    }
  });

  it('refuses another model with MODEL_MISMATCH and exit code 1', async () => {
    // Same weights, another config file: another model hash.
    const other = path.join(data, 'other-model');
    await cp(TINY_MODEL, other, { recursive: true });
    await writeFile(path.join(other, 'config.json'), `${await readFile(path.join(other, 'config.json'), 'utf8')}\n`);
    const failed = await vitrine(['index', catalog.csv, '--store', store(), '--data', data, '--model', other]).catch((e) => e);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('MODEL_MISMATCH') });
  });
});
