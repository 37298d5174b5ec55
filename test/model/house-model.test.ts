// The shipped house model (models/house) is Vitrine's default: it loads through the same runtime, and its
// outputs match the PyTorch numbers recorded at export (golden.json) within a tolerance.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, readGolden, type Golden } from '../support/golden.js';
import { OnnxEmbedder } from '../../src/model/onnx.embedder.js';
import { HOUSE_MODEL_DIR, loadEmbedder } from '../../src/model/load-model.js';
import { l2Normalize, norm } from '../../src/domain/vector-math.js';

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
