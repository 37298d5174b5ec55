// Golden test: Vitrine's runtime (ONNX Runtime + tokenizer.json + preprocessing from config) against the
// numbers PyTorch produced when the tiny fixture model was exported (training/make_tiny_fixture.py).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, readGolden, type Golden } from '../support/golden.js';
import { OnnxEmbedder } from '../../src/model/onnx.embedder.js';
import { l2Normalize, norm } from '../../src/domain/vector-math.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const TINY_MODEL = path.join(ROOT, 'test/fixtures/tiny-clip');

describe('OnnxEmbedder on the tiny CLIP fixture', () => {
  let embedder: OnnxEmbedder;
  let golden: Golden;
  beforeAll(async () => {
    golden = await readGolden(TINY_MODEL);
    embedder = await OnnxEmbedder.load({ dir: TINY_MODEL, threads: 1 });
  });
  afterAll(async () => embedder.close());

  it('reads dimension, context length and a stable hash from the folder', async () => {
    expect(embedder.manifest.dimension).toBe(golden.dim);
    expect(embedder.manifest.contextLength).toBe(77);
    expect(embedder.manifest.hash).toMatch(/^[0-9a-f]{64}$/);
    const again = await OnnxEmbedder.load({ dir: TINY_MODEL, threads: 1 });
    expect(again.manifest.hash).toBe(embedder.manifest.hash);
    await again.close();
  });

  it('tokenizes exactly like the reference CLIP tokenizer, truncating long text with the end token kept', () => {
    const { ids, truncated } = embedder.tokenize(golden.texts.map((t) => t.text));
    ids.forEach((got, i) => expect(got).toEqual(golden.texts[i].input_ids));
    const longIndex = golden.texts.findIndex((t) => t.input_ids.length === 77);
    expect(longIndex).toBeGreaterThanOrEqual(0);
    expect(truncated).toContain(longIndex);
  });

  it('encodes a padded batch of texts to the golden unit vectors', async () => {
    const { vectors } = await embedder.encodeTexts(golden.texts.map((t) => t.text));
    vectors.forEach((v, i) => {
      expect(norm(v)).toBeCloseTo(1, 5);
      expect(maxAbsDiff(v, l2Normalize(golden.texts[i].text_embeds))).toBeLessThan(1e-4);
    });
  });

  it('preprocesses images from the config and encodes them to the golden vectors', async () => {
    for (const img of golden.images) {
      const bytes = await readFile(path.join(ROOT, img.file));
      const pixels = await embedder.preprocessImage(bytes);
      // Exact-size images skip the resize: pixels must match to float precision. Resized ones use sharp's
      // cubic kernel where PyTorch used PIL's bicubic, so they agree only approximately.
      expect(maxAbsDiff(pixels.data, img.pixel_values)).toBeLessThan(img.resized ? 0.06 : 1e-5);
      const [vector] = await embedder.encodePixels([pixels]);
      expect(norm(vector)).toBeCloseTo(1, 5);
      expect(maxAbsDiff(vector, l2Normalize(img.image_embeds))).toBeLessThan(img.resized ? 2e-3 : 1e-4);
    }
  });

  it('gives the same vectors batched and one by one', async () => {
    const files = await Promise.all(golden.images.map((i) => readFile(path.join(ROOT, i.file))));
    const batched = await embedder.encodeImages(files);
    for (let i = 0; i < files.length; i++) {
      const [single] = await embedder.encodeImages([files[i]]);
      expect(maxAbsDiff(single, batched[i])).toBeLessThan(1e-5);
    }
  });

  it('rejects corrupt, empty and oversized images with clear errors', async () => {
    await expect(embedder.preprocessImage(Buffer.from('definitely not an image'))).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
    await expect(embedder.preprocessImage(new Uint8Array())).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
    const good = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#336699' } }).png().toBuffer();
    await expect(embedder.preprocessImage(good.subarray(0, good.length - 20))).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
    const small = await OnnxEmbedder.load({ dir: TINY_MODEL, threads: 1, imageLimits: { maxBytes: 1e6, maxPixels: 1000 } });
    await expect(small.preprocessImage(good)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await small.close();
  });

  it('handles greyscale and transparent images as RGB', async () => {
    const grey = await sharp({ create: { width: 50, height: 60, channels: 3, background: '#808080' } }).greyscale().jpeg().toBuffer();
    const rgba = await sharp({ create: { width: 50, height: 60, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const [g, t] = await embedder.encodeImages([grey, rgba]);
    expect(norm(g)).toBeCloseTo(1, 5);
    expect(norm(t)).toBeCloseTo(1, 5);
  });
});
