// A model is a folder in the Hugging Face CLIP ONNX layout that transformers.js uses. This module finds,
// validates and fingerprints one, so that errors name the missing file instead of failing deep in a library.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelCalibration, ScoreCalibration } from '../domain/calibration.js';
import { AppError } from '../errors/app-error.js';

export const REQUIRED_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'preprocessor_config.json',
  'onnx/text_model.onnx',
  'onnx/vision_model.onnx',
] as const;

export interface ModelFolder {
  dir: string;
  config: Record<string, unknown>;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  preprocessorConfig: Record<string, unknown>;
  textModelPath: string;
  visionModelPath: string;
}

async function readJson(dir: string, file: string): Promise<Record<string, unknown>> {
  const full = path.join(dir, file);
  try {
    return JSON.parse(await readFile(full, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new AppError('MODEL_NOT_FOUND', `model file ${full} is not valid JSON`, { cause: e });
  }
}

export async function missingModelFiles(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const f of REQUIRED_FILES) {
    try {
      if (!(await stat(path.join(dir, f))).isFile()) missing.push(f);
    } catch {
      missing.push(f);
    }
  }
  return missing;
}

export async function readModelFolder(dir: string): Promise<ModelFolder> {
  const abs = path.resolve(dir);
  const missing = await missingModelFiles(abs);
  if (missing.length > 0) {
    throw new AppError(
      'MODEL_NOT_FOUND',
      `${abs} is not a model folder: missing ${missing.join(', ')} (expected the Hugging Face CLIP ONNX layout: ${REQUIRED_FILES.join(', ')})`,
    );
  }
  return {
    dir: abs,
    config: await readJson(abs, 'config.json'),
    tokenizerJson: await readJson(abs, 'tokenizer.json'),
    tokenizerConfig: await readJson(abs, 'tokenizer_config.json'),
    preprocessorConfig: await readJson(abs, 'preprocessor_config.json'),
    textModelPath: path.join(abs, 'onnx/text_model.onnx'),
    visionModelPath: path.join(abs, 'onnx/vision_model.onnx'),
  };
}

/** SHA-256 over every required file (name and bytes), streamed: the model's identity for index manifests. */
export async function hashModelFolder(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const f of REQUIRED_FILES) {
    hash.update(`${f}\0`);
    for await (const chunk of createReadStream(path.join(dir, f))) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

function scoreCalibration(value: unknown, where: string): ScoreCalibration | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v !== 'object' || typeof v.scale !== 'number' || typeof v.bias !== 'number' || !Number.isFinite(v.scale) || !Number.isFinite(v.bias) || v.scale <= 0) {
    throw new AppError('MODEL_NOT_FOUND', `config.json: ${where} must be {"scale": <number > 0>, "bias": <number>}, got ${JSON.stringify(value)}`);
  }
  return { scale: v.scale, bias: v.bias };
}

/**
 * The score calibration a Vitrine-trained model declares in config.json (`vitrine.calibration.text` / `.image`,
 * each {scale, bias}); undefined for models without one. Hugging Face tools ignore the `vitrine` key.
 */
export function readCalibration(config: Record<string, unknown>): ModelCalibration | undefined {
  const vitrine = config.vitrine as Record<string, unknown> | undefined;
  const raw = vitrine && typeof vitrine === 'object' ? (vitrine.calibration as Record<string, unknown> | undefined) : undefined;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object') throw new AppError('MODEL_NOT_FOUND', 'config.json: vitrine.calibration must be an object');
  const text = scoreCalibration(raw.text, 'vitrine.calibration.text');
  const image = scoreCalibration(raw.image, 'vitrine.calibration.image');
  if (!text && !image) return undefined;
  return { ...(text ? { text } : {}), ...(image ? { image } : {}) };
}
