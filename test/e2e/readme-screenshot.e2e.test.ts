// The README's picture of the search page, made the way a user would see it: a sample of the real shared catalog
// (its 224 px photos, every third product that has one) indexed with the house model by the built CLI, `vitrine
// serve`, and headless Chromium typing a good query. The checks are what the picture must show: real products that
// match the query, the counts wording, and no raw score. docs/web-screenshot.png is written when it is missing or
// VITRINE_UPDATE_SCREENSHOTS=1 (a plain run leaves the tree clean); test-artifacts/web/readme.png every run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './free-port.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(ROOT, 'dist/cli/main.js');
const SHARED = path.resolve(ROOT, '../shared/data/fashion-products');
const PHOTOS = path.join(SHARED, 'images-224');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const QUERY = 'navy blue men shirt';
const ready = existsSync(CHROMIUM) && existsSync(path.join(SHARED, 'catalog.csv')) && existsSync(PHOTOS);
if (!ready) console.warn(`\n!!! SKIPPING the README screenshot: it needs Chromium (${CHROMIUM}) and ../shared/data/fashion-products with images-224 !!!\n`);

describe.skipIf(!ready)('README screenshot (shared catalog, house model, Chromium)', () => {
  let tmp = '';
  let server: ChildProcess | undefined;
  let log = '';
  let context: BrowserContext;
  let base = '';
  const titles = new Map<string, string>();

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vitrine-readme-shot-'));
    const [header, ...rows] = readFileSync(path.join(SHARED, 'catalog.csv'), 'utf8').trim().split('\n');
    const withPhoto = rows.filter((row) => existsSync(path.join(PHOTOS, `${row.split(',')[0]}.jpg`)));
    const sample = withPhoto.filter((_, i) => i % 3 === 0);
    for (const row of sample) titles.set(row.split(',')[0], row.split(',')[1]);
    const catalog = path.join(tmp, 'catalog.csv');
    await writeFile(catalog, [header, ...sample].join('\n') + '\n');
    const data = path.join(tmp, 'data');
    const index = spawnSync(process.execPath, [CLI, 'index', catalog, '--images', PHOTOS, '--data', data], { cwd: ROOT, encoding: 'utf8' });
    if (index.status !== 0) throw new Error(`vitrine index failed:\n${index.stdout}\n${index.stderr}`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data', data], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (chunk) => (log += chunk));
    server.stderr?.on('data', (chunk) => (log += chunk));
    for (let ok = false; !ok; ) {
      if (server.exitCode !== null) throw new Error(`vitrine serve exited ${server.exitCode}:\n${log}`);
      ok = await fetch(`${base}/readyz`).then((r) => r.status === 200).catch(() => false);
      if (!ok) await new Promise((r) => setTimeout(r, 250));
    }
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      viewport: { width: 1280, height: 860 },
      colorScheme: 'light',
    });
  });

  afterAll(async () => {
    await context?.close();
    server?.kill('SIGTERM');
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it(`shows real products answering "${QUERY}"`, async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(base + '/');
    await page.locator('#q').pressSequentially(QUERY, { delay: 15 });
    await page.waitForFunction((q) => new URLSearchParams(location.search).get('q') === q, QUERY);
    await page.waitForFunction(() => !document.body.classList.contains('busy') && document.querySelectorAll('#grid > li.card').length > 0);
    await page.waitForFunction(() => [...document.querySelectorAll('#grid img')].slice(0, 12).every((img) => (img as HTMLImageElement).complete));
    const ids = await page.locator('#grid > li.card').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.id ?? ''));
    // A good answer: most of the first eight are shirts, and at least half say navy or blue.
    const firstEight = ids.slice(0, 8).map((id) => titles.get(id) ?? '');
    expect(firstEight.filter((t) => /shirt/i.test(t)).length).toBeGreaterThanOrEqual(6);
    expect(firstEight.filter((t) => /navy|blue/i.test(t)).length).toBeGreaterThanOrEqual(4);
    await expect(page.locator('#status').textContent()).resolves.toMatch(/^\d+ of [\d,]+ (matches|products, closest to your words first) · /);
    await expect(page.locator('#grid').textContent()).resolves.not.toMatch(/score/i);
    const artifacts = path.join(ROOT, 'test-artifacts/web');
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'readme.png') });
    const readmeShot = path.join(ROOT, 'docs/web-screenshot.png');
    if (!existsSync(readmeShot) || process.env.VITRINE_UPDATE_SCREENSHOTS === '1') await copyFile(path.join(artifacts, 'readme.png'), readmeShot);
  });
});
