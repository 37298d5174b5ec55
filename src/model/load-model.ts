// Resolves the configured model (a folder, a Hugging Face id, or nothing = the shipped house model) to a
// loaded Embedder. Hub downloads happen once into a cache folder, file by file, with progress.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { AppError, errorMessage } from '../errors/app-error.js';
import { missingModelFiles, REQUIRED_FILES } from './model-folder.js';
import { OnnxEmbedder } from './onnx.embedder.js';
import type { ImageLimits } from './image-decode.js';

/** The package root: models/house ships beside dist/ and src/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HOUSE_MODEL_DIR = path.join(PACKAGE_ROOT, 'models/house');

export interface LoadModelOptions {
  /** A model folder, a Hugging Face id such as `Xenova/clip-vit-base-patch32`, or undefined for the house model. */
  model?: string;
  /** Where hub downloads are kept. */
  cacheDir?: string;
  /** Hub address (config's hubEndpoint, from the standard HF_ENDPOINT variable); default huggingface.co. */
  hubEndpoint?: string;
  /** Hub token for gated or private models (config's hubToken, from HF_TOKEN). */
  hubToken?: string;
  threads?: number;
  imageLimits?: ImageLimits;
  /** Called with download progress; defaults to silence. */
  onProgress?: (event: DownloadProgress) => void;
}

export interface DownloadProgress {
  file: string;
  loadedBytes: number;
  totalBytes: number | null;
  done: boolean;
}

const HF_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export function defaultCacheDir(): string {
  return path.join(os.homedir(), '.cache', 'vitrine', 'models');
}

async function downloadFile(url: string, dest: string, file: string, options: Pick<LoadModelOptions, 'hubToken' | 'onProgress'>): Promise<void> {
  const { onProgress } = options;
  let response: Response;
  try {
    response = await fetch(url, { headers: options.hubToken ? { authorization: `Bearer ${options.hubToken}` } : {} });
  } catch (e) {
    throw new AppError('MODEL_NOT_FOUND', `could not download ${url}: ${errorMessage(e)} (offline? pass a local model folder with --model)`, { cause: e });
  }
  if (!response.ok || !response.body) {
    throw new AppError('MODEL_NOT_FOUND', `could not download ${url}: HTTP ${response.status}`);
  }
  const total = Number(response.headers.get('content-length')) || null;
  let loaded = 0;
  await mkdir(path.dirname(dest), { recursive: true });
  const partial = `${dest}.partial`;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      loaded += chunk.length;
      onProgress?.({ file, loadedBytes: loaded, totalBytes: total, done: false });
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), counter, createWriteStream(partial));
  } catch (e) {
    await rm(partial, { force: true });
    throw new AppError('MODEL_NOT_FOUND', `download of ${url} broke off: ${errorMessage(e)}`, { cause: e });
  }
  await rename(partial, dest);
  onProgress?.({ file, loadedBytes: loaded, totalBytes: total, done: true });
}

/** Makes sure a hub model's files are in the cache and returns its folder; files already there are kept. */
export async function fetchHubModel(id: string, options: Pick<LoadModelOptions, 'cacheDir' | 'hubEndpoint' | 'hubToken' | 'onProgress'> = {}): Promise<string> {
  const dir = path.join(options.cacheDir ?? defaultCacheDir(), ...id.split('/'));
  const endpoint = (options.hubEndpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
  for (const file of await missingModelFiles(dir)) {
    await downloadFile(`${endpoint}/${id}/resolve/main/${file}`, path.join(dir, file), file, options);
  }
  return dir;
}

export async function resolveModelDir(options: LoadModelOptions): Promise<{ dir: string; id: string }> {
  const model = options.model;
  if (model === undefined || model === '' || model === 'house') {
    if (!(await isDirectory(HOUSE_MODEL_DIR))) {
      throw new AppError('MODEL_NOT_FOUND', `the house model is not installed at ${HOUSE_MODEL_DIR}; pass --model <folder or Hugging Face id>`);
    }
    return { dir: HOUSE_MODEL_DIR, id: 'vitrine/house' };
  }
  if (await isDirectory(model)) return { dir: path.resolve(model), id: model };
  if (HF_ID.test(model) && !model.startsWith('.')) {
    return { dir: await fetchHubModel(model, options), id: model };
  }
  throw new AppError('MODEL_NOT_FOUND', `model ${model} is neither a folder nor a Hugging Face id (owner/name); expected files: ${REQUIRED_FILES.join(', ')}`);
}

export async function loadEmbedder(options: LoadModelOptions = {}): Promise<OnnxEmbedder> {
  const { dir, id } = await resolveModelDir(options);
  return OnnxEmbedder.load({ dir, id, threads: options.threads, imageLimits: options.imageLimits });
}
