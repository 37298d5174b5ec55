// End-to-end: `vitrine eval robustness` (the built CLI) with the tiny test model over a synthetic catalog:
// labelled "shopper" photos (products drawn on coloured floors), the held-out transforms and 224x224 versions.
// The figures of a random tiny model mean nothing; the test checks the run, the query sets, the split and files.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProductImage, makeSyntheticCatalog, type SyntheticCatalog } from '../support/synthetic-catalog.js';
import { photoHalf } from '../../src/eval/real-photos.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = process.env.VITRINE_CLI ?? path.join(ROOT, 'dist/cli/main.js');
const MODEL = path.join(ROOT, 'test/fixtures/tiny-clip');
const FLOORS = ['#a0785a', '#8899aa', '#d8c8b0', '#445566'];

let catalog: SyntheticCatalog;
let photosDir: string;
let hiresDir: string;
let labels: { file: string; label: string }[];

beforeAll(async () => {
  catalog = await makeSyntheticCatalog(24);
  photosDir = path.join(catalog.dir, 'shopper');
  hiresDir = path.join(catalog.dir, 'images-224');
  await mkdir(photosDir);
  await mkdir(hiresDir);
  labels = [];
  const labelOf: Record<string, string> = { Tshirts: 'Top', Shirts: 'Top', Jeans: 'Pants', Dresses: 'Dress' };
  for (const [i, row] of catalog.rows.entries()) {
    // a shopper's landscape photo: the product photo, smaller, on a coloured floor
    const product = await sharp(path.join(catalog.imagesDir, `${row.id}.jpg`)).resize(45, 60).toBuffer();
    const file = `photo-${i}.jpg`;
    await sharp({ create: { width: 160, height: 120, channels: 3, background: FLOORS[i % FLOORS.length] } })
      .composite([{ input: product, left: 20 + (i % 5) * 15, top: 30 }])
      .jpeg({ quality: 80 })
      .toFile(path.join(photosDir, file));
    labels.push({ file, label: labelOf[row.articleType] });
    if (i % 3 === 0) await writeFile(path.join(hiresDir, `${row.id}.jpg`), await makeProductImage(i, '#d22', 224, 224));
  }
  labels.push({ file: 'unmapped.jpg', label: 'Blazer' });
  await writeFile(path.join(catalog.dir, 'labels.csv'), ['file,label,kids', ...labels.map((l) => `${l.file},${l.label},False`)].join('\n') + '\n');
  await writeFile(path.join(catalog.dir, 'map.json'), JSON.stringify({ _comment: 'test', Top: ['Tshirts', 'Shirts'], Pants: ['Jeans'], Dress: ['Dresses'] }));
});

afterAll(async () => {
  if (catalog) await rm(catalog.dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  return run(process.execPath, [CLI, 'eval', 'robustness', '--catalog', catalog.csv, '--model', MODEL, '--cache-dir', path.join(catalog.dir, 'cache'), ...args], {
    cwd: catalog.dir,
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

describe('vitrine eval robustness (built CLI, tiny model, synthetic photos)', () => {
  it('labelled photos, held-out transforms and 224x224 versions: per-set, per-class and per-photo figures in every format', async () => {
    const out = path.join(catalog.dir, 'out-all');
    const { stdout } = await cli([
      '--photos', photosDir, '--labels', path.join(catalog.dir, 'labels.csv'), '--label-map', path.join(catalog.dir, 'map.json'),
      '--transforms', 'all', '--sample', '6', '--hires-images', hiresDir, '--out', out,
    ]);
    expect(stdout).toContain('# Vitrine eval: robustness');
    const results = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
    expect(results.task).toBe('robustness');
    expect(results.ks).toEqual([1, 8]);
    const sets = results.runs[0].sets;
    expect(sets.map((s: { name: string }) => s.name)).toEqual([
      'photos', 'transform:gamma', 'transform:vignette', 'transform:occlusion', 'transform:sharpen', 'transform:pixelate', 'transform:webp', 'hires',
    ]);
    const photos = sets[0];
    expect(photos.queries).toBe(24); // the Blazer row has no mapping and is left out
    expect(photos.failed).toBe(0);
    expect(photos.perQuery).toHaveLength(24);
    expect(photos.perQuery[0].top).toHaveLength(8);
    expect(photos.metrics['recall@1']).toBeUndefined();
    expect(photos.perClass.map((c: { label: string }) => c.label)).toEqual(['Dress', 'Pants', 'Top']);
    for (const set of sets) {
      for (const value of Object.values(set.metrics) as number[]) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
    }
    const gamma = sets[1];
    expect(gamma.queries).toBe(6);
    expect(gamma.metrics['recall@8']).toBeGreaterThanOrEqual(0);
    const hires = sets[7];
    expect(hires.queries).toBe(8);
    expect(Object.keys(hires.metrics).sort()).toEqual(['precision@1', 'precision@8', 'recall@1', 'recall@8']);
    const md = await readFile(path.join(out, 'results.md'), 'utf8');
    expect(md).toContain('## photos: per class');
    expect(md).toContain('| photos precision@8 |');
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html.match(/<svg /g)?.length).toBe(2);
    for (const chart of ['robustness-1', 'robustness-1-photos-per-class']) {
      expect(await readFile(path.join(out, `${chart}.svg`), 'utf8')).toMatch(/<svg[\s>]/);
      const png = await readFile(path.join(out, `${chart}.png`));
      expect((await sharp(png).metadata()).format).toBe('png');
    }
  });

  it('--half keeps the hash-split half of the photos only', async () => {
    const out = path.join(catalog.dir, 'out-half');
    await cli(['--photos', photosDir, '--labels', path.join(catalog.dir, 'labels.csv'), '--label-map', path.join(catalog.dir, 'map.json'), '--half', 'select', '--out', out]);
    const results = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
    const expected = labels.filter((l) => l.label !== 'Blazer' && photoHalf(l.file) === 'select').map((l) => l.file);
    expect(results.runs[0].sets[0].perQuery.map((q: { id: string }) => q.id)).toEqual(expected);
    expect(results.photos.half).toBe('select');
  });

  it('refuses a run without a query set, and an unknown transform, with one clear line', async () => {
    const none = await cli(['--out', path.join(catalog.dir, 'x')]).catch((e: { code: number; stderr: string }) => e);
    expect((none as { stderr: string }).stderr).toMatch(/error \[BAD_REQUEST\]: robustness needs at least one query set/);
    const bad = await cli(['--transforms', 'gamma,blur']).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { stderr: string }).stderr).toMatch(/--transforms: unknown transform\(s\) blur/);
  });
});
