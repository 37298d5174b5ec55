// Image preprocessing as the model's preprocessor_config.json describes it (the Hugging Face image processor
// fields), so that adding a model is data, not code. planPreprocessing and toPixelValues are pure; the
// resize and crop themselves run in sharp (image-decode.ts), which follows this plan.
import { AppError } from '../errors/app-error.js';

export type ResampleKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

export type ResizeRule =
  | { kind: 'shortestEdge'; shortestEdge: number }
  | { kind: 'exact'; height: number; width: number }
  | { kind: 'longestEdge'; longestEdge: number }
  | { kind: 'none' };

export interface PreprocessPlan {
  resize: ResizeRule;
  kernel: ResampleKernel;
  crop: { height: number; width: number } | null;
  rescaleFactor: number;
  mean: [number, number, number];
  std: [number, number, number];
}

// PIL resample ids used by Hugging Face configs: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming.
const KERNELS: Record<number, ResampleKernel> = { 0: 'nearest', 1: 'lanczos3', 2: 'linear', 3: 'cubic', 4: 'linear', 5: 'linear' };

function triple(value: unknown, fallback: number): [number, number, number] {
  if (typeof value === 'number') return [value, value, value];
  if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number')) {
    return [value[0], value[1], value[2]];
  }
  if (value === undefined || value === null) return [fallback, fallback, fallback];
  throw new AppError('MODEL_NOT_FOUND', `preprocessor_config.json: expected a number or 3 numbers, got ${JSON.stringify(value)}`);
}

function positiveInt(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw new AppError('MODEL_NOT_FOUND', `preprocessor_config.json: ${what} must be a positive integer, got ${JSON.stringify(value)}`);
}

/** Reads the Hugging Face image-processor fields that matter for CLIP, SigLIP and ViT-style processors. */
export function planPreprocessing(config: Record<string, unknown>): PreprocessPlan {
  const doResize = config.do_resize !== false;
  let resize: ResizeRule = { kind: 'none' };
  const size = config.size as unknown;
  if (doResize && size !== undefined && size !== null) {
    if (typeof size === 'number') {
      resize = { kind: 'shortestEdge', shortestEdge: positiveInt(size, 'size') };
    } else if (typeof size === 'object') {
      const s = size as Record<string, unknown>;
      if (s.shortest_edge !== undefined) resize = { kind: 'shortestEdge', shortestEdge: positiveInt(s.shortest_edge, 'size.shortest_edge') };
      else if (s.height !== undefined && s.width !== undefined) {
        resize = { kind: 'exact', height: positiveInt(s.height, 'size.height'), width: positiveInt(s.width, 'size.width') };
      } else if (s.longest_edge !== undefined) resize = { kind: 'longestEdge', longestEdge: positiveInt(s.longest_edge, 'size.longest_edge') };
      else throw new AppError('MODEL_NOT_FOUND', `preprocessor_config.json: unsupported size ${JSON.stringify(size)}`);
    }
  }
  let crop: PreprocessPlan['crop'] = null;
  if (config.do_center_crop === true || (config.do_center_crop === undefined && config.crop_size !== undefined)) {
    const c = config.crop_size as unknown;
    if (typeof c === 'number') crop = { height: positiveInt(c, 'crop_size'), width: c };
    else if (c && typeof c === 'object') {
      const cc = c as Record<string, unknown>;
      crop = { height: positiveInt(cc.height, 'crop_size.height'), width: positiveInt(cc.width, 'crop_size.width') };
    } else if (resize.kind === 'shortestEdge') crop = { height: resize.shortestEdge, width: resize.shortestEdge };
  }
  if (resize.kind === 'none' && crop === null) {
    throw new AppError('MODEL_NOT_FOUND', 'preprocessor_config.json gives neither a resize size nor a crop size');
  }
  const resample = typeof config.resample === 'number' ? config.resample : 3;
  return {
    resize,
    kernel: KERNELS[resample] ?? 'cubic',
    crop,
    rescaleFactor: config.do_rescale === false ? 1 : typeof config.rescale_factor === 'number' ? config.rescale_factor : 1 / 255,
    mean: config.do_normalize === false ? [0, 0, 0] : triple(config.image_mean, 0),
    std: config.do_normalize === false ? [1, 1, 1] : triple(config.image_std, 1),
  };
}

/** Size after the resize step, with Hugging Face's rounding (int() truncation of the scaled long side). */
export function resizedSize(plan: PreprocessPlan, width: number, height: number): { width: number; height: number } {
  const r = plan.resize;
  switch (r.kind) {
    case 'none':
      return { width, height };
    case 'exact':
      return { width: r.width, height: r.height };
    case 'shortestEdge': {
      if (width <= height) return { width: r.shortestEdge, height: Math.max(1, Math.trunc((r.shortestEdge * height) / width)) };
      return { width: Math.max(1, Math.trunc((r.shortestEdge * width) / height)), height: r.shortestEdge };
    }
    case 'longestEdge': {
      if (width >= height) return { width: r.longestEdge, height: Math.max(1, Math.trunc((r.longestEdge * height) / width)) };
      return { width: Math.max(1, Math.trunc((r.longestEdge * width) / height)), height: r.longestEdge };
    }
  }
}

/** The final model input size for an image of the given size. */
export function outputSize(plan: PreprocessPlan, width: number, height: number): { width: number; height: number } {
  return plan.crop ? { ...plan.crop } : resizedSize(plan, width, height);
}

/** Interleaved RGB bytes (already resized and cropped) -> channels-first, rescaled, normalised float32. */
export function toPixelValues(rgb: Uint8Array, width: number, height: number, plan: PreprocessPlan): Float32Array {
  const area = width * height;
  if (rgb.length !== area * 3) throw new RangeError(`expected ${area * 3} RGB bytes, got ${rgb.length}`);
  const out = new Float32Array(area * 3);
  for (let c = 0; c < 3; c++) {
    const scale = plan.rescaleFactor / plan.std[c];
    const shift = plan.mean[c] / plan.std[c];
    const base = c * area;
    for (let i = 0; i < area; i++) out[base + i] = rgb[i * 3 + c] * scale - shift;
  }
  return out;
}
