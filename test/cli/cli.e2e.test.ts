// The built CLI as users run it (node dist/cli/main.js), on 1,000 real products of the shared catalog with the
// tiny test model, plus a real server on a socket. `npm test` builds dist before running the suites.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLanceStore } from '../../src/stores/vector/lance.vector-store.js';
import { CLI, SHARED, TINY_MODEL, freePort, vitrine } from '../../scripts/processes.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const hasShared = existsSync(path.join(SHARED, 'catalog.csv'));
if (!hasShared) console.warn('\n*** SKIPPING shared-catalog CLI tests: ../shared/data/fashion-products is missing ***\n');

describe.skipIf(!hasShared)('vitrine CLI on 1,000 shared products', () => {
  let work: string;
  let catalog: string;
  let data: string;
  let server: ChildProcess | undefined;
  const rows = hasShared ? readFileSync(path.join(SHARED, 'catalog.csv'), 'utf8').split('\n').slice(0, 1001) : [];
  const ids = rows.slice(1).map((r) => r.split(',')[0]);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-cli-'));
    catalog = path.join(work, 'catalog.csv');
    data = path.join(work, 'data');
    await writeFile(catalog, rows.join('\n') + '\n');
  });
  afterAll(async () => {
    server?.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  });

  it('indexes 1,000 products, then a re-run skips them all', async () => {
    const first = await vitrine(['index', catalog, '--images', path.join(SHARED, 'images'), '--data', data, '--model', TINY_MODEL]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/ok 1000, skipped 0 \(unchanged\), failed 0/);
    expect(first.stdout).toMatch(/stage seconds \(wall time each stage had work in flight; stages run side by side\): read [\d.]+, load [\d.]+, check [\d.]+, upload [\d.]+, decode [\d.]+, embed [\d.]+, write [\d.]+/);
    // stderr is a pipe here, as in a log: lines with done/total, rate and ETA, from the start to the end
    expect(first.stderr).toContain('indexing: 0/1,000 (0%)');
    expect(first.stderr).toMatch(/indexing: 1,000\/1,000 \(100%\) · [\d.,]+\/s · ETA 0s · ok 1000, skipped 0, failed 0/);
    // What the next `serve` reads at start instead of the whole store, saved by the run itself.
    expect(existsSync(path.join(data, 'memory-copy.bin'))).toBe(true);
    const again = await vitrine(['index', catalog, '--images', path.join(SHARED, 'images'), '--data', data, '--model', TINY_MODEL]);
    expect(again.stdout).toMatch(/ok 0, skipped 1000 \(unchanged\), failed 0/);
    const info = JSON.parse((await vitrine(['info', '--data', data, '--json'])).stdout);
    expect(info).toMatchObject({ count: 1000, dimension: 16 });
    expect(info.attributeFields).toEqual(expect.arrayContaining(['gender', 'masterCategory', 'articleType', 'baseColour', 'split']));
  });

  it('a killed run resumes: the re-run skips what was written and embeds the rest', async () => {
    const resumable = path.join(work, 'resumable');
    const args = [CLI, 'index', catalog, '--images', path.join(SHARED, 'images'), '--data', resumable, '--model', TINY_MODEL, '--batch-size', '8'];
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    let written = 0;
    for (let i = 0; i < 300 && written === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (!existsSync(path.join(resumable, 'manifest.json'))) continue;
      const store = await openLanceStore({ dataDir: resumable });
      written = await store.count();
      await store.close();
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(written).toBeGreaterThan(0);
    const store = await openLanceStore({ dataDir: resumable });
    const kept = await store.count();
    await store.close();
    expect(kept).toBeGreaterThanOrEqual(written);
    expect(kept).toBeLessThan(1000);
    const rerun = await vitrine(args.slice(1));
    const m = /ok (\d+), skipped (\d+) \(unchanged\), failed 0/.exec(rerun.stdout);
    expect(m, rerun.stdout + rerun.stderr).not.toBeNull();
    expect(Number(m![2])).toBe(kept);
    expect(Number(m![1]) + Number(m![2])).toBe(1000);
  });

  it('a text search returns 8 scored hits from this index', async () => {
    const res = await vitrine(['search', 'navy blue shirt', '--data', data, '--model', TINY_MODEL, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const body = JSON.parse(res.stdout);
    expect(body.hits).toHaveLength(8);
    for (const h of body.hits) {
      expect(ids).toContain(h.id);
      expect(h.score).toBeGreaterThan(-1);
      expect(h.score).toBeLessThanOrEqual(1);
    }
  });

  it('an image search with an indexed photo returns that product first, with filters honoured', async () => {
    const id = ids[123];
    const res = await vitrine(['search', '--image', path.join(SHARED, 'images', `${id}.jpg`), '--data', data, '--model', TINY_MODEL, '--json', '-k', '5']);
    const body = JSON.parse(res.stdout);
    expect(body.hits[0].id).toBe(id);
    expect(body.hits[0].score).toBeCloseTo(1, 4);
    const filtered = JSON.parse((await vitrine(['search', 'bag', '--data', data, '--model', TINY_MODEL, '--json', '--filter', 'gender=Women', '--filter', 'masterCategory=Accessories'])).stdout);
    expect(filtered.hits.length).toBeGreaterThan(0);
    for (const h of filtered.hits) expect(h.attributes).toMatchObject({ gender: 'Women', masterCategory: 'Accessories' });
  });

  it('searches by words (--mode keyword), forgives the case of filter values and hints at the closest value of one that matches nothing', async () => {
    const brand = JSON.parse((await vitrine(['search', 'nike', '--mode', 'keyword', '--data', data, '--model', TINY_MODEL, '--json'])).stdout);
    expect(brand.mode).toBe('keyword');
    expect(brand.hits.length).toBeGreaterThan(0);
    expect(brand.total).toBe(rows.slice(1).filter((r) => /\bnike\b/i.test(r.split(',')[1])).length);
    for (const h of brand.hits) expect(h.title).toMatch(/\bnike\b/i);
    for (const mode of ['vector', 'hybrid']) expect(JSON.parse((await vitrine(['search', 'nike', '--mode', mode, '--data', data, '--model', TINY_MODEL, '--json'])).stdout).mode).toBe(mode);
    const lower = JSON.parse((await vitrine(['search', 'bag', '--data', data, '--model', TINY_MODEL, '--json', '--filter', 'gender= women '])).stdout);
    expect(lower.hits.length).toBeGreaterThan(0);
    for (const h of lower.hits) expect(h.attributes.gender).toBe('Women');
    const typo = await vitrine(['search', 'bag', '--data', data, '--model', TINY_MODEL, '--filter', 'gender=womn']);
    expect(typo.code).toBe(0);
    expect(typo.stdout).toContain('0 of 0 matches');
    expect(typo.stderr).toMatch(/hint: no product has gender = "womn"; closest: Women/);
    const bad = await vitrine(['search', 'bag', '--mode', 'fuzzy', '--data', data, '--model', TINY_MODEL]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/vector, keyword, hybrid/);
  });

  it('writes a self-contained HTML page of the results', async () => {
    const out = path.join(work, 'results.html');
    const res = await vitrine(['search', 'red dress', '--data', data, '--model', TINY_MODEL, '--out', out]);
    expect(res.code).toBe(0);
    const html = await readFile(out, 'utf8');
    expect((html.match(/<img src="data:image\/jpeg;base64,/g) ?? []).length).toBe(8);
    expect(html).toMatch(/similarity -?\d\.\d{4}/);
  });

  it('keeps going past a corrupt photo and a missing file, and keeps what was indexed', async () => {
    const bad = path.join(work, 'bad');
    await cp(path.join(ROOT, 'test/fixtures/tiny-clip-images'), bad, { recursive: true });
    await writeFile(path.join(bad, 'corrupt.jpg'), Buffer.from('not a jpeg at all'));
    const csv = path.join(work, 'bad.csv');
    await writeFile(csv, `id,title,image\nok1,Good one,${path.join(bad, 'synthetic-0-32x32.png')}\nbroken,Broken,${path.join(bad, 'corrupt.jpg')}\nghost,Missing,${path.join(bad, 'nope.jpg')}\n,No id,x.jpg\n`);
    const res = await vitrine(['index', csv, '--data', data, '--model', TINY_MODEL]);
    expect(res.code, res.stderr).toBe(2); // finished, some items failed
    expect(res.stdout).toMatch(/ok 1, skipped 0 \(unchanged\), failed 3/);
    expect(res.stdout).toMatch(/failed broken: not a decodable image/);
    expect(res.stdout).toMatch(/failed ghost: image file .* does not exist/);
    const failures = (await readFile(path.join(data, 'index-failures.jsonl'), 'utf8')).trim().split('\n');
    expect(failures).toHaveLength(3);
    const info = JSON.parse((await vitrine(['info', '--data', data, '--json'])).stdout);
    expect(info.count).toBe(1001);
  });

  it('uploads original photos with --upload-images and records their new location', async () => {
    const uploads = path.join(work, 'uploads');
    const small = path.join(work, 'small.csv');
    await writeFile(small, rows.slice(0, 6).join('\n') + '\n');
    const upData = path.join(work, 'up-data');
    const res = await vitrine(['index', small, '--images', path.join(SHARED, 'images'), '--data', upData, '--model', TINY_MODEL, '--upload-images', uploads]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/ok 5, skipped 0 \(unchanged\), failed 0/);
    const store = await openLanceStore({ dataDir: upData });
    const item = await store.get(ids[2]);
    await store.close();
    expect(item!.imageRef.startsWith(uploads)).toBe(true);
    expect(await readFile(item!.imageRef)).toEqual(await readFile(path.join(SHARED, 'images', `${ids[2]}.jpg`)));
    const again = await vitrine(['index', small, '--images', path.join(SHARED, 'images'), '--data', upData, '--model', TINY_MODEL, '--upload-images', uploads]);
    expect(again.stdout).toMatch(/ok 0, skipped 5 \(unchanged\), failed 0/);
  });

  it('deletes products by id', async () => {
    const res = await vitrine(['delete', 'ok1', 'no-such-id', '--data', data, '--model', TINY_MODEL]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/deleted 1 of 2 ids; 1000 products remain/);
    const again = await vitrine(['index', path.join(work, 'bad.csv'), '--data', data, '--model', TINY_MODEL]);
    expect(again.stdout).toMatch(/ok 1, skipped 0 \(unchanged\), failed 3/);
    expect(again.code).toBe(2);
  });

  it('refuses a different model with a message that says how to re-index', async () => {
    const other = path.join(work, 'other-model');
    await cp(TINY_MODEL, other, { recursive: true });
    const config = JSON.parse(await readFile(path.join(other, 'config.json'), 'utf8'));
    await writeFile(path.join(other, 'config.json'), JSON.stringify({ ...config, note: 'changed' }));
    const res = await vitrine(['search', 'shirt', '--data', data, '--model', other]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/MODEL_MISMATCH/);
    expect(res.stderr).toMatch(/re-index/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('gives clear errors for a missing catalog, a missing model and an empty query', async () => {
    const noCatalog = await vitrine(['index', path.join(work, 'nope.csv'), '--data', data, '--model', TINY_MODEL]);
    expect(noCatalog.code).toBe(1);
    expect(noCatalog.stderr).toMatch(/CATALOG_ERROR.*does not exist/);
    const noModel = await vitrine(['search', 'x', '--data', data, '--model', path.join(work, 'no-model')]);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/MODEL_NOT_FOUND/);
    const empty = await vitrine(['search', '--data', data, '--model', TINY_MODEL]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/EMPTY_QUERY/);
  });

  it('search and info refuse a data dir without an index (NO_INDEX) and create nothing', async () => {
    const missing = path.join(work, 'never-indexed');
    const search = await vitrine(['search', 'red dress', '--data', missing, '--model', TINY_MODEL]);
    expect(search.code).toBe(1);
    expect(search.stderr).toContain(`vitrine: error [NO_INDEX]: the data dir ${missing} holds no index yet: run vitrine index <catalog> --data ${missing} first`);
    const info = await vitrine(['info', '--data', missing, '--json']);
    expect(info.code).toBe(1);
    expect(info.stderr).toMatch(/\[NO_INDEX\].*never-indexed holds no index yet/);
    expect(info.stdout).toBe('');
    expect(existsSync(missing)).toBe(false);
    // A folder that exists but holds no index: refused the same way, and left empty.
    const emptyDir = path.join(work, 'empty-folder');
    await mkdir(emptyDir);
    const again = await vitrine(['search', 'red dress', '--data', emptyDir, '--model', TINY_MODEL]);
    expect(again.stderr).toMatch(/\[NO_INDEX\]/);
    expect(await readdir(emptyDir)).toEqual([]);
  });

  it('serve starts on a data dir without an index, answers NO_INDEX, and serves the index once one is written', async () => {
    const port = await freePort();
    const later = path.join(work, 'filled-later');
    const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data', later, '--model', TINY_MODEL], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const base = `http://127.0.0.1:${port}`;
      let ready = false;
      for (let i = 0; i < 300 && !ready; i++) {
        ready = await fetch(`${base}/readyz`).then((r) => r.ok).catch(() => false);
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      expect(ready).toBe(true);
      const search = () => fetch(`${base}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'shirt' }) });
      const refused = await search();
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: 'NO_INDEX', message: expect.stringContaining(`run vitrine index <catalog> --data ${later} first`) });
      expect(existsSync(later)).toBe(false);
      const small = path.join(work, 'later.csv');
      await writeFile(small, rows.slice(0, 6).join('\n') + '\n');
      const indexed = await vitrine(['index', small, '--images', path.join(SHARED, 'images'), '--data', later, '--model', TINY_MODEL]);
      expect(indexed.stdout).toMatch(/ok 5, skipped 0 \(unchanged\), failed 0/);
      let hits: { id: string }[] = [];
      for (let i = 0; i < 100 && hits.length === 0; i++) {
        const res = await search();
        if (res.ok) hits = ((await res.json()) as { hits: { id: string }[] }).hits;
        else await new Promise((r) => setTimeout(r, 200));
      }
      expect(hits.map((h) => h.id).sort()).toEqual(ids.slice(0, 5).sort());
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('serves on a real socket; search --url works as a client, and the seed routes answer', async () => {
    const port = await freePort();
    server = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data', data, '--model', TINY_MODEL], { stdio: ['ignore', 'pipe', 'pipe'] });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${base}/readyz`).then((r) => r.ok).catch(() => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const ready = await (await fetch(`${base}/readyz`)).json();
    expect(ready).toMatchObject({ status: 'ready', count: 1001 });
    const id = ids[42];
    const photo = path.join(work, 'query.jpg');
    await copyFile(path.join(SHARED, 'images', `${id}.jpg`), photo);
    const res = await vitrine(['search', '--image', photo, '--url', base, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).hits[0].id).toBe(id);
    const urls = await (await fetch(`${base}/text_url?text_query=black%20watch`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).json();
    expect(urls).toHaveLength(8);
    const img = await fetch(urls[0]);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    const down = await vitrine(['search', 'x', '--url', 'http://127.0.0.1:9', '--json']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/no Vitrine server answers/);
  });
});
