// End-to-end: the built CLI (`node dist/cli/main.js eval ...`, as users run it) with the tiny test model over a
// synthetic catalog of 30 coloured shapes, checking every output file is there and valid. The figures of a random
// tiny model mean nothing; the test checks the run, the files and the saved-index reuse.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The binary under test; VITRINE_CLI points elsewhere only to try an unreleased build. */
const CLI = process.env.VITRINE_CLI ?? path.join(ROOT, 'dist/cli/main.js');
const MODEL = path.join(ROOT, 'test/fixtures/tiny-clip');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const COLOURS: Record<string, string> = { Red: '#d62728', Blue: '#1f77b4', Green: '#2ca02c', Black: '#111111', White: '#f4f4f4' };
const SHAPES: Record<string, (fill: string) => string> = {
  Tshirts: (fill) => `<path d="M12 10 L24 6 L40 6 L52 10 L58 24 L48 26 L48 58 L16 58 L16 26 L6 24 Z" fill="${fill}"/>`,
  Caps: (fill) => `<circle cx="32" cy="34" r="22" fill="${fill}"/>`,
  Shoes: (fill) => `<path d="M6 50 L58 50 L58 40 L30 32 L20 20 L6 20 Z" fill="${fill}"/>`,
};

let work: string;
let catalog: string;
let images: string;
let cacheDir: string;

async function cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, 'eval', ...args, '--cache-dir', cacheDir], { cwd: work, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
}

async function expectChart(file: string): Promise<void> {
  const svg = await readFile(`${file}.svg`, 'utf8');
  expect(svg.length).toBeGreaterThan(100);
  expect(svg).toMatch(/<svg[\s>]/);
  expect(svg.trim().endsWith('</svg>')).toBe(true);
  const png = await readFile(`${file}.png`);
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  const meta = await sharp(png).metadata();
  expect(meta.format).toBe('png');
  expect(meta.width).toBeGreaterThan(0);
  expect(meta.height).toBeGreaterThan(0);
}

