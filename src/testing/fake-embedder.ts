// A deterministic stand-in for the model, for the services' unit tests (no ONNX Runtime): a text or a photo whose
// bytes spell words embeds onto those words' axes, so "red shirt" is nearest to a photo whose bytes say "red
// shirt". Photo bytes starting with "broken" are not decodable. It counts its calls so tests can see batching.
import { AppError } from '../errors/app-error.js';
import type { ModelCalibration } from '../domain/calibration.js';
import type { ModelManifest } from '../domain/manifest.js';
import { l2Normalize } from '../domain/vector-math.js';
import type { Embedder, PixelValues, TextEncoding } from '../model/embedder.js';

export interface FakeEmbedderOptions {
  dimension?: number;
  /** Stands for the model's files: two fakes with different hashes are different models. */
  hash?: string;
  /** Texts longer than this are cut (and reported truncated), like a model's context length. */
  contextChars?: number;
  /** A score calibration, as a Vitrine-trained model declares one (absent: similarity is the cosine). */
  calibration?: ModelCalibration;
}

/** One axis per word (by a small string hash), summed and normalised. */
export function wordVector(text: string, dimension: number): Float32Array {
  const v = new Float32Array(dimension);
  for (const word of text.toLowerCase().split(/\W+/).filter(Boolean)) {
    let h = 7;
    for (const c of word) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    v[h % dimension] += 1;
  }
  return l2Normalize(v);
}

export class FakeEmbedder implements Embedder {
  readonly manifest: ModelManifest;
  readonly calls = { encodeTexts: 0, preprocessImage: 0, encodePixels: 0 };
  /** Sizes of the encodePixels batches, in order. */
  readonly pixelBatches: number[] = [];
  /** Makes the next encodePixels call throw (a model failure). */
  failNextEncode = false;
  private readonly contextChars: number;

  constructor(options: FakeEmbedderOptions = {}) {
    const dimension = options.dimension ?? 32;
    this.manifest = {
      id: 'fake-model',
      hash: options.hash ?? 'f'.repeat(64),
      dimension,
      preprocessing: {},
      contextLength: 77,
      ...(options.calibration ? { calibration: options.calibration } : {}),
    };
    this.contextChars = options.contextChars ?? 200;
  }

  async encodeTexts(texts: string[]): Promise<TextEncoding> {
    this.calls.encodeTexts++;
    const truncated = texts.flatMap((t, i) => (t.length > this.contextChars ? [i] : []));
    return { vectors: texts.map((t) => wordVector(t.slice(0, this.contextChars), this.manifest.dimension)), truncated };
  }

  async preprocessImage(bytes: Uint8Array): Promise<PixelValues> {
    this.calls.preprocessImage++;
    const text = Buffer.from(bytes).toString('utf8');
    if (text.startsWith('broken')) throw new AppError('INVALID_IMAGE', 'not a decodable image');
    return { data: wordVector(text, this.manifest.dimension), height: 1, width: this.manifest.dimension };
  }

  async encodePixels(pixels: PixelValues[]): Promise<Float32Array[]> {
    this.calls.encodePixels++;
    this.pixelBatches.push(pixels.length);
    if (this.failNextEncode) {
      this.failNextEncode = false;
      throw new Error('the model ran out of memory');
    }
    return pixels.map((p) => l2Normalize(p.data));
  }

  async encodeImages(images: Uint8Array[]): Promise<Float32Array[]> {
    return this.encodePixels(await Promise.all(images.map((b) => this.preprocessImage(b))));
  }

  async close(): Promise<void> {
    // Nothing to release.
  }
}
