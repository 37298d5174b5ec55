import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { Product } from '../domain/types.js';
import { applyTransform, HELD_OUT_TRANSFORMS, parseTransforms } from './photo-transforms.js';
import { parseLabelMap, photoHalf, selectPhotos } from './real-photos.js';
import { scoreQuery, seededSample, summariseSet } from './robustness.service.js';

describe('real photos', () => {
  it('photoHalf hashes the base name exactly as training does (values from training/vitrine_train/views.py photo_half)', () => {
    expect(photoHalf('images/03c6360d-734d-435b-92a8-6788b7b32d78.jpg')).toBe('report');
    expect(photoHalf('a.jpg')).toBe('select');
    expect(photoHalf('shoe-1.png')).toBe('report');
    expect(photoHalf('x/y/z.jpg')).toBe('select');
    expect(photoHalf('/elsewhere/z.jpg')).toBe('select');
  });

  it('parseLabelMap skips comment keys and rejects malformed entries', () => {
    expect(parseLabelMap({ _comment: 'x', Hat: ['Caps', 'Hat'] })).toEqual({ Hat: ['Caps', 'Hat'] });
    expect(() => parseLabelMap([])).toThrow(RangeError);
    expect(() => parseLabelMap({ Hat: [] })).toThrow(/non-empty list/);
    expect(() => parseLabelMap({ _only: 'comment' })).toThrow(/names no label/);
  });

  it('selectPhotos keeps mapped labels of the chosen half', () => {
    const rows = [
      { file: 'a.jpg', label: 'Hat' },
      { file: 'shoe-1.png', label: 'Hat' },
      { file: 'b.jpg', label: 'Blazer' },
    ];
    const map = { Hat: ['Caps'] };
    expect(selectPhotos(rows, map)).toEqual(rows.slice(0, 2));
    expect(selectPhotos(rows, map, 'select')).toEqual([rows[0]]);
    expect(selectPhotos(rows, map, 'report')).toEqual([rows[1]]);
  });
});

describe('robustness scoring', () => {
  const hits = [
    { id: 'p2', value: 'Tshirts' },
    { id: 'p1', value: 'Shirts' },
    { id: 'p3', value: undefined },
  ];
  it('scoreQuery: same-product recall@k and same-kind precision@k', () => {
    expect(scoreQuery(hits, { productId: 'p1', relevantValues: new Set(['Shirts']) }, [1, 2])).toEqual({ 'precision@1': 0, 'recall@1': 0, 'precision@2': 0.5, 'recall@2': 1 });
    expect(scoreQuery(hits, { relevantValues: new Set(['Tshirts', 'Shirts']) }, [1, 4])).toEqual({ 'precision@1': 1, 'precision@4': 0.5 });
  });
  it('summariseSet: means over queries and per label', () => {
    const results = [
      { id: 'a', label: 'Top', top: [], metrics: { 'precision@1': 1 } },
      { id: 'b', label: 'Top', top: [], metrics: { 'precision@1': 0 } },
      { id: 'c', label: 'Dress', top: [], metrics: { 'precision@1': 1 } },
    ];
    const s = summariseSet(results, [1]);
    expect(s.metrics).toEqual({ 'precision@1': 2 / 3 });
    expect(s.perClass).toEqual([
      { label: 'Dress', queries: 1, metrics: { 'precision@1': 1 } },
      { label: 'Top', queries: 2, metrics: { 'precision@1': 0.5 } },
    ]);
  });
  it('seededSample is stable, order-free and seed-dependent', () => {
    const products: Product[] = Array.from({ length: 50 }, (_, i) => ({ id: `p${i}`, title: '', attributes: {}, imageRef: '' }));
    const a = seededSample(products, 10, 3).map((p) => p.id);
    expect(seededSample([...products].reverse(), 10, 3).map((p) => p.id)).toEqual(a);
    expect(seededSample(products, 10, 4).map((p) => p.id)).not.toEqual(a);
    expect(new Set(a).size).toBe(10);
  });
});

describe('held-out photo transforms', () => {
  it('parseTransforms accepts all or known names and names the unknown ones', () => {
    expect(parseTransforms('all')).toEqual([...HELD_OUT_TRANSFORMS]);
    expect(parseTransforms('gamma, webp')).toEqual(['gamma', 'webp']);
    expect(() => parseTransforms('gamma,blur')).toThrow(/unknown transform\(s\) blur/);
  });

  it('each transform keeps the size, changes the pixels and is deterministic for a seed and key', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="80"><rect width="60" height="80" fill="#fff"/><rect x="12" y="15" width="36" height="50" fill="#c33"/><circle cx="30" cy="40" r="9" fill="#239"/></svg>';
    const photo = await sharp(Buffer.from(svg)).jpeg({ quality: 95 }).toBuffer();
    const original = await sharp(photo).removeAlpha().raw().toBuffer();
    for (const t of HELD_OUT_TRANSFORMS) {
      const a = await applyTransform(photo, t, { seed: 1, key: 'p1' });
      const b = await applyTransform(photo, t, { seed: 1, key: 'p1' });
      expect(a.equals(b)).toBe(true);
      const { data, info } = await sharp(a).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([60, 80]);
      let diff = 0;
      for (let i = 0; i < data.length; i++) diff += Math.abs(data[i] - original[i]);
      expect(diff / data.length).toBeGreaterThan(0.5);
    }
    const occ1 = await applyTransform(photo, 'occlusion', { seed: 1, key: 'p1' });
    const occ2 = await applyTransform(photo, 'occlusion', { seed: 2, key: 'p1' });
    expect(occ1.equals(occ2)).toBe(false);
  });
});
