import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { RetrievalResults, ZeroShotResults } from '../results.js';
import { writeReport } from './write-report.js';
import { renderMarkdown } from './markdown.js';
import { escapeXml, viridis } from './charts.js';

const model = { id: '/models/tiny-clip/', hash: 'abcdef0123456789', dimension: 8 };

const retrieval: RetrievalResults = {
  tool: 'vitrine eval',
  schemaVersion: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  options: {},
  task: 'text-to-image',
  catalog: { source: 'catalog.csv', hash: 'f'.repeat(64), products: 3, gallery: 3, querySplit: 'test' },
  ks: [1, 2],
  depth: 2,
  runs: [
    {
      model,
      index: { dir: '/cache/x', reused: true, indexed: 0, skipped: 3, failed: 0, documents: 3 },
      documents: 'image',
      queries: { total: 2, evaluated: 2, skipped: 0, truncatedTexts: 0, failed: 0 },
      metrics: { 'recall@1': 0.5, 'recall@2': 1, 'precision@1': 0.5, 'precision@2': 0.5, 'mrr@1': 0.5, 'mrr@2': 0.75, 'ndcg@1': 0.5, 'ndcg@2': 0.8155, map: 0.75 },
      recallCurve: [0.5, 1],
      heatmap: { productIds: ['1', '2'], titles: ['Red <Shirt> & co', 'Blue | Jeans'], similarity: [[0.3, 0.1], [0.2, 0.28]] },
      timingsMs: { index: 10, queries: 20 },
    },
  ],
};

const zeroShot: ZeroShotResults = {
  tool: 'vitrine eval',
  schemaVersion: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  options: {},
  task: 'zero-shot',
  dataset: { images: 'imgs', labels: 'labels.csv', samples: 3, classes: 2 },
  runs: [
    {
      model,
      images: { total: 3, failed: 0, failures: [] },
      prompts: ['a photo of a {}'],
      accuracy: 2 / 3,
      macroF1: 0.6667,
      labels: ['Blue', 'Red'],
      confusion: [[1, 0], [1, 1]],
      perClass: [
        { label: 'Blue', support: 1, precision: 0.5, recall: 1, f1: 0.6667 },
        { label: 'Red', support: 2, precision: 1, recall: 0.5, f1: 0.6667 },
      ],
      timingsMs: { total: 5 },
    },
  ],
};

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function expectValidChart(svgPath: string, pngPath: string): Promise<void> {
  const svg = await readFile(svgPath, 'utf8');
  expect(svg).toMatch(/<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svg.trim().endsWith('</svg>')).toBe(true);
  const png = await readFile(pngPath);
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const meta = await sharp(png).metadata();
  expect(meta.width).toBeGreaterThan(0);
  expect(meta.height).toBeGreaterThan(0);
}

describe('writeReport', () => {
  it('writes JSON, Markdown, HTML and each chart as SVG and PNG for retrieval', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'vitrine-report-'));
    dirs.push(outDir);
    const files = await writeReport(retrieval, { outDir });
    expect(JSON.parse(await readFile(files.json, 'utf8'))).toEqual(retrieval);
    const md = await readFile(files.markdown, 'utf8');
    expect(md).toContain('| recall@1 | 0.5000 |');
    expect(md).toContain('tiny-clip (abcdef01)');
    expect(md).toContain('reused');
    expect(files.charts.map((c) => c.name)).toEqual(['recall-curve', 'similarity-heatmap-1']);
    for (const c of files.charts) await expectValidChart(c.svg, c.png);
    const heatmap = await readFile(files.charts[1].svg, 'utf8');
    expect(heatmap).toContain('Red &lt;Shirt&gt; &amp; co');
    const html = await readFile(files.html, 'utf8');
    expect(html).toContain('<table>');
    expect(html).toContain('<td>0.5000</td>');
    expect(html).toContain('Blue | Jeans');
    expect(html.match(/<svg /g)).toHaveLength(2);
  });

  it('writes a confusion matrix for zero-shot', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'vitrine-report-'));
    dirs.push(outDir);
    const files = await writeReport(zeroShot, { outDir });
    expect(files.charts.map((c) => c.name)).toEqual(['confusion-matrix-1']);
    await expectValidChart(files.charts[0].svg, files.charts[0].png);
    const md = renderMarkdown(zeroShot);
    expect(md).toContain('| accuracy | 0.6667 |');
    expect(md).toContain('| Red | 2 | 0.6667 |');
  });
});

describe('chart helpers', () => {
  it('escapes XML and maps the colour scale ends', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(viridis(0)).toBe('#440154');
    expect(viridis(1)).toBe('#fde725');
    expect(viridis(Number.NaN)).toBe('#440154');
  });
});
