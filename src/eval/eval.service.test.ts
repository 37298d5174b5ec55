// The eval runners over fake ports: a colour-word embedder and an in-memory store, so the orchestration (queries,
// gallery reuse, exclusion of the query product, mixed documents, zero-shot) is checked by hand-computable numbers.
import { describe, expect, it } from 'vitest';
import type { IndexedRecord, Product } from '../domain/types.js';
import { dot, l2Normalize } from '../domain/vector-math.js';
import type { Embedder, PixelValues } from '../model/embedder.js';
import type { StoredItem, VectorSearchOptions, VectorStore } from '../stores/vector/vector-store.js';
import type { EvalRuntime, IndexGalleryOptions } from './eval-runtime.js';
import { mapConcurrent, runRetrievalEval } from './retrieval.service.js';
import { renderMarkdown } from './report/markdown.js';
import { runZeroShotEval } from './zero-shot.service.js';

const COLOURS = ['red', 'blue', 'green', 'black'];

/** One axis per colour word, plus a small axis that separates otherwise identical texts. */
function colourVector(text: string, jitter = 0): Float32Array {
  const v = new Float32Array(COLOURS.length + 1);
  const lower = text.toLowerCase();
  COLOURS.forEach((c, i) => {
    if (lower.includes(c)) v[i] = 1;
  });
  v[COLOURS.length] = jitter;
  return l2Normalize(v);
}

class FakeEmbedder implements Embedder {
  readonly manifest = { id: 'fake/colour-model', hash: 'f'.repeat(64), dimension: COLOURS.length + 1, preprocessing: {}, contextLength: 77 };
  textCalls = 0;
  imageCalls = 0;
  async encodeTexts(texts: string[]) {
    this.textCalls += texts.length;
    return { vectors: texts.map((t) => colourVector(t)), truncated: [] };
  }
  async preprocessImage(): Promise<PixelValues> {
    throw new Error('not used');
  }
  async encodePixels(): Promise<Float32Array[]> {
    throw new Error('not used');
  }
  async encodeImages(images: Uint8Array[]) {
    this.imageCalls += images.length;
    return images.map((bytes) => {
      const text = Buffer.from(bytes).toString('utf8');
      if (text === 'broken') throw new Error('not a decodable image');
      return colourVector(text);
    });
  }
  async close() {}
}

