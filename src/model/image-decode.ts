// Decoding untrusted image bytes with sharp (libvips): limits on bytes and pixels guard against huge files and
// decompression bombs; every decoder failure becomes a clear AppError instead of a crash.
import type { Metadata, OutputInfo, SharpConstructor } from 'sharp';
import { AppError, errorMessage } from '../errors/app-error.js';
import { resizedSize, outputSize, toPixelValues, type PreprocessPlan } from './preprocess.js';
import type { PixelValues } from './embedder.js';

export interface ImageLimits {
  /** Largest accepted encoded size in bytes. */
  maxBytes: number;
  /** Largest accepted width x height, checked from the header before decoding. */
  maxPixels: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxBytes: 20 * 1024 * 1024, maxPixels: 50_000_000 };

/**
 * Photo formats accepted, as sharp names them and as users know them. SVG is refused: it is a drawing, not a
 * photo, and rendering it runs a whole XML and SVG engine on untrusted input. A GIF is read by its first frame.
 */
export const ACCEPTED_IMAGE_FORMATS: readonly { format: string; name: string; mimeTypes: readonly string[] }[] = [
  { format: 'jpeg', name: 'JPEG', mimeTypes: ['image/jpeg'] },
  { format: 'png', name: 'PNG', mimeTypes: ['image/png'] },
  { format: 'webp', name: 'WebP', mimeTypes: ['image/webp'] },
  { format: 'gif', name: 'GIF', mimeTypes: ['image/gif'] },
  { format: 'heif', name: 'AVIF', mimeTypes: ['image/avif', 'image/heic', 'image/heif'] },
  { format: 'tiff', name: 'TIFF', mimeTypes: ['image/tiff'] },
];

/**
 * sharp, loaded on the first photo rather than at import: loading libvips costs 0.1-0.3 s of a server's cold start,
 * and a server that is asked for text alone never needs it. Its cache off and one libvips thread per photo, set once.
 */
let loadingSharp: Promise<SharpConstructor> | null = null;
function loadSharp(): Promise<SharpConstructor> {
  return (loadingSharp ??= import('sharp').then((module) => {
    const sharp = module.default as SharpConstructor;
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  }));
}

function translate(e: unknown, limits: ImageLimits): AppError {
  const msg = errorMessage(e);
  if (/pixel limit/i.test(msg)) {
    return new AppError('PAYLOAD_TOO_LARGE', `image has more than ${limits.maxPixels} pixels`, { cause: e });
  }
  return new AppError('INVALID_IMAGE', `not a decodable image (${msg.split('\n')[0]})`, { cause: e });
}

/** Reads width and height from the header and enforces the limits, without decoding pixels. */
export async function probeImage(bytes: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<{ width: number; height: number; format: string }> {
  if (bytes.length === 0) throw new AppError('INVALID_IMAGE', 'image is empty (0 bytes)');
  if (bytes.length > limits.maxBytes) {
    throw new AppError('PAYLOAD_TOO_LARGE', `image is ${bytes.length} bytes; the limit is ${limits.maxBytes}`);
  }
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: Number.isFinite(limits.maxPixels) ? limits.maxPixels : false }).metadata();
  } catch (e) {
    throw translate(e, limits);
  }
  if (!meta.width || !meta.height || !meta.format) throw new AppError('INVALID_IMAGE', 'image has no dimensions');
  if (!ACCEPTED_IMAGE_FORMATS.some((f) => f.format === meta.format)) {
    throw new AppError('INVALID_IMAGE', `${meta.format.toUpperCase()} is not accepted: send a ${ACCEPTED_IMAGE_FORMATS.map((f) => f.name).join(', ')} photo`);
  }
  if (meta.width * meta.height > limits.maxPixels) {
    throw new AppError('PAYLOAD_TOO_LARGE', `image is ${meta.width}x${meta.height}; the limit is ${limits.maxPixels} pixels`);
  }
  return { width: meta.width, height: meta.height, format: meta.format };
}

/**
 * Copies the centre crop, padded with `fill` where the image is smaller (zeros, as Hugging Face's center_crop; the
 * pad colour in pad mode, where the fitted photo is never larger than the box, so this only pads).
 */
function centerCrop(rgb: Uint8Array, width: number, height: number, cropW: number, cropH: number, fill: readonly [number, number, number]): Uint8Array {
  if (width === cropW && height === cropH) return rgb;
  const out = new Uint8Array(cropW * cropH * 3);
  if (fill[0] !== 0 || fill[1] !== 0 || fill[2] !== 0) {
    for (let i = 0; i < out.length; i += 3) {
      out[i] = fill[0];
      out[i + 1] = fill[1];
      out[i + 2] = fill[2];
    }
  }
  const top = Math.floor((height - cropH) / 2);
  const left = Math.floor((width - cropW) / 2);
  for (let y = 0; y < cropH; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= height) continue;
    for (let x = 0; x < cropW; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= width) continue;
      const s = (sy * width + sx) * 3;
      const d = (y * cropW + x) * 3;
      out[d] = rgb[s];
      out[d + 1] = rgb[s + 1];
      out[d + 2] = rgb[s + 2];
    }
  }
  return out;
}

/** Decodes, resizes and crops as the plan says and returns the model's pixel values. */
export async function decodeForModel(bytes: Uint8Array, plan: PreprocessPlan, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<PixelValues> {
  const { width, height } = await probeImage(bytes, limits);
  const target = resizedSize(plan, width, height);
  const sharp = await loadSharp();
  let raw: { data: Buffer; info: OutputInfo };
  try {
    // Transparent pixels become white (product photos on white); CMYK and greyscale become sRGB.
    let pipeline = sharp(bytes, { limitInputPixels: Number.isFinite(limits.maxPixels) ? limits.maxPixels : false, failOn: 'error' })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb');
    if (target.width !== width || target.height !== height) {
      pipeline = pipeline.resize(target.width, target.height, { fit: 'fill', kernel: plan.kernel });
    }
    raw = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw translate(e, limits);
  }
  if (raw.info.channels !== 3) throw new AppError('INVALID_IMAGE', `unexpected channel count ${raw.info.channels}`);
  const out = outputSize(plan, raw.info.width, raw.info.height);
  const cropped = centerCrop(new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.length), raw.info.width, raw.info.height, out.width, out.height, plan.fill);
  return { data: toPixelValues(cropped, out.width, out.height, plan), width: out.width, height: out.height };
}