async function readResults(out: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as Record<string, any>;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'vitrine-eval-e2e-'));
  images = path.join(work, 'images');
  cacheDir = path.join(work, 'cache');
  await mkdir(images);
  // 5 colours x 3 article types x 2 genders = 30 products; the same title appears once per split pair below.
  const rows = ['id,title,gender,articleType,baseColour,split'];
  const labels = ['file,label'];
  let id = 1000;
  for (const [colour, hex] of Object.entries(COLOURS)) {
    for (const [articleType, shape] of Object.entries(SHAPES)) {
      for (const gender of ['Men', 'Women']) {
        id++;
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#ffffff"/>${shape(hex)}</svg>`;
        await sharp(Buffer.from(svg)).png().toFile(path.join(images, `${id}.png`));
        // Titles repeat across genders for Caps, so a title query can have two relevant products.
        const title = articleType === 'Caps' ? `${colour} Cap` : `${gender} ${colour} ${articleType}`;
        rows.push(`${id},${title},${gender},${articleType},${colour},${gender === 'Men' ? 'test' : 'train'}`);
        labels.push(`${id}.png,${colour}`);
      }
    }
  }
  catalog = path.join(work, 'catalog.csv');
  await writeFile(catalog, `${rows.join('\n')}\n`);
  await writeFile(path.join(work, 'labels.csv'), `${labels.join('\n')}\n`);
  await writeFile(path.join(work, 'qrels.json'), JSON.stringify({ 'a red cap': { '1003': 1, '1004': 1 }, 'blue shoes for men': { '1011': 1 }, 'nothing relevant': {} }));
  // A second folder with the same files: a second model column (same weights, so its gallery index is shared).
  await cp(MODEL, path.join(work, 'tiny-clip-copy'), { recursive: true });
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('vitrine eval (built CLI, tiny model, synthetic catalog)', () => {
  it('text-to-image from titles: two models in one table, all files written, and the saved index reused on a rerun', async () => {
    const out = path.join(work, 'out-t2i');
    const args = ['text-to-image', '--catalog', catalog, '--images', images, '--queries-from', 'title', '--split', 'test', '--model', MODEL, '--model', path.join(work, 'tiny-clip-copy'), '--out', out];
    const first = await cli(args);
    expect(first.stdout).toContain('| recall@1 |');
    const results = await readResults(out);
    expect(results.task).toBe('text-to-image');
    expect(results.ks).toEqual([1, 5, 10]);
    expect(results.catalog).toMatchObject({ products: 30, gallery: 30, querySplit: 'test' });
    expect(results.catalog.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(results.runs).toHaveLength(2);
    const [a, b] = results.runs;
    expect(a.model.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.index).toMatchObject({ reused: false, indexed: 30, failed: 0, documents: 30 });
    // Same weights in another folder: same model hash, so the second model reuses the first one's index.
    expect(b.index.reused).toBe(true);
    // 15 test products: 10 distinct Tshirt/Shoes titles + 5 Cap titles.
    expect(a.queries).toMatchObject({ total: 15, evaluated: 15, skipped: 0 });
    for (const name of ['recall@1', 'recall@5', 'recall@10', 'precision@5', 'mrr@10', 'ndcg@10', 'map']) {
      expect(a.metrics[name]).toBeGreaterThanOrEqual(0);
      expect(a.metrics[name]).toBeLessThanOrEqual(1);
    }
    expect(a.metrics).toEqual(b.metrics);
    expect(a.recallCurve).toHaveLength(10);
    expect(a.heatmap.productIds).toHaveLength(12);
    expect(a.heatmap.similarity).toHaveLength(12);
    expect(a.timingsMs.queries).toBeGreaterThanOrEqual(0);

    const markdown = await readFile(path.join(out, 'results.md'), 'utf8');
    expect(markdown).toMatch(/\| metric \| tiny-clip \([0-9a-f]{8}\) \| tiny-clip-copy \([0-9a-f]{8}\) \|/);
    expect(markdown).toContain('| map |');
    await expectChart(path.join(out, 'recall-curve'));
    await expectChart(path.join(out, 'similarity-heatmap-1'));
    await expectChart(path.join(out, 'similarity-heatmap-2'));
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('<table>');
    expect(html.match(/<svg /g)?.length).toBe(3);

    const second = await cli(args);
    expect(second.stderr).toMatch(/reusing the saved gallery index/);
    const rerun = await readResults(out);
    expect(rerun.runs[0].index).toMatchObject({ reused: true, indexed: 0 });
    expect(rerun.runs[0].metrics).toEqual(a.metrics);
  });

  it('text-to-image from a qrels file', async () => {
    const out = path.join(work, 'out-qrels');
    await cli(['text-to-image', '--catalog', catalog, '--images', images, '--qrels', path.join(work, 'qrels.json'), '--model', MODEL, '--k', '1,3', '--out', out]);
    const results = await readResults(out);
    expect(results.ks).toEqual([1, 3]);
    expect(results.runs[0].queries).toMatchObject({ total: 3, evaluated: 2, skipped: 1 });
    expect(Object.keys(results.runs[0].metrics)).toContain('ndcg@3');
  });

  it('attribute with a prompt and a mix of image and title embeddings', async () => {
    const out = path.join(work, 'out-attr');
    await cli(['attribute', '--catalog', catalog, '--images', images, '--field', 'baseColour', '--prompt', 'a photo of {} clothes', '--doc', 'image:0.9,text:0.1', '--model', MODEL, '--heatmap', '0', '--out', out]);
    const results = await readResults(out);
    expect(results.task).toBe('attribute');
    expect(results.runs[0].documents).toBe('image:0.90,text:0.10');
    // 5 colours, 6 products each.
    expect(results.runs[0].queries).toMatchObject({ total: 5, evaluated: 5 });
    expect(results.runs[0].metrics['recall@10']).toBeGreaterThan(0);
    await expectChart(path.join(out, 'recall-curve'));
  });

  it('image-to-image on the test split excludes the query product', async () => {
    const out = path.join(work, 'out-i2i');
    await cli(['image-to-image', '--catalog', catalog, '--images', images, '--field', 'articleType', '--split', 'test', '--model', MODEL, '--out', out]);
    const results = await readResults(out);
    expect(results.runs[0].queries).toMatchObject({ total: 15, evaluated: 15, failed: 0 });
    // Each query has 9 other products of its type; identical photos exist (same colour and shape, other gender).
    expect(results.runs[0].metrics['precision@1']).toBeGreaterThan(0);
  });

  it('zero-shot: accuracy, macro-F1 and a confusion matrix chart', async () => {
    const out = path.join(work, 'out-zs');
    await cli(['zero-shot', '--images', images, '--labels', path.join(work, 'labels.csv'), '--prompt', 'a photo of a {} product', '--prompt', '{} clothes', '--model', MODEL, '--out', out]);
    const results = await readResults(out);
    expect(results.task).toBe('zero-shot');
    const z = results.runs[0];
    expect(z.labels).toEqual(['Black', 'Blue', 'Green', 'Red', 'White']);
    expect(z.images).toMatchObject({ total: 30, failed: 0 });
    expect(z.confusion.flat().reduce((s: number, v: number) => s + v, 0)).toBe(30);
    expect(z.accuracy).toBeGreaterThanOrEqual(0);
    expect(z.macroF1).toBeLessThanOrEqual(1);
    expect(await readFile(path.join(out, 'results.md'), 'utf8')).toContain('| macro-F1 |');
    await expectChart(path.join(out, 'confusion-matrix-1'));
  });

  it('reports a usage error as one line and a non-zero exit code', async () => {
    const failure = await cli(['text-to-image', '--catalog', catalog, '--images', images, '--model', MODEL]).catch((e: { code: number; stderr: string }) => e);
    expect('code' in failure && failure.code).toBe(1);
    expect((failure as { stderr: string }).stderr).toMatch(/error \[BAD_REQUEST\]: text-to-image needs exactly one of --qrels/);
  });
});
