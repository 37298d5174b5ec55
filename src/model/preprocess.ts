// Image preprocessing as the model's preprocessor_config.json describes it (the Hugging Face image processor
// fields, plus Vitrine's pad mode under its `vitrine` key), so that adding a model is data, not code.
// planPreprocessing and toPixelValues are pure; the resize and crop themselves run in sharp (image-decode.ts),
// which follows this plan.
import { AppError } from '../errors/app-error.js';

export type ResampleKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

export type ResizeRule =
  | { kind: 'shortestEdge'; shortestEdge: number }
  | { kind: 'exact'; height: number; width: number }
  | { kind: 'longestEdge'; longestEdge: number }
  /** Pad mode: the whole photo scaled to fit inside the box (the crop size), then padded to it. */
  | { kind: 'fit'; height: number; width: number }
  | { kind: 'none' };

export interface PreprocessPlan {
  resize: ResizeRule;
  kernel: ResampleKernel;
  crop: { height: number; width: number } | null;
  /**
   * RGB bytes that fill the crop box where the resized photo does not reach: black for Hugging Face processors
   * (their centre crop pads with zeros), the declared pad colour in pad mode.
   */
  fill: [number, number, number];
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

function byteTriple(value: unknown): [number, number, number] {
  const t = triple(value ?? 255, 255);
  if (!t.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw new AppError('MODEL_NOT_FOUND', `preprocessor_config.json: vitrine.pad_colour must be 3 integers 0-255, got ${JSON.stringify(value)}`);
  }
  return t;
}

/**
 * Vitrine's pad mode, declared as `"vitrine": {"resize_mode": "pad", "pad_colour": [255, 255, 255]}` in
 * preprocessor_config.json (Hugging Face tools ignore the key and fall back to the shortest-edge crop). A shopper's
 * landscape photo or a square product shot then keeps its whole garment instead of losing its sides to the crop;
 * white pads match the catalog's studio background. Needs a crop size: that is the box.
 */
function padMode(config: Record<string, unknown>, crop: PreprocessPlan['crop']): { box: { height: number; width: number }; fill: [number, number, number] } | null {
  const vitrine = config.vitrine;
  if (vitrine === undefined || vitrine === null) return null;
  if (typeof vitrine !== 'object' || Array.isArray(vitrine)) throw new AppError('MODEL_NOT_FOUND', 'preprocessor_config.json: vitrine must be an object');
  const v = vitrine as Record<string, unknown>;
  if (v.resize_mode === undefined || v.resize_mode === 'crop') return null;
  if (v.resize_mode !== 'pad') {
    throw new AppError('MODEL_NOT_FOUND', `preprocessor_config.json: vitrine.resize_mode must be "crop" or "pad", got ${JSON.stringify(v.resize_mode)}`);
  }
  if (!crop) throw new AppError('MODEL_NOT_FOUND', 'preprocessor_config.json: vitrine.resize_mode "pad" needs crop_size (the box to pad to)');
  return { box: crop, fill: byteTriple(v.pad_colour) };
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
  const pad = padMode(config, crop);
  if (pad) resize = { kind: 'fit', ...pad.box };
  const resample = typeof config.resample === 'number' ? config.resample : 3;
  return {
    resize,
    kernel: KERNELS[resample] ?? 'cubic',
    crop,
    fill: pad ? pad.fill : [0, 0, 0],
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
    case 'fit':
      return fitSize(width, height, r.width, r.height);
  }
}

/**
 * Pad mode's resize target: the side that is longer relative to the box becomes the box's, the other is scaled in
 * proportion and truncated (integer arithmetic, so training's Python `fit_size` gives the same pixels), at least 1.
 * E.g. a 60x80 catalog photo in a 96x96 box -> 72x96; a 320x240 phone photo -> 96x72.
 */
export function fitSize(width: number, height: number, boxWidth: number, boxHeight: number): { width: number; height: number } {
  if (width * boxHeight >= height * boxWidth) return { width: boxWidth, height: Math.max(1, Math.floor((height * boxWidth) / width)) };
  return { width: Math.max(1, Math.floor((width * boxHeight) / height)), height: boxHeight };
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
