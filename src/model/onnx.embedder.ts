// The Embedder on ONNX Runtime (CPU) with the model folder's own tokenizer.json and preprocessor config:
// one implementation for the house model and for standard Hugging Face CLIP/SigLIP ONNX exports.
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import { AppError, errorMessage } from '../errors/app-error.js';
import { l2Normalize } from '../domain/vector-math.js';
import type { Embedder, ModelManifest, PixelValues, TextEncoding } from './embedder.js';
import { hashModelFolder, readCalibration, readModelFolder, type ModelFolder } from './model-folder.js';
import { planPreprocessing, type PreprocessPlan } from './preprocess.js';
import { decodeForModel, DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-decode.js';

export interface OnnxEmbedderOptions {
  /** The model folder. */
  dir: string;
  /** Name recorded in manifests (defaults to the folder path). */
  id?: string;
  /** ONNX Runtime intra-op threads; defaults to the machine's cores. */
  threads?: number;
  /** Let idle pool threads spin-wait for work (ONNX Runtime's default); off unless a bench compares. */
  spinning?: boolean;
  /** Largest batch sent to one session run. */
  maxBatch?: number;
  imageLimits?: ImageLimits;
}

type Padding = 'longest' | 'max_length';

function tokenName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

function contextLengthOf(folder: ModelFolder): number {
  const fromTokenizer = folder.tokenizerConfig.model_max_length;
  if (typeof fromTokenizer === 'number' && fromTokenizer > 0 && fromTokenizer < 100_000) return fromTokenizer;
  const textConfig = folder.config.text_config as Record<string, unknown> | undefined;
  const fromConfig = textConfig?.max_position_embeddings;
  if (typeof fromConfig === 'number' && fromConfig > 0) return fromConfig;
  return 77;
}

function pickOutput(outputs: ort.InferenceSession.OnnxValueMapType, preferred: string): ort.Tensor {
  const tensor = (outputs[preferred] ?? outputs.pooler_output ?? Object.values(outputs)[0]) as ort.Tensor | undefined;
  if (!tensor || tensor.dims.length !== 2) {
    throw new AppError('MODEL_NOT_FOUND', `model output ${preferred} must be a [batch, dim] tensor`);
  }
  return tensor;
}

function rows(tensor: ort.Tensor): Float32Array[] {
  const [batch, dim] = tensor.dims as [number, number];
  const data = tensor.data as Float32Array;
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) out.push(l2Normalize(data.subarray(b * dim, (b + 1) * dim)));
  return out;
}

export class OnnxEmbedder implements Embedder {
  manifest!: ModelManifest;
  private readonly maxBatch: number;
  private readonly imageLimits: ImageLimits;
  private readonly padding: Padding;
  private readonly padId: number;
  private readonly plan: PreprocessPlan;
  private readonly contextLength: number;

  private constructor(
    private readonly folder: ModelFolder,
    private readonly tokenizer: Tokenizer,
    private readonly textSession: ort.InferenceSession,
    private readonly visionSession: ort.InferenceSession,
    options: OnnxEmbedderOptions,
  ) {
    this.maxBatch = options.maxBatch ?? 64;
    this.imageLimits = options.imageLimits ?? DEFAULT_IMAGE_LIMITS;
    this.plan = planPreprocessing(folder.preprocessorConfig);
    this.contextLength = contextLengthOf(folder);
    const vitrine = (folder.config.vitrine ?? {}) as Record<string, unknown>;
    // SigLIP was trained on text padded to the full context; CLIP pools at the end-of-text token and pads to the longest.
    this.padding = vitrine.padding === 'max_length' || folder.config.model_type === 'siglip' ? 'max_length' : 'longest';
    const padToken = tokenName(folder.tokenizerConfig.pad_token) ?? tokenName(folder.tokenizerConfig.eos_token);
    this.padId = (padToken !== undefined ? tokenizer.token_to_id(padToken) : undefined) ?? 0;
  }

