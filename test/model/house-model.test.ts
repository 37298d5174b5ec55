// The shipped house model (models/house) is Vitrine's default: it loads through the same runtime, and its
// outputs match the PyTorch numbers recorded at export (golden.json) within a tolerance.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, readGolden, type Golden } from '../support/golden.js';
import { OnnxEmbedder } from '../../src/model/onnx.embedder.js';
import { HOUSE_MODEL_DIR, loadEmbedder } from '../../src/model/load-model.js';
import { dot, l2Normalize, norm } from '../../src/domain/vector-math.js';
import { calibratedSimilarity } from '../../src/domain/calibration.js';
import { applyTransform } from '../../src/eval/photo-transforms.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the house model', () => {
  let embedder: OnnxEmbedder;
  let golden: Golden;
  beforeAll(async () => {
    golden = await readGolden(HOUSE_MODEL_DIR);
    embedder = await loadEmbedder({ threads: 1 });
  });
  afterAll(async () => embedder.close());

  it('is the default model and its folder stays within the 40 MB budget', async () => {
    expect(embedder.manifest.id).toBe('vitrine/house');
    expect(embedder.manifest.dimension).toBe(golden.dim);
    expect(embedder.manifest.contextLength).toBe(golden.context_length);
    const { execFileSync } = await import('node:child_process');
    const kib = Number(execFileSync('du', ['-sk', HOUSE_MODEL_DIR]).toString().split('\t')[0]);
    expect(kib).toBeLessThan(40 * 1024);
  });

  it('tokenizes and encodes texts as PyTorch did', async () => {
    const texts = golden.texts.map((t) => t.text);
    expect(embedder.tokenize(texts).ids).toEqual(golden.texts.map((t) => t.input_ids));
    const { vectors, truncated } = await embedder.encodeTexts(texts);
    expect(truncated).toContain(golden.texts.length - 1);
    for (const i of truncated) expect(golden.texts[i].input_ids).toHaveLength(golden.context_length);
    vectors.forEach((v, i) => {
      expect(norm(v)).toBeCloseTo(1, 5);
      expect(maxAbsDiff(v, l2Normalize(golden.texts[i].text_embeds))).toBeLessThan(1e-4);
    });
  });

  it('preprocesses and encodes images as PyTorch did', async () => {
    for (const img of golden.images) {
      const pixels = await embedder.preprocessImage(await readFile(path.join(ROOT, img.file)));
      // Exact-size images must match to float precision; resized ones differ by sharp's cubic vs PIL's bicubic.
      expect(maxAbsDiff(pixels.data, img.pixel_values)).toBeLessThan(img.resized ? 0.25 : 1e-5);
      const [v] = await embedder.encodePixels([pixels]);
      expect(norm(v)).toBeCloseTo(1, 5);
      const cosine = v.reduce((s, x, i) => s + x * l2Normalize(img.image_embeds)[i], 0);
      if (img.resized) expect(cosine).toBeGreaterThan(0.99);
      else expect(maxAbsDiff(v, l2Normalize(img.image_embeds))).toBeLessThan(1e-4);
    }
  });
});

// Calibrated similarity (DECISIONS.md: `minScore` applies to it) with the documented default threshold of the
// house model card: junk texts and photos of nothing fall under it, real matches stay above. The gallery is a
// seeded sample of the shared catalog's photos (never copied anywhere).
const SHARED_CATALOG = path.resolve(ROOT, '../shared/data/fashion-products');
const hasShared = existsSync(path.join(SHARED_CATALOG, 'catalog.csv'));
if (!hasShared) console.warn('\n*** SKIPPING the house model threshold test: ../shared/data/fashion-products is missing ***\n');

/** The threshold the model card recommends for `minScore` (calibrated similarity units). */
const DOCUMENTED_MIN_SCORE = 0.5;

