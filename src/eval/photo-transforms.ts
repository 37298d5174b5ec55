// The fixed, seeded transforms `vitrine eval robustness` applies to catalog photos to make shopper-like queries.
// They are deliberately NOT the ones training uses (training/vitrine_train/augment.py: backgrounds, crops,
// perspective, rotation, colour temperature, blur, noise, JPEG, down-up scaling), so the figures measure how the
// model generalises to changes it never saw: a gamma curve, vignetting, an occluding patch, sharpening,
// nearest-neighbour pixelation and WebP compression. None shifts hue: a colour name must survive.
import sharp from 'sharp';
import { seededRandom } from '../domain/seeded-random.js';
import { hashSeed } from './query-sets.js';

export const HELD_OUT_TRANSFORMS = ['gamma', 'vignette', 'occlusion', 'sharpen', 'pixelate', 'webp'] as const;
export type HeldOutTransform = (typeof HELD_OUT_TRANSFORMS)[number];

/** What each transform does, for reports and the model card. */
export const TRANSFORM_DESCRIPTIONS: Record<HeldOutTransform, string> = {
  gamma: 'tone curve: gamma 0.6 (brighter mid-tones) or 1.7 (darker), picked by seed',
  vignette: 'corners darkened by up to 55% (radial falloff from the centre)',
  occlusion: 'a flat grey patch over 10-18% of the photo, at a seeded position',
  sharpen: 'unsharp mask (sigma 1.2, strong)',
  pixelate: 'down to a third with nearest-neighbour, then back up with nearest-neighbour',
  webp: 'WebP re-encoding at quality 12',
};

interface Raw {
  data: Buffer;
  width: number;
  height: number;
}

async function toRaw(bytes: Uint8Array): Promise<Raw> {
  const { data, info } = await sharp(bytes).flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function encodePng(raw: Raw): Promise<Buffer> {
  return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } }).png().toBuffer();
}

function gamma(raw: Raw, random: () => number): Raw {
  const g = random() < 0.5 ? 0.6 : 1.7;
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = Math.round(255 * Math.pow(i / 255, g));
  const data = Buffer.from(raw.data);
  for (let i = 0; i < data.length; i++) data[i] = lut[data[i]];
  return { ...raw, data };
}

function vignette(raw: Raw): Raw {
  const data = Buffer.from(raw.data);
  const cx = (raw.width - 1) / 2;
  const cy = (raw.height - 1) / 2;
  const maxR = Math.hypot(cx, cy) || 1;
  for (let y = 0; y < raw.height; y++) {
    for (let x = 0; x < raw.width; x++) {
      const r = Math.hypot(x - cx, y - cy) / maxR;
      const k = 1 - 0.55 * r * r;
      const o = (y * raw.width + x) * 3;
      for (let c = 0; c < 3; c++) data[o + c] = Math.round(data[o + c] * k);
    }
  }
  return { ...raw, data };
}

function occlusion(raw: Raw, random: () => number): Raw {
  const data = Buffer.from(raw.data);
  const area = (0.1 + 0.08 * random()) * raw.width * raw.height;
  const aspect = 0.6 + 0.8 * random();
  const w = Math.max(1, Math.min(raw.width, Math.round(Math.sqrt(area * aspect))));
  const h = Math.max(1, Math.min(raw.height, Math.round(area / w)));
  const x0 = Math.floor(random() * (raw.width - w + 1));
  const y0 = Math.floor(random() * (raw.height - h + 1));
  for (let y = y0; y < y0 + h; y++) data.fill(128, (y * raw.width + x0) * 3, (y * raw.width + x0 + w) * 3);
  return { ...raw, data };
}

/**
 * Applies one held-out transform to an encoded photo and returns PNG bytes (WebP for `webp`). The random choices
 * (gamma value, patch position) depend only on `seed` and `key` (e.g. the product id), never on call order.
 */
export async function applyTransform(bytes: Uint8Array, transform: HeldOutTransform, options: { seed: number; key: string }): Promise<Buffer> {
  const random = seededRandom(hashSeed(options.seed, `${transform}\u0000${options.key}`));
  switch (transform) {
    case 'gamma':
      return encodePng(gamma(await toRaw(bytes), random));
    case 'vignette':
      return encodePng(vignette(await toRaw(bytes)));
    case 'occlusion':
      return encodePng(occlusion(await toRaw(bytes), random));
    case 'sharpen':
      return sharp(bytes).flatten({ background: '#ffffff' }).sharpen({ sigma: 1.2, m1: 2, m2: 4 }).png().toBuffer();
    case 'pixelate': {
      const meta = await sharp(bytes).metadata();
      const width = meta.width ?? 1;
      const height = meta.height ?? 1;
      const small = await sharp(bytes).flatten({ background: '#ffffff' }).resize(Math.max(1, Math.round(width / 3)), Math.max(1, Math.round(height / 3)), { kernel: 'nearest', fit: 'fill' }).png().toBuffer();
      return sharp(small).resize(width, height, { kernel: 'nearest', fit: 'fill' }).png().toBuffer();
    }
    case 'webp':
      return sharp(bytes).flatten({ background: '#ffffff' }).webp({ quality: 12 }).toBuffer();
  }
}

/** Parses `--transforms gamma,webp` (or `all`) into known transforms; unknown names are reported at once. */
export function parseTransforms(spec: string): HeldOutTransform[] {
  const names = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 1 && names[0] === 'all') return [...HELD_OUT_TRANSFORMS];
  const unknown = names.filter((n) => !(HELD_OUT_TRANSFORMS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new RangeError(`unknown transform(s) ${unknown.join(', ')}; known: ${HELD_OUT_TRANSFORMS.join(', ')}, or all`);
  return names as HeldOutTransform[];
}
