import { describe, expect, it } from 'vitest';
import { calibratedSimilarity, cosineForSimilarity } from './calibration.js';

const CAL = { scale: 20, bias: -10 };

describe('calibratedSimilarity', () => {
  it('is the logistic curve of scale * cosine + bias, 0.5 at cosine = -bias / scale', () => {
    expect(calibratedSimilarity(0.5, CAL)).toBeCloseTo(0.5, 12);
    expect(calibratedSimilarity(0.6, CAL)).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    expect(calibratedSimilarity(0.4, CAL)).toBeCloseTo(1 / (1 + Math.exp(2)), 12);
  });
  it('rises with the cosine and stays finite at the extremes', () => {
    const values = [-1, -0.5, 0, 0.3, 0.5, 0.7, 1].map((c) => calibratedSimilarity(c, { scale: 1000, bias: -500 }));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
    expect(values.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
  });
  it('without a calibration the similarity is the cosine', () => {
    expect(calibratedSimilarity(0.713, undefined)).toBe(0.713);
  });
});

describe('cosineForSimilarity', () => {
  it('inverts calibratedSimilarity', () => {
    for (const s of [0.01, 0.3, 0.5, 0.9, 0.999]) expect(calibratedSimilarity(cosineForSimilarity(s, CAL), CAL)).toBeCloseTo(s, 10);
    expect(cosineForSimilarity(0.42, undefined)).toBe(0.42);
  });
  it('rejects what has no inverse', () => {
    expect(() => cosineForSimilarity(1, CAL)).toThrow(RangeError);
    expect(() => cosineForSimilarity(0.5, { scale: -1, bias: 0 })).toThrow(RangeError);
  });
});
