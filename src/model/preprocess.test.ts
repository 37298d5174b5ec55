import { describe, expect, it } from 'vitest';
import { fitSize, outputSize, planPreprocessing, resizedSize, toPixelValues } from './preprocess.js';

const CLIP = {
  do_resize: true,
  size: { shortest_edge: 224 },
  resample: 3,
  do_center_crop: true,
  crop_size: { height: 224, width: 224 },
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
};

describe('planPreprocessing', () => {
  it('reads a CLIP processor: shortest edge, centre crop, bicubic, CLIP mean/std', () => {
    const plan = planPreprocessing(CLIP);
    expect(plan).toMatchObject({ resize: { kind: 'shortestEdge', shortestEdge: 224 }, crop: { height: 224, width: 224 }, kernel: 'cubic' });
    expect(resizedSize(plan, 60, 80)).toEqual({ width: 224, height: 298 });
    expect(resizedSize(plan, 1600, 1200)).toEqual({ width: 298, height: 224 });
    expect(outputSize(plan, 60, 80)).toEqual({ width: 224, height: 224 });
  });

  it('reads a SigLIP processor: exact size, no crop, mean/std 0.5', () => {
    const plan = planPreprocessing({ do_resize: true, size: { height: 256, width: 256 }, resample: 2, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] });
    expect(plan.crop).toBeNull();
    expect(plan.kernel).toBe('linear');
    expect(outputSize(plan, 60, 80)).toEqual({ width: 256, height: 256 });
  });

  it('accepts the older integer forms of size and crop_size', () => {
    const plan = planPreprocessing({ size: 32, crop_size: 28, do_center_crop: true });
    expect(plan.resize).toEqual({ kind: 'shortestEdge', shortestEdge: 32 });
    expect(plan.crop).toEqual({ height: 28, width: 28 });
  });

  it('rejects configs it cannot follow', () => {
    expect(() => planPreprocessing({ do_resize: false })).toThrow(/neither a resize size nor a crop size/);
    expect(() => planPreprocessing({ size: { shortest_edge: -3 } })).toThrow(/positive integer/);
    expect(() => planPreprocessing({ size: 32, image_mean: [1, 2] })).toThrow(/3 numbers/);
  });
});

describe('pad mode (vitrine.resize_mode "pad")', () => {
  const PAD = { ...CLIP, size: { shortest_edge: 96 }, crop_size: { height: 96, width: 96 }, vitrine: { resize_mode: 'pad', pad_colour: [255, 255, 255] } };

  it('fits the whole photo into the crop box and pads with the declared colour', () => {
    const plan = planPreprocessing(PAD);
    expect(plan.resize).toEqual({ kind: 'fit', height: 96, width: 96 });
    expect(plan.fill).toEqual([255, 255, 255]);
    expect(resizedSize(plan, 60, 80)).toEqual({ width: 72, height: 96 });
    expect(resizedSize(plan, 320, 240)).toEqual({ width: 96, height: 72 });
    expect(resizedSize(plan, 224, 224)).toEqual({ width: 96, height: 96 });
    expect(outputSize(plan, 320, 240)).toEqual({ width: 96, height: 96 });
  });

  it('fitSize truncates the scaled side like training\'s fit_size, never below 1 pixel', () => {
    expect(fitSize(60, 81, 96, 96)).toEqual({ width: 71, height: 96 });
    expect(fitSize(253, 320, 96, 96)).toEqual({ width: 75, height: 96 });
    expect(fitSize(60, 80, 60, 80)).toEqual({ width: 60, height: 80 });
    expect(fitSize(1000, 1, 96, 96)).toEqual({ width: 96, height: 1 });
  });

  it('plain Hugging Face configs keep the shortest-edge crop with black padding; "crop" is the same', () => {
    expect(planPreprocessing(CLIP).fill).toEqual([0, 0, 0]);
    const crop = planPreprocessing({ ...CLIP, vitrine: { resize_mode: 'crop' } });
    expect(crop).toEqual(planPreprocessing(CLIP));
  });

  it('rejects a pad mode it cannot follow', () => {
    expect(() => planPreprocessing({ ...PAD, vitrine: { resize_mode: 'stretch' } })).toThrow(/"crop" or "pad"/);
    expect(() => planPreprocessing({ size: { height: 8, width: 8 }, vitrine: { resize_mode: 'pad' } })).toThrow(/needs crop_size/);
    expect(() => planPreprocessing({ ...PAD, vitrine: { resize_mode: 'pad', pad_colour: [300, 0, 0] } })).toThrow(/0-255/);
  });
});

describe('toPixelValues', () => {
  it('writes channels first, rescaled and normalised', () => {
    const plan = planPreprocessing({ size: { height: 1, width: 2 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] });
    const px = toPixelValues(Uint8Array.from([255, 0, 255, 0, 255, 0]), 2, 1, plan);
    expect(Array.from(px)).toEqual([1, -1, -1, 1, 1, -1]);
  });
  it('checks the buffer size', () => {
    const plan = planPreprocessing({ size: 2 });
    expect(() => toPixelValues(new Uint8Array(5), 2, 1, plan)).toThrow(RangeError);
  });
});
