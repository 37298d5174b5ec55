// The search page end to end, as a user meets it: a synthetic catalog indexed with the built CLI,
// `vitrine serve` on a free port, and the page driven in real headless Chromium. The tiny test model
// is random, so the checks are about structure and identities (the uploaded product comes first),
// never about whether results look relevant.
//
// Needs `npm run build` first (dist/cli and dist/web). Screenshots go to test-artifacts/web/. The README's
// picture comes from a second suite: a sample of the real shared catalog indexed with the house model, answering
// a good query; it is written to docs/web-screenshot.png when that is missing or VITRINE_UPDATE_SCREENSHOTS=1.
// VITRINE_E2E_SERVER=mock runs the page against web/dev/mock-server.mjs instead (for work on the page alone).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './free-port.js';
import { writeSyntheticCatalog, type SyntheticProduct } from './synthetic-catalog.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(ROOT, 'dist/cli/main.js');
const MODEL = path.join(ROOT, 'test/fixtures/tiny-clip');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/web');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const USE_MOCK = process.env.VITRINE_E2E_SERVER === 'mock';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`\n!!! SKIPPING the web page e2e suite: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH) !!!\n`);
}

let tmp = '';
let products: SyntheticProduct[] = [];
let server: ChildProcess | undefined;
let serverLog = '';
let baseUrl = '';
/** How the server was started, so a test can start a second one with other settings. */
let serverArgs: (port: number) => string[] = () => [];
let context: BrowserContext;
let page: Page;
/** Uncaught script errors in any page of the run; the last test expects none. */
const pageErrors: string[] = [];