class MemoryStore implements VectorStore {
  constructor(readonly records: Map<string, IndexedRecord>) {}
  readonly location = { label: 'a test store', reindexHint: 'start over', indexFlags: '' };
  async expectModel() {
    return this.readManifest();
  }
  manifest: Awaited<ReturnType<VectorStore['readManifest']>> = null;
  async readManifest() {
    return this.records.size > 0 ? { model: new FakeEmbedder().manifest, attributeFields: [], metric: 'cosine' as const, normalized: true as const, createdAt: '', updatedAt: '' } : null;
  }
  async bindModel() {
    return (await this.readManifest())!;
  }
  async upsert(records: IndexedRecord[]) {
    for (const r of records) this.records.set(r.id, r);
  }
  async delete() {
    return 0;
  }
  async contentHashes(ids: string[]) {
    return new Map(ids.filter((id) => this.records.has(id)).map((id) => [id, this.records.get(id)!.contentHash]));
  }
  private item(r: IndexedRecord): StoredItem {
    return { id: r.id, title: r.title, imageRef: r.imageRef, attributes: r.attributes, contentHash: r.contentHash };
  }
  async get(id: string, options: { withVector?: boolean } = {}) {
    const r = this.records.get(id);
    return r ? { ...this.item(r), ...(options.withVector ? { vector: r.vector } : {}) } : null;
  }
  async search(options: VectorSearchOptions) {
    return [...this.records.values()]
      .filter((r) => !options.excludeIds?.includes(r.id))
      .map((r) => ({ id: r.id, title: r.title, imageRef: r.imageRef, attributes: r.attributes, score: dot(r.vector, options.vector) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, options.k);
  }
  async keywordSearch(options: { text: string; limit?: number }) {
    const words = options.text.toLowerCase().split(/\s+/);
    const ids = [...this.records.values()].filter((r) => words.every((w) => r.title.toLowerCase().includes(w))).map((r) => r.id);
    return { ranked: ids.slice(0, options.limit).map((id) => ({ id, score: 1 })), matched: ids.length, has: (id: string) => ids.includes(id), ids: () => ids };
  }
  async recordsOf(ids: readonly string[]) {
    return new Map(ids.filter((id) => this.records.has(id)).map((id) => [id, this.item(this.records.get(id)!)]));
  }
  async similarities(vector: Float32Array, ids: readonly string[]) {
    return new Map(ids.filter((id) => this.records.has(id)).map((id) => [id, dot(this.records.get(id)!.vector, vector)]));
  }
  async resolveFilters() {
    return { filters: new Map(), unmatched: [] };
  }
  async count() {
    return this.records.size;
  }
  async facets() {
    return {};
  }
  async *scan(options: { batchSize: number; withVector: boolean }) {
    const all = [...this.records.values()].map((r) => ({ ...this.item(r), ...(options.withVector ? { vector: r.vector } : {}) }));
    for (let i = 0; i < all.length; i += options.batchSize) yield all.slice(i, i + options.batchSize);
  }
  async close() {}
}

/** Photos are "files" whose bytes are the colour word, so an image embeds onto its colour axis. */
function fakeRuntime(photos: Record<string, string>) {
  const stores = new Map<string, Map<string, IndexedRecord>>();
  const embedders: FakeEmbedder[] = [];
  const runtime: EvalRuntime = {
    async loadEmbedder() {
      const e = new FakeEmbedder();
      embedders.push(e);
      return e;
    },
    async openStore(dir) {
      if (!stores.has(dir)) stores.set(dir, new Map());
      return new MemoryStore(stores.get(dir)!);
    },
    async indexGallery({ products, embedder, store }: IndexGalleryOptions) {
      const present = await store.contentHashes(products.map((p) => p.id));
      let indexed = 0;
      let failed = 0;
      for (const p of products) {
        if (present.has(p.id)) continue;
        try {
          const [vector] = await embedder.encodeImages([await runtime.readImage(p.imageRef)]);
          await store.upsert([{ ...p, contentHash: 'h', vector }]);
          indexed++;
        } catch {
          failed++;
        }
      }
      return { indexed, skipped: products.length - indexed - failed, failed };
    },
    async readImage(ref) {
      const photo = photos[ref];
      if (photo === undefined) throw new Error(`image file ${ref} does not exist`);
      return Buffer.from(photo);
    },
  };
  return { runtime, stores, embedders };
}

const product = (id: string, title: string, colour: string, split: string): Product => ({
  id,
  title,
  attributes: { baseColour: colour, split },
  imageRef: `/photos/${id}.png`,
});

// Photos show their colour, except p4 whose photo is green although the catalog says Red.
const products = [
  product('p1', 'Red Shirt', 'Red', 'test'),
  product('p2', 'Red Shirt', 'Red', 'train'),
  product('p3', 'Blue Jeans', 'Blue', 'test'),
  product('p4', 'Red Cap', 'Red', 'train'),
  product('p5', 'Black Shoes', 'Black', 'test'),
];
const photos = { '/photos/p1.png': 'red', '/photos/p2.png': 'red', '/photos/p3.png': 'blue', '/photos/p4.png': 'green', '/photos/p5.png': 'black' };

/** The attribute task over the colour catalog above, top 3, no heat map. */
function colourQueries(runtime: ReturnType<typeof fakeRuntime>['runtime']) {
  return { task: 'attribute' as const, models: ['fake'], products, catalog: { source: 'catalog.csv' }, ks: [3], cacheDir: '/cache', heatmapSize: 0, runtime };
}

describe('runRetrievalEval', () => {
  it('text-to-image from titles: figures by hand, and the saved gallery index is reused on the second run', async () => {
    const { runtime, embedders } = fakeRuntime(photos);
    const options = {
      task: 'text-to-image' as const,
      models: ['fake'],
      products,
      catalog: { source: 'catalog.csv' },
      queries: { kind: 'field-text' as const, field: 'title', split: 'test' },
      ks: [1, 2],
      cacheDir: '/cache',
      heatmapSize: 3,
      runtime,
    };
    const first = await runRetrievalEval(options);
    // Queries: "Black Shoes" -> {p5}, "Blue Jeans" -> {p3}, "Red Shirt" -> {p1, p2}. Red photos p1, p2 tie at the
    // top (tie-break by id): all three queries are perfect at k = 2.
    const run = first.runs[0];
    expect(run.queries).toEqual({ total: 3, evaluated: 3, skipped: 0, truncatedTexts: 0, failed: 0 });
    expect(run.metrics['recall@1']).toBeCloseTo((1 + 1 + 0.5) / 3, 12);
    expect(run.metrics['recall@2']).toBe(1);
    expect(run.metrics['precision@2']).toBeCloseTo((0.5 + 0.5 + 1) / 3, 12);
    expect(run.metrics.map).toBe(1);
    expect(run.recallCurve).toHaveLength(2);
    expect(run.index).toMatchObject({ reused: false, indexed: 5, failed: 0, documents: 5 });
    expect(run.index.dir).toMatch(/\/cache\/ffffffffffff-[0-9a-f]{12}$/);
    expect(run.heatmap?.productIds).toEqual(['p1', 'p3', 'p4']);
    expect(run.heatmap?.similarity[0][0]).toBeCloseTo(1, 6);
    expect(first.catalog).toMatchObject({ products: 5, gallery: 5, querySplit: 'test' });
    expect(first.depth).toBe(100);

    const second = await runRetrievalEval(options);
    expect(second.runs[0].index).toMatchObject({ reused: true, indexed: 0, skipped: 5 });
    expect(embedders[1].imageCalls).toBe(0);
    expect(second.runs[0].metrics).toEqual(run.metrics);
  });

  it('brand and typo query sets: "<brand> <articleType>" from titles, typos keep the relevant sets', async () => {
    const { runtime } = fakeRuntime(photos);
    const branded = products.map((p) => ({ ...p, title: `Acme ${p.title}`, attributes: { ...p.attributes, articleType: p.title.split(' ')[1] } }));
    const brand = await runRetrievalEval({
      task: 'brand',
      models: ['fake'],
      products: branded,
      catalog: { source: 'catalog.csv' },
      queries: { kind: 'brand', brands: ['Acme'], split: 'test' },
      ks: [1],
      cacheDir: '/cache',
      heatmapSize: 0,
      runtime,
    });
    // Test products give "Acme Shirt" {p1, p2}, "Acme Jeans" {p3}, "Acme Shoes" {p5}; colourless texts tie at 0.
    expect(brand.runs[0].queries).toMatchObject({ total: 3, evaluated: 3 });
    const typo = await runRetrievalEval({
      task: 'attribute',
      models: ['fake'],
      products,
      catalog: { source: 'catalog.csv' },
      queries: { kind: 'field-text', field: 'baseColour', typo: { seed: 1 } },
      ks: [1],
      cacheDir: '/cache',
      heatmapSize: 0,
      runtime,
    });
    expect(typo.catalog.typoSeed).toBe(1);
    expect(typo.runs[0].queries).toMatchObject({ total: 3, evaluated: 3 });
    // The colour-word embedder cannot read a misspelt colour: typo recall falls below the clean run's 1.
    expect(typo.runs[0].metrics['recall@1']).toBeLessThan(1);
  });

  it('qrels: relevant ids missing from the gallery lower recall; queries without relevant ids are skipped', async () => {
    const { runtime } = fakeRuntime(photos);
    const results = await runRetrievalEval({
      task: 'text-to-image',
      models: ['fake'],
      products,
      catalog: { source: 'catalog.csv' },
      queries: { kind: 'qrels', file: 'q.json', document: { 'blue jeans': { p3: 1, gone: 1 }, 'nothing': { p1: 0 } } },
      ks: [1],
      cacheDir: '/cache',
      heatmapSize: 0,
      runtime,
    });
    expect(results.runs[0].queries).toMatchObject({ total: 2, evaluated: 1, skipped: 1 });
    expect(results.runs[0].metrics['recall@1']).toBe(0.5);
    expect(results.runs[0].heatmap).toBeUndefined();
  });

  it('image-to-image excludes the query product and embeds query photos outside the gallery', async () => {
    const { runtime } = fakeRuntime(photos);
    const results = await runRetrievalEval({
      task: 'image-to-image',
      models: ['fake'],
      products,
      catalog: { source: 'catalog.csv' },
      queries: { kind: 'field-image', field: 'baseColour', split: 'test' },
      gallerySplit: 'train',
      ks: [1],
      cacheDir: '/cache',
      runtime,
    });
    // Gallery p2 (red), p4 (green photo, Red in the catalog). Query p1 (red photo): relevant {p2, p4}; top 1 = p2.
    // p3 and p5 have no relevant gallery product: skipped.
    const run = results.runs[0];
    expect(run.queries).toMatchObject({ total: 3, evaluated: 1, skipped: 2, failed: 0 });
    expect(run.metrics['recall@1']).toBe(0.5);
    expect(run.metrics['precision@1']).toBe(1);
    expect(results.catalog).toMatchObject({ gallery: 2, gallerySplit: 'train' });
  });

  it('image-to-image never returns the query product itself', async () => {
    const { runtime } = fakeRuntime(photos);
    const results = await runRetrievalEval({
      task: 'image-to-image',
      models: ['fake'],
      products,
      catalog: { source: 'catalog.csv' },
      queries: { kind: 'field-image', field: 'baseColour' },
      ks: [1],
      cacheDir: '/cache',
      runtime,
    });
    // p1 -> p2 (identical red photo), p2 -> p1, p4 (green) -> nearest is a tie at 0 among the rest: p1 by id
    // (relevant). Blue and Black have one product each: skipped.
    expect(results.runs[0].queries).toMatchObject({ evaluated: 3, skipped: 2 });
    expect(results.runs[0].metrics['precision@1']).toBe(1);
  });

  it('attribute with a doc mix of image and title embeddings', async () => {
    const { runtime } = fakeRuntime(photos);
    const base = { ...colourQueries(runtime), queries: { kind: 'field-text' as const, field: 'baseColour', prompt: 'a photo of {} clothes' } };
    // Image only: "Red" finds p1, p2 but not p4 (green photo) in the top 3? Scores: p1 = p2 = 1, others 0; the tie at
    // 0 among p3, p4, p5 goes to p3 by id, so recall@3 for Red is 2/3.
    const imageOnly = await runRetrievalEval({ ...base, doc: 'image' });
    expect(imageOnly.runs[0].documents).toBe('image');
    expect(imageOnly.runs[0].metrics['recall@3']).toBeCloseTo((2 / 3 + 1 + 1) / 3, 12);
    // With the title mixed in, p4 ("Red Cap") moves up above p3 and p5.
    const mixed = await runRetrievalEval({ ...base, doc: 'image:0.5,text:0.5' });
    expect(mixed.runs[0].documents).toBe('image:0.50,text:0.50');
    expect(mixed.runs[0].metrics['recall@3']).toBe(1);
  });

  it('--mode: one run per search mode for text queries, keyword and hybrid through the search service', async () => {
    const { runtime } = fakeRuntime(photos);
    const base = { ...colourQueries(runtime), queries: { kind: 'field-text' as const, field: 'baseColour' } };
    const results = await runRetrievalEval({ ...base, modes: ['vector', 'keyword', 'hybrid'] });
    expect(results.runs.map((r) => r.mode)).toEqual(['vector', 'keyword', 'hybrid']);
    // By photo, "Red" misses p4 (a green photo); by words, its title "Red Cap" says red: keyword finds all three.
    expect(results.runs[0].metrics['recall@3']).toBeCloseTo((2 / 3 + 1 + 1) / 3, 12);
    // Keyword: "Blue Jeans" and "Black Shoes" name their colour, and "Red" finds all three red titles.
    expect(results.runs[1].metrics['recall@3']).toBe(1);
    expect(results.runs[2].metrics['recall@3']).toBe(1);
    expect(renderMarkdown(results)).toContain('| metric | colour-model (ffffffff) · vector | colour-model (ffffffff) · keyword | colour-model (ffffffff) · hybrid |');
    // The default measures the model alone.
    expect((await runRetrievalEval(base)).runs.map((r) => r.mode)).toEqual(['vector']);
    await expect(runRetrievalEval({ ...base, doc: 'image:0.5,text:0.5', modes: ['keyword'] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('several models give one run each; bad options are AppErrors', async () => {
    const { runtime } = fakeRuntime(photos);
    const results = await runRetrievalEval({
      task: 'attribute',
      models: ['a', 'b'],
      products,
      catalog: { source: 'c.csv' },
      queries: { kind: 'field-text', field: 'baseColour' },
      cacheDir: '/cache',
      runtime,
    });
    expect(results.runs).toHaveLength(2);
    expect(results.runs[1].index.reused).toBe(true);
    expect(results.ks).toEqual([1, 5, 10]);
    await expect(runRetrievalEval({ ...{ task: 'attribute', products, catalog: { source: 'c' }, queries: { kind: 'field-text', field: 'x' }, cacheDir: '/c', runtime }, models: ['a'] })).rejects.toThrow(/no queries/);
    await expect(runRetrievalEval({ task: 'attribute', models: ['a'], products, catalog: { source: 'c' }, queries: { kind: 'field-text', field: 'baseColour' }, gallerySplit: 'nope', cacheDir: '/c', runtime })).rejects.toThrow(/split "nope"/);
  });
});

describe('runZeroShotEval', () => {
  it('classifies by nearest averaged prompt and reports failures per image', async () => {
    const images: Record<string, string> = { '/imgs/a.png': 'red', '/imgs/b.png': 'blue', '/imgs/c.png': 'green', '/imgs/d.png': 'broken' };
    const { runtime } = fakeRuntime(images);
    const results = await runZeroShotEval({
      models: ['fake'],
      imagesDir: '/imgs',
      labelsFile: 'labels.csv',
      samples: [
        { file: 'a.png', label: 'red' },
        { file: 'b.png', label: 'blue' },
        { file: 'c.png', label: 'red' },
        { file: 'd.png', label: 'blue' },
        { file: 'missing.png', label: 'red' },
      ],
      prompts: ['a photo of a {}', 'a {} product'],
      runtime,
    });
    const run = results.runs[0];
    expect(run.labels).toEqual(['blue', 'red']);
    expect(run.images.failed).toBe(2);
    expect(run.images.failures.map((f) => f.file).sort()).toEqual(['d.png', 'missing.png']);
    // a -> red (right), b -> blue (right), c (green) -> tie at 0 -> blue (lower index): wrong.
    expect(run.confusion).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(run.accuracy).toBeCloseTo(2 / 3, 12);
    expect(run.macroF1).toBeCloseTo((2 / 3 + 2 / 3) / 2, 12);
    expect(results.dataset).toEqual({ images: '/imgs', labels: 'labels.csv', samples: 5, classes: 2 });
  });
});

describe('mapConcurrent', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapConcurrent([30, 10, 20, 0, 5], 2, async (ms, i) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, ms));
      active--;
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:30', '1:10', '2:20', '3:0', '4:5']);
    expect(peak).toBe(2);
    expect(await mapConcurrent([], 4, async () => 1)).toEqual([]);
  });
});
