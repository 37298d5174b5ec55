// CI smoke test of training/: train a few steps on a small slice of the shared catalog, fine-tune the export on
// a JSONL catalog, train a pretrained-MobileNetV2 model with the optional recipe parts, then load the three
// exported folders through Vitrine's own runtime and compare with PyTorch.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, readGolden } from '../support/golden.js';
import { OnnxEmbedder } from '../../src/model/onnx.embedder.js';
import { l2Normalize, norm } from '../../src/domain/vector-math.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

async function torchAvailable(): Promise<boolean> {
  try {
    await run(PYTHON, ['-c', 'import torch, torchvision, PIL, numpy']);
    return true;
  } catch {
    return false;
  }
}

const hasShared = existsSync(path.resolve(ROOT, '../shared/data/fashion-products/catalog.csv'));
const hasTorch = await torchAvailable();
if (!hasTorch || !hasShared) {
  console.warn(`\n*** SKIPPING the training smoke test: ${!hasTorch ? `${PYTHON} cannot import torch (apt-get install python3-torch python3-torchvision python3-pil python3-numpy)` : '../shared is missing'} ***\n`);
}

describe.skipIf(!hasTorch || !hasShared)('training smoke test', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-train-'));
    await run('bash', [path.join(ROOT, 'training/smoke_test.sh'), work], { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
  }, 900_000);
  afterAll(async () => rm(work, { recursive: true, force: true }));

  it.each(['base-model', 'finetuned-model', 'mobilenet-model'])('the %s export loads in the runtime and matches PyTorch', async (name) => {
    const dir = path.join(work, name);
    const golden = await readGolden(dir);
    const embedder = await OnnxEmbedder.load({ dir, threads: 1 });
    try {
      const { vectors } = await embedder.encodeTexts(golden.texts.map((t) => t.text));
      expect(embedder.tokenize(golden.texts.map((t) => t.text)).ids).toEqual(golden.texts.map((t) => t.input_ids));
      vectors.forEach((v, i) => {
        expect(norm(v)).toBeCloseTo(1, 5);
        expect(maxAbsDiff(v, l2Normalize(golden.texts[i].text_embeds))).toBeLessThan(1e-4);
      });
      const crop = golden.images[0].pixel_values_shape;
      const pixels = golden.images.map((img) => ({ data: Float32Array.from(img.pixel_values), height: crop[2], width: crop[3] }));
      const imageVectors = await embedder.encodePixels(pixels);
      imageVectors.forEach((v, i) => {
        expect(norm(v)).toBeCloseTo(1, 5);
        expect(maxAbsDiff(v, l2Normalize(golden.images[i].image_embeds))).toBeLessThan(1e-4);
      });
    } finally {
      await embedder.close();
    }
  });
});