  /** Loads and checks a model folder; the vector dimension is read from a probe run of both towers. */
  static async load(options: OnnxEmbedderOptions): Promise<OnnxEmbedder> {
    const folder = await readModelFolder(options.dir);
    const calibration = readCalibration(folder.config);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig);
    } catch (e) {
      throw new AppError('MODEL_NOT_FOUND', `tokenizer.json in ${folder.dir} could not be loaded: ${errorMessage(e)}`, { cause: e });
    }
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: options.threads ?? Math.max(1, os.availableParallelism()),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
      // Pool threads that spin between runs burn the cores the rest of a query server needs (issue 11: 272 of 482
      // server CPU-seconds for about 10 s of encoding); without spinning they sleep until the next run.
      extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' }, inter_op: { allow_spinning: options.spinning ? '1' : '0' } } },
    };
    let textSession: ort.InferenceSession;
    let visionSession: ort.InferenceSession;
    try {
      textSession = await ort.InferenceSession.create(folder.textModelPath, sessionOptions);
      visionSession = await ort.InferenceSession.create(folder.visionModelPath, sessionOptions);
    } catch (e) {
      throw new AppError('MODEL_NOT_FOUND', `ONNX model in ${folder.dir} could not be loaded: ${errorMessage(e)}`, { cause: e });
    }
    const embedder = new OnnxEmbedder(folder, tokenizer, textSession, visionSession, options);
    const textDim = (await embedder.encodeTexts(['a photo'])).vectors[0].length;
    const probe = embedder.blankPixels();
    const imageDim = (await embedder.encodePixels([probe]))[0].length;
    if (textDim !== imageDim) {
      throw new AppError('MODEL_NOT_FOUND', `text and image towers disagree: ${textDim} vs ${imageDim} dimensions`);
    }
    embedder.manifest = {
      id: options.id ?? folder.dir,
      hash: await hashModelFolder(folder.dir),
      dimension: textDim,
      preprocessing: folder.preprocessorConfig,
      contextLength: embedder.contextLength,
      ...(calibration ? { calibration } : {}),
    };
    return embedder;
  }

  private blankPixels(): PixelValues {
    const size = this.plan.crop ?? (this.plan.resize.kind === 'exact' ? this.plan.resize : { width: 224, height: 224 });
    return { data: new Float32Array(3 * size.width * size.height), width: size.width, height: size.height };
  }

  /** Token ids per text, cut CLIP-style to the context length with the end token kept last. */
  tokenize(texts: string[]): { ids: number[][]; truncated: number[] } {
    const truncated: number[] = [];
    const ids = texts.map((text, i) => {
      const encoded = this.tokenizer.encode(text).ids;
      if (encoded.length <= this.contextLength) return encoded;
      truncated.push(i);
      return [...encoded.slice(0, this.contextLength - 1), encoded[encoded.length - 1]];
    });
    return { ids, truncated };
  }

  async encodeTexts(texts: string[]): Promise<TextEncoding> {
    const { ids, truncated } = this.tokenize(texts);
    const vectors: Float32Array[] = [];
    for (let start = 0; start < ids.length; start += this.maxBatch) {
      vectors.push(...(await this.runText(ids.slice(start, start + this.maxBatch))));
    }
    return { vectors, truncated };
  }

  private async runText(batch: number[][]): Promise<Float32Array[]> {
    if (batch.length === 0) return [];
    const length = this.padding === 'max_length' ? this.contextLength : Math.max(...batch.map((b) => b.length));
    const inputIds = new BigInt64Array(batch.length * length).fill(BigInt(this.padId));
    const mask = new BigInt64Array(batch.length * length);
    batch.forEach((seq, b) => {
      seq.forEach((id, t) => {
        inputIds[b * length + t] = BigInt(id);
        mask[b * length + t] = 1n;
      });
    });
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', inputIds, [batch.length, length]) };
    if (this.textSession.inputNames.includes('attention_mask')) {
      feeds.attention_mask = new ort.Tensor('int64', mask, [batch.length, length]);
    }
    const outputs = await this.textSession.run(feeds);
    return rows(pickOutput(outputs, 'text_embeds'));
  }

  preprocessImage(bytes: Uint8Array): Promise<PixelValues> {
    return decodeForModel(bytes, this.plan, this.imageLimits);
  }

  async encodePixels(pixels: PixelValues[]): Promise<Float32Array[]> {
    const out: Float32Array[] = new Array(pixels.length);
    // Without a fixed crop, sizes differ between images: batch those of equal size together.
    const groups = new Map<string, number[]>();
    pixels.forEach((p, i) => {
      const key = `${p.width}x${p.height}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    for (const indices of groups.values()) {
      for (let start = 0; start < indices.length; start += this.maxBatch) {
        const chunk = indices.slice(start, start + this.maxBatch);
        const { width, height } = pixels[chunk[0]];
        const plane = 3 * width * height;
        const data = new Float32Array(chunk.length * plane);
        chunk.forEach((idx, b) => data.set(pixels[idx].data, b * plane));
        const outputs = await this.visionSession.run({ pixel_values: new ort.Tensor('float32', data, [chunk.length, 3, height, width]) });
        rows(pickOutput(outputs, 'image_embeds')).forEach((v, b) => (out[chunk[b]] = v));
      }
    }
    return out;
  }

  async encodeImages(images: Uint8Array[]): Promise<Float32Array[]> {
    const pixels = await Promise.all(images.map((b) => this.preprocessImage(b)));
    return this.encodePixels(pixels);
  }

  async close(): Promise<void> {
    await this.textSession.release();
    await this.visionSession.release();
  }
}
