// Zero-shot classification eval: each image of a labelled folder goes to the class whose prompt embedding (averaged
// over the prompt templates) is nearest. Uses the same model runtime as search; no index is involved.
import path from 'node:path';
import { AppError, errorMessage } from '../errors/app-error.js';
import type { Embedder } from '../model/embedder.js';
import type { EvalRuntime } from './eval-runtime.js';
import { silentProgress, type ProgressReporter } from './progress.js';
import type { ZeroShotResults, ZeroShotRun } from './results.js';
import { classEmbeddings, classificationReport, nearestClass, promptTexts } from './zero-shot.js';

export const DEFAULT_ZERO_SHOT_PROMPT = 'a photo of a {}';

export interface ZeroShotEvalOptions {
  models: string[];
  /** Folder the `file` column is relative to. */
  imagesDir: string;
  labelsFile: string;
  /** Rows of the labels file. */
  samples: { file: string; label: string }[];
  /** Prompt templates with `{}` for the label; several are averaged. */
  prompts?: string[];
  batchSize?: number;
  recordedOptions?: Record<string, unknown>;
  runtime: EvalRuntime;
  progress?: ProgressReporter;
  now?: () => number;
}

/** Embeds images in batches; a batch that fails is retried image by image so one bad file costs only itself. */
async function embedImages(embedder: Embedder, runtime: EvalRuntime, refs: string[], batchSize: number, onProgress: (done: number) => void) {
  const vectors: (Float32Array | undefined)[] = new Array(refs.length);
  const failures: { index: number; reason: string }[] = [];
  for (let start = 0; start < refs.length; start += batchSize) {
    const indices = refs.slice(start, start + batchSize).map((_, i) => start + i);
    const bytes: (Uint8Array | undefined)[] = [];
    for (const i of indices) {
      try {
        bytes.push(await runtime.readImage(refs[i]));
      } catch (e) {
        bytes.push(undefined);
        failures.push({ index: i, reason: errorMessage(e) });
      }
    }
    const readable = indices.filter((_, j) => bytes[j] !== undefined);
    const readableBytes = bytes.filter((b): b is Uint8Array => b !== undefined);
    try {
      const out = await embedder.encodeImages(readableBytes);
      readable.forEach((i, j) => (vectors[i] = out[j]));
    } catch {
      for (let j = 0; j < readable.length; j++) {
        try {
          [vectors[readable[j]]] = await embedder.encodeImages([readableBytes[j]]);
        } catch (e) {
          failures.push({ index: readable[j], reason: errorMessage(e) });
        }
      }
    }
    onProgress(Math.min(refs.length, start + batchSize));
  }
  return { vectors, failures };
}

async function runOneModel(model: string, options: ZeroShotEvalOptions, labels: string[], prompts: string[]): Promise<ZeroShotRun> {
  const progress = options.progress ?? silentProgress;
  const now = options.now ?? Date.now;
  const started = now();
  const timingsMs: Record<string, number> = {};
  progress.log(`model ${model}: loading`);
  const embedder = await options.runtime.loadEmbedder(model);
  timingsMs.loadModel = now() - started;
  try {
    const promptsStarted = now();
    const { vectors: promptVectors } = await embedder.encodeTexts(promptTexts(labels, prompts));
    const classes = classEmbeddings(labels.length, prompts.length, promptVectors);
    timingsMs.prompts = now() - promptsStarted;
    const imagesStarted = now();
    const refs = options.samples.map((s) => path.resolve(options.imagesDir, s.file));
    const task = progress.start(`classifying images (${model})`, refs.length);
    const { vectors, failures } = await embedImages(embedder, options.runtime, refs, options.batchSize ?? 32, (done) => task.update(done));
    task.stop();
    timingsMs.images = now() - imagesStarted;
    const labelIndex = new Map(labels.map((l, i) => [l, i]));
    const truth: number[] = [];
    const embedded: Float32Array[] = [];
    vectors.forEach((v, i) => {
      if (!v) return;
      truth.push(labelIndex.get(options.samples[i].label) as number);
      embedded.push(v);
    });
    const report = classificationReport(labels, truth, nearestClass(embedded, classes));
    timingsMs.total = now() - started;
    return {
      model: { id: embedder.manifest.id, hash: embedder.manifest.hash, dimension: embedder.manifest.dimension },
      images: {
        total: refs.length,
        failed: failures.length,
        failures: failures.map((f) => ({ file: options.samples[f.index].file, reason: f.reason })),
      },
      prompts,
      accuracy: report.accuracy,
      macroF1: report.macroF1,
      labels: report.labels,
      confusion: report.confusion,
      perClass: report.perClass,
      timingsMs,
    };
  } finally {
    await embedder.close();
  }
}

export async function runZeroShotEval(options: ZeroShotEvalOptions): Promise<ZeroShotResults> {
  if (options.models.length === 0) throw new AppError('BAD_REQUEST', 'give at least one --model');
  if (options.samples.length === 0) throw new AppError('BAD_REQUEST', `${options.labelsFile} lists no images`);
  const labels = [...new Set(options.samples.map((s) => s.label))].sort();
  const prompts = options.prompts && options.prompts.length > 0 ? options.prompts : [DEFAULT_ZERO_SHOT_PROMPT];
  const progress = options.progress ?? silentProgress;
  progress.log(`zero-shot: ${options.samples.length} images, ${labels.length} classes, ${prompts.length} prompt template(s)`);
  const runs: ZeroShotRun[] = [];
  for (const model of options.models) runs.push(await runOneModel(model, options, labels, prompts));
  return {
    tool: 'vitrine eval',
    schemaVersion: 1,
    createdAt: new Date((options.now ?? Date.now)()).toISOString(),
    options: options.recordedOptions ?? {},
    task: 'zero-shot',
    dataset: { images: options.imagesDir, labels: options.labelsFile, samples: options.samples.length, classes: labels.length },
    runs,
  };
}