async function waitForReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server?.exitCode !== null && server?.exitCode !== undefined) {
      throw new Error(`the server exited with ${server.exitCode} before it was ready:\n${serverLog}`);
    }
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function runCli(args: string[]): void {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  if (run.status !== 0) throw new Error(`vitrine ${args.join(' ')} exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
}

const cards = () => page.locator('#grid > li.card');
const cardIds = () => cards().evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.id ?? ''));
const idle = () => page.waitForFunction(() => !document.body.classList.contains('busy'));
const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });

/** Types like a user (the page searches as you type), then waits for the results of exactly that text. */
async function typeQuery(text: string): Promise<void> {
  await page.locator('#q').fill('');
  await page.locator('#q').pressSequentially(text, { delay: 20 });
  await page.waitForFunction((q) => new URLSearchParams(location.search).get('q') === q, text);
  await idle();
}

/** In the browser: the first `n` result photos have loaded or been replaced by the "No photo" placeholder. */
function photosSettled(n: number): boolean {
  return [...document.querySelectorAll('#grid > li.card')].slice(0, n).every((card) => {
    const img = card.querySelector('img');
    return !img || img.complete;
  });
}

async function facetCount(field: string, value: string): Promise<number> {
  const label = page.locator('label.facet-value', { has: page.locator(`input[name="${field}"][value="${value}"]`) });
  return Number((await label.locator('.count').textContent())?.replace(/\D/g, ''));
}

/** The count in the status line, whatever its wording ("24 of 1,240 matches", "of 30 products", "of 29 other products"). */
async function statusTotal(): Promise<number> {
  const match = /of ([\d,]+) (?:other )?(?:products|matches|match)\b/.exec((await page.locator('#status').textContent()) ?? '');
  if (!match) throw new Error('no total in the status line');
  return Number(match[1].replace(/,/g, ''));
}

describe.skipIf(!hasChromium)('web page (headless Chromium)', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vitrine-web-e2e-'));
    await mkdir(ARTIFACTS, { recursive: true });
    products = await writeSyntheticCatalog(path.join(tmp, 'catalog'));
    if (!existsSync(path.join(ROOT, 'dist/web/index.html'))) {
      const build = spawnSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      if (build.status !== 0) throw new Error(`web build failed:\n${build.stderr}`);
    }
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    if (USE_MOCK) {
      serverArgs = (p) => [path.join(ROOT, 'web/dev/mock-server.mjs'), '--catalog', path.join(tmp, 'catalog'), '--port', String(p)];
    } else {
      if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
      const data = path.join(tmp, 'data');
      runCli(['index', path.join(tmp, 'catalog/catalog.csv'), '--data', data, '--model', MODEL]);
      serverArgs = (p) => [CLI, 'serve', '--port', String(p), '--data', data, '--model', MODEL];
    }
    const args = serverArgs(port);
    server = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (chunk) => (serverLog += chunk));
    server.stderr?.on('data', (chunk) => (serverLog += chunk));
    await waitForReady(`${baseUrl}/readyz`, 120_000);

    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      colorScheme: 'light',
    });
    page = context.pages()[0] ?? (await context.newPage());
    context.on('weberror', (error) => pageErrors.push(String(error.error())));
  });

  afterAll(async () => {
    await context?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server?.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('opens on a welcome state with filters from the index', async () => {
    await page.goto(baseUrl + '/');
    await expect.poll(() => page.locator('#empty').textContent()).toContain(`${products.length} products in the catalog`);
    for (const field of ['gender', 'articleType', 'baseColour']) {
      await expect(page.locator(`#facets input[name="${field}"]`).count()).resolves.toBeGreaterThan(1);
    }
    expect(await facetCount('gender', 'Women')).toBe(products.filter((p) => p.gender === 'Women').length);
    await expect(page.locator('label[for="q"]').count()).resolves.toBe(1);
    await shot('welcome.png');
  });

  it('shows results as you type, with the time the search took', async () => {
    await page.goto(baseUrl + '/');
    await typeQuery('red striped');
    expect(await cards().count()).toBeGreaterThan(0);
    const ids = await cardIds();
    expect(ids.every((id) => products.some((p) => p.id === id))).toBe(true);
    // Every product is ranked by look, or (hybrid) the matches plus the 100 closest: all 30 here.
    await expect(page.locator('#status').textContent()).resolves.toMatch(/^\d+ of 30 (products, closest to your words first|matches) · search took [\d.,]+ ms/);
    // Every result photo the page shows comes from GET /images/:id and must decode.
    await page.waitForFunction(photosSettled, 8, { timeout: 10_000 });
    await expect(page.locator('#grid .photo-missing').count(), 'result photos that failed to load').resolves.toBe(0);
    await shot('text-search.png');
  });

  it('searches by the words chosen in the mode control: matches counted, no score on the cards, the article type above the title', async () => {
    await page.goto(baseUrl + '/');
    await idle();
    await expect(page.locator('#mode option:checked').textContent()).resolves.toMatch(/\(default\)$/);
    await page.locator('#mode').selectOption('keyword');
    await typeQuery('dotted');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('mode') === 'keyword');
    const dotted = products.filter((p) => p.title.includes('dotted'));
    await expect(page.locator('#status').textContent()).resolves.toMatch(new RegExp(`^${dotted.length} of ${dotted.length} matches · `));
    expect((await cardIds()).sort()).toEqual(dotted.map((p) => p.id).sort());
    await expect(page.locator('#mode-hint').textContent()).resolves.toContain('typos are forgiven');
    // A typo still finds them, and the counts follow the query: only dresses are counted.
    await typeQuery('doted');
    expect((await cardIds()).sort()).toEqual(dotted.map((p) => p.id).sort());
    expect(await facetCount('articleType', 'Dresses')).toBe(dotted.length);
    expect(await page.locator('input[name="articleType"][value="Shirts"]').count()).toBe(0);
    // Cards: no number that looks like a score; what the product is comes first.
    const card = cards().first();
    const id = await card.getAttribute('data-id');
    await expect(card.locator('.kind').textContent()).resolves.toBe(products.find((p) => p.id === id)?.articleType);
    await expect(card.textContent()).resolves.not.toMatch(/score|\d\.\d{3}/i);
    await shot('keyword-search.png');
  });

  it('offers the facet fields a shopper filters by, the most selective first, with "Not specified" for placeholders', async () => {
    await page.goto(baseUrl + '/');
    await idle();
    const legends = await page.locator('#facets legend').allTextContents();
    expect(legends).not.toContain('Split');
    expect(legends).not.toContain('Year');
    // baseColour (6 even values) and articleType (5) split the catalog more than gender or season.
    expect(legends.slice(0, 2)).toEqual(['Base colour', 'Article type']);
    const season = page.locator('#facets fieldset', { has: page.locator('legend', { hasText: 'Season' }) });
    await expect(season.locator('.facet-name').last().textContent()).resolves.toBe('Not specified');
    expect(await facetCount('season', 'NA')).toBe(products.filter((p) => p.season === 'NA').length);
  });

  it('forgives the case of a filter value in a link, and names the closest value of one that matches nothing', async () => {
    await page.goto(`${baseUrl}/?q=shirt&f.gender=men`);
    await idle();
    expect(await statusTotal()).toBeGreaterThan(0);
    for (const id of await cardIds()) expect(products.find((p) => p.id === id)?.gender).toBe('Men');
    await expect(page.locator('#filter-notice').isHidden()).resolves.toBe(true);
    await page.goto(`${baseUrl}/?q=shirt&f.gender=womn`);
    await expect.poll(() => page.locator('#filter-notice').textContent()).toContain('No product has Gender “womn”. Closest: Women');
    expect(await cards().count()).toBe(0);
    await shot('unmatched-filter.png');
    await page.locator('#filter-notice').getByRole('button', { name: 'Use “Women”' }).click();
    await page.waitForFunction(() => new URLSearchParams(location.search).get('f.gender') === 'Women');
    await idle();
    expect(await cards().count()).toBeGreaterThan(0);
    await expect(page.locator('#filter-notice').isHidden()).resolves.toBe(true);
  });

  it('searches on Enter and pages with "Load more"', async () => {
    await page.goto(baseUrl + '/');
    await page.locator('#q').fill('shirt');
    await page.locator('#q').press('Enter');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('q') === 'shirt');
    await idle();
    expect(await cards().count()).toBe(24);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction(() => new URLSearchParams(location.search).get('pages') === '2');
    await idle();
    const ids = await cardIds();
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    await expect(page.getByRole('button', { name: 'Load more' }).isHidden()).resolves.toBe(true);
    // The button is gone, so keyboard focus moves on to the first new result.
    await expect(page.evaluate(() => document.activeElement?.closest<HTMLElement>('li.card')?.dataset.id)).resolves.toBe(ids[24]);
  });

  it('puts the uploaded photo of an indexed product first and shows the photo', async () => {
    const product = products[13];
    await page.goto(baseUrl + '/');
    await page.locator('#image-input').setInputFiles(product.imagePath);
    await expect.poll(async () => (await cardIds())[0], { timeout: 30_000 }).toBe(product.id);
    await expect(page.locator('#query-photo').isVisible()).resolves.toBe(true);
    await expect(page.locator('#query-photo-caption').textContent()).resolves.toContain(`${product.id}.png`);
    await expect(page.locator('#status').textContent()).resolves.toMatch(/^\d+ closest to your photo, of 30 products · /);
    await shot('image-search.png');

    // Filters combine with the photo (sent as multipart with a JSON "filters" part); the photo stays.
    await page.locator('label.facet-value', { has: page.locator(`input[name="articleType"][value="${product.articleType}"]`) }).click();
    await page.waitForFunction((value) => new URLSearchParams(location.search).get('f.articleType') === value, product.articleType);
    await idle();
    const ids = await cardIds();
    expect(ids[0]).toBe(product.id);
    expect(ids.every((id) => products.find((p) => p.id === id)?.articleType === product.articleType)).toBe(true);
    expect(await statusTotal()).toBe(products.filter((p) => p.articleType === product.articleType).length);
    await expect(page.locator('#query-photo').isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Clear photo' }).click();
    await expect.poll(() => page.locator('#query-photo').isHidden()).toBe(true);
    await expect.poll(() => page.locator('#empty').getAttribute('data-kind')).toBe('welcome');
  });

  it('takes a dropped or pasted photo too', async () => {
    const product = products[22];
    const bytes = [...(await readFile(product.imagePath))];
    for (const how of ['drop', 'paste'] as const) {
      await page.goto(baseUrl + '/');
      await idle();
      await page.evaluate(
        ({ bytes, how, name }) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
          const event =
            how === 'drop'
              ? new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true })
              : new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true });
          document.body.dispatchEvent(event);
        },
        { bytes, how, name: `${how}.png` },
      );
      await expect.poll(async () => (await cardIds())[0], { timeout: 30_000 }).toBe(product.id);
      await expect(page.locator('#query-photo-caption').textContent()).resolves.toContain(`${how}.png`);
    }
  });

  it('narrows the grid with a filter and updates the counts, combined with text', async () => {
    await page.goto(baseUrl + '/');
    await typeQuery('dotted');
    const before = await statusTotal();
    const womenCount = await facetCount('gender', 'Women');
    const shirtsBefore = await facetCount('articleType', 'Shirts');
    expect(shirtsBefore).toBeGreaterThan(0);
    await page.locator('label.facet-value', { has: page.locator('input[name="gender"][value="Women"]') }).click();
    await page.waitForFunction(() => new URLSearchParams(location.search).get('f.gender') === 'Women');
    await idle();
    const women = products.filter((p) => p.gender === 'Women');
    expect(await statusTotal()).toBe(women.length);
    expect(await statusTotal()).toBeLessThan(before);
    expect(womenCount).toBe(women.length);
    const ids = await cardIds();
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => women.some((p) => p.id === id))).toBe(true);
    // Other fields' counts now only count women's products; the gender counts ignore their own filter.
    expect(await page.locator('input[name="articleType"][value="Shirts"]').count()).toBe(0);
    expect(await facetCount('articleType', 'Dresses')).toBe(women.filter((p) => p.articleType === 'Dresses').length);
    expect(await facetCount('gender', 'Men')).toBe(products.filter((p) => p.gender === 'Men').length);
    await expect(page.locator('#q').inputValue()).resolves.toBe('dotted');
    await shot('filtered.png');

    // Keyboard: Space on a focused checkbox adds a second value of the same field; focus stays put.
    await page.locator('input[name="gender"][value="Unisex"]').focus();
    await page.keyboard.press('Space');
    await page.waitForFunction(() => new URLSearchParams(location.search).getAll('f.gender').length === 2);
    await idle();
    expect(await statusTotal()).toBe(products.filter((p) => p.gender !== 'Men').length);
    await expect(page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value)).resolves.toBe('Unisex');
  });

  it('"More like this" searches by that product\'s photo and puts it in the URL', async () => {
    await page.goto(baseUrl + '/');
    await typeQuery('green');
    const before = await cardIds();
    const target = before[2];
    await page.locator(`#grid > li.card[data-id="${target}"]`).getByRole('button', { name: /More like this/ }).click();
    await page.waitForFunction((id) => new URLSearchParams(location.search).get('productId') === id, target);
    await idle();
    const after = await cardIds();
    expect(after.length).toBeGreaterThan(0);
    // The product itself comes first, unless the server leaves it out of its own look-alikes.
    expect(after[0] === target || (!after.includes(target) && after.join() !== before.join())).toBe(true);
    await expect(page.locator('#q').inputValue()).resolves.toBe('');
    await expect(page.locator('#query-photo').isVisible()).resolves.toBe(true);
    // Its own wording: the look-alikes of one product, out of the others.
    await expect(page.locator('#status').textContent()).resolves.toMatch(/^\d+ most similar of 29 other products · /);
    await shot('more-like-this.png');
  });

  it('shows a clear error for a file that is not a photo, then keeps working', async () => {
    await page.goto(baseUrl + '/');
    await page.locator('#image-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') });
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('notes.txt');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not a photo');

    // Named and typed like a PNG, so only the server can tell: its INVALID_IMAGE answer must show.
    await page.locator('#image-input').setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('definitely not a png') });
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('broken.png');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('could not be read as a photo');
    await expect(page.locator('#query-photo').isHidden()).resolves.toBe(true);
    await shot('bad-file.png');

    // The picker and the hint offer the formats the server takes; an SVG is a drawing, refused before upload.
    await expect(page.locator('#search-hint').textContent()).resolves.toContain('JPEG, PNG, WebP, GIF, AVIF or TIFF');
    await expect(page.locator('#image-input').getAttribute('accept')).resolves.not.toContain('svg');
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="red"/></svg>';
    await page.locator('#image-input').setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(svg) });
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('logo.svg');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not accepted');

    await typeQuery('blue');
    expect(await cards().count()).toBeGreaterThan(0);
    await expect(page.locator('#error').isHidden()).resolves.toBe(true);
  });

  it('says so when the server cannot be reached, and recovers with "Try again"', async () => {
    await page.goto(baseUrl + '/');
    await page.route('**/api/search', (route) => route.abort('connectionrefused'));
    await typeQuery('black');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Cannot reach the server');
    await shot('server-down.png');
    await page.unroute('**/api/search');
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => cards().count()).toBeGreaterThan(0);
    await expect(page.locator('#error').isHidden()).resolves.toBe(true);
  });

  it('shows an empty state when nothing matches the filters', async () => {
    await page.goto(`${baseUrl}/?q=dress&f.articleType=Sneakers&f.gender=Men`);
    await expect.poll(() => page.locator('#empty').getAttribute('data-kind')).toBe('none');
    expect(await cards().count()).toBe(0);
    await expect(page.locator('#empty').textContent()).resolves.toContain('No products match');
    await shot('empty.png');
    await page.locator('#empty').getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => cards().count()).toBeGreaterThan(0);
  });

  it('restores the search from the URL on reload and on Back', async () => {
    await page.goto(baseUrl + '/');
    await typeQuery('checked');
    await page.locator('label.facet-value', { has: page.locator('input[name="gender"][value="Men"]') }).click();
    await page.waitForFunction(() => new URLSearchParams(location.search).has('f.gender'));
    await idle();
    const url = page.url();
    const ids = await cardIds();
    const target = ids[1];
    await page.locator(`#grid > li.card[data-id="${target}"]`).getByRole('button', { name: /More like this/ }).click();
    await page.waitForFunction((id) => new URLSearchParams(location.search).get('productId') === id, target);
    await idle();
    const likeIds = await cardIds();

    await page.reload();
    await idle();
    await expect.poll(cardIds).toEqual(likeIds);
    await expect(page.locator('input[name="gender"][value="Men"]').isChecked()).resolves.toBe(true);
    await expect(page.locator('#query-photo').isVisible()).resolves.toBe(true);

    await page.goBack();
    await page.waitForURL(url);
    await expect.poll(cardIds).toEqual(ids);
    await expect(page.locator('#q').inputValue()).resolves.toBe('checked');

    // A shared link with two pages loaded comes back with both.
    const shared = `${baseUrl}/?q=shoe&pages=2`;
    await page.goto(shared);
    await expect.poll(() => cards().count()).toBe(30);
  });

  it('fits a phone-sized window', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${baseUrl}/?q=yellow`);
    await phone.waitForSelector('#grid > li.card');
    await phone.waitForFunction(photosSettled, 4, { timeout: 10_000 });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const columns = await phone.evaluate(() => getComputedStyle(document.getElementById('grid')!).gridTemplateColumns.split(' ').length);
    expect(columns).toBe(2);
    await expect(phone.locator('#filters').getAttribute('open')).resolves.toBeNull();
    await phone.screenshot({ path: path.join(ARTIFACTS, 'phone.png') });
    await phone.close();
  });

  it("pages in chunks of the server's own largest k (VITRINE_MAX_K)", async () => {
    const port = await freePort();
    const small = spawn(process.execPath, serverArgs(port), { cwd: ROOT, stdio: 'ignore', env: { ...process.env, VITRINE_MAX_K: '10' } });
    const smallPage = await context.newPage();
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForReady(`${base}/readyz`, 120_000);
      const asked: number[] = [];
      smallPage.on('request', (request) => {
        if (request.url().endsWith('/api/search')) asked.push(Number(JSON.parse(request.postData() ?? '{}').k));
      });
      await smallPage.goto(`${base}/?q=shirt&pages=2`);
      // A fresh server answers its first search slowly on a busy machine: the timeouts are hang guards.
      await expect.poll(() => smallPage.locator('#grid > li.card').count(), { timeout: 60_000 }).toBe(20);
      await smallPage.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => smallPage.locator('#grid > li.card').count(), { timeout: 60_000 }).toBe(30);
      expect(asked).toEqual([10, 10, 10]);
      await expect(smallPage.locator('#error').isVisible()).resolves.toBe(false);
    } finally {
      await smallPage.close();
      small.kill('SIGTERM');
    }
  });

  it('ran without a script error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});

