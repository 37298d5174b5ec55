import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeForModel } from './image-decode.js';
import { planPreprocessing } from './preprocess.js';

/** Pixel values back to 0-255 RGB at (x, y), for a plan with mean 0 and std 1 after /255. */
function rgbAt(data: Float32Array, width: number, height: number, x: number, y: number): number[] {
  const area = width * height;
  return [0, 1, 2].map((c) => Math.round(data[c * area + y * width + x] * 255));
}

describe('decodeForModel', () => {
  const raw = { do_normalize: false, crop_size: { height: 8, width: 8 }, size: { shortest_edge: 8 }, resample: 0 };

  it('pad mode: a landscape photo keeps its whole width, centred between rows of the pad colour', async () => {
    const photo = await sharp({ create: { width: 16, height: 8, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const plan = planPreprocessing({ ...raw, vitrine: { resize_mode: 'pad', pad_colour: [255, 255, 255] } });
    const px = await decodeForModel(photo, plan);
    expect([px.width, px.height]).toEqual([8, 8]);
    // 16x8 fits as 8x4: two white rows above, two below (offsets as Hugging Face's centre crop pads)
    for (const y of [0, 1, 6, 7]) expect(rgbAt(px.data, 8, 8, 3, y)).toEqual([255, 255, 255]);
    for (const y of [2, 5]) for (const x of [0, 7]) expect(rgbAt(px.data, 8, 8, x, y)).toEqual([255, 0, 0]);
  });

  it('the Hugging Face crop mode cuts the sides of the same photo instead, and pads with black', async () => {
    const photo = await sharp({ create: { width: 16, height: 8, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const cropped = await decodeForModel(photo, planPreprocessing(raw));
    for (const y of [0, 7]) expect(rgbAt(cropped.data, 8, 8, 0, y)).toEqual([255, 0, 0]);
    const tall = await sharp({ create: { width: 4, height: 8, channels: 3, background: '#00ff00' } }).png().toBuffer();
    const padded = await decodeForModel(tall, planPreprocessing({ ...raw, size: { height: 8, width: 4 }, do_center_crop: true }));
    expect(rgbAt(padded.data, 8, 8, 0, 4)).toEqual([0, 0, 0]);
    expect(rgbAt(padded.data, 8, 8, 3, 4)).toEqual([0, 255, 0]);
  });
});