describe.skipIf(!hasShared)('the house model: calibrated similarity and the documented threshold', () => {
  let embedder: OnnxEmbedder;
  let gallery: Float32Array[];
  let photos: Buffer[];
  beforeAll(async () => {
    embedder = await loadEmbedder({ threads: 1 });
    const rows = (await readFile(path.join(SHARED_CATALOG, 'catalog.csv'), 'utf8')).trim().split('\n').slice(1);
    const ids = rows.map((r) => r.split(',')[0]).filter((_, i) => i % 20 === 0); // every 20th product: 2,223 photos
    photos = await Promise.all(ids.map((id) => readFile(path.join(SHARED_CATALOG, 'images', `${id}.jpg`))));
    gallery = [];
    for (let i = 0; i < photos.length; i += 64) gallery.push(...(await embedder.encodeImages(photos.slice(i, i + 64))));
  }, 600_000);
  afterAll(async () => embedder?.close());

  const best = (query: Float32Array) => Math.max(...gallery.map((g) => dot(g, query)));

  it('declares a text and an image calibration', () => {
    expect(embedder.manifest.calibration?.text?.scale).toBeGreaterThan(0);
    expect(embedder.manifest.calibration?.image?.scale).toBeGreaterThan(0);
  });

  it('most junk texts score under the documented threshold, every real shopper query above it', async () => {
    // None of these junk words is among training's or calibration's junk (RESERVED_JUNK_WORDS in training/vitrine_train/textaug.py).
    const junk = ['asdfghjkl', 'qwerty uiop zxcv', 'lorem ipsum dolor sit amet', 'quantum chromodynamics', 'banana bread', '7391 8265', 'weather in oslo tomorrow', 'how to fix a leaking tap'];
    const real = ['red dress', 'men navy blue shirt', 'black sports shoes', 'women handbag', 'blue jeans', 'white tshirt', 'sneakers', 'sunglasses', 'kurti', 'watch'];
    const cal = embedder.manifest.calibration?.text;
    const score = async (texts: string[]) => (await embedder.encodeTexts(texts)).vectors.map((v) => calibratedSimilarity(best(v), cal));
    const junkScores = await score(junk);
    const realScores = await score(real);
    // The model card documents a soft filter: on val, 0.5 holds back 67% of held-out junk texts and keeps 96% of
    // real queries' best hits. House v2.2 lets some junk through ("asdfghjkl" 0.63, "banana bread" 0.70), so this
    // checks that most held-out junk is held back and that no real query is lost.
    const heldBack = junkScores.filter((s) => s < DOCUMENTED_MIN_SCORE).length;
    expect(heldBack, `junk held back: ${junkScores.map((s, i) => `${junk[i]} ${s.toFixed(2)}`).join(', ')}`).toBeGreaterThanOrEqual(5);
    realScores.forEach((s, i) => expect(s, real[i]).toBeGreaterThanOrEqual(DOCUMENTED_MIN_SCORE));
    expect(Math.min(...realScores)).toBeGreaterThan(Math.min(...junkScores));
  });

  it('photos of nothing (plain walls and floors) score under it, shopper-like photos of catalog products above it', async () => {
    const cal = embedder.manifest.calibration?.image;
    const empty = await Promise.all(
      ['#c8b496', '#5a6270', '#f2f2f2', '#7a4a2a'].map((background, i) =>
        sharp({ create: { width: 320, height: 240, channels: 3, background } })
          .composite([{ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240"><rect x="0" y="${60 + i * 30}" width="320" height="4" fill="#000" opacity="0.2"/></svg>`) }])
          .jpeg()
          .toBuffer(),
      ),
    );
    const emptyScores = (await embedder.encodeImages(empty)).map((v) => calibratedSimilarity(best(v), cal));
    emptyScores.forEach((s) => expect(s).toBeLessThan(DOCUMENTED_MIN_SCORE));
    const shopperLike = await Promise.all(photos.slice(0, 40).map((p, i) => applyTransform(p, i % 2 ? 'gamma' : 'vignette', { seed: 0, key: String(i) })));
    const realScores = (await embedder.encodeImages(shopperLike)).map((v) => calibratedSimilarity(best(v), cal));
    expect(realScores.filter((s) => s >= DOCUMENTED_MIN_SCORE).length).toBeGreaterThanOrEqual(36);
  });
});
