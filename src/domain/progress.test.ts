import { describe, expect, it } from 'vitest';
import { formatDuration, progressLine, ProgressPacer } from './progress.js';

describe('progress lines', () => {
  it('says done/total, share, rate and ETA', () => {
    expect(progressLine('indexing', { done: 12000, total: 44441, elapsedMs: 40000 })).toBe('indexing: 12,000/44,441 (27%) · 300/s · ETA 1m 48s');
    expect(progressLine('queries', { done: 3, total: 10, elapsedMs: 2000 })).toBe('queries: 3/10 (30%) · 1.5/s · ETA 5s');
  });

  it('has no ETA before the first item nor without a total', () => {
    expect(progressLine('migrate', { done: 0, total: 100, elapsedMs: 0 })).toBe('migrate: 0/100 (0%) · 0.0/s · ETA ?');
    expect(progressLine('migrate', { done: 500, total: 0, elapsedMs: 10000 })).toBe('migrate: 500 · 50.0/s');
  });

  it('formats durations', () => {
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(3720)).toBe('1h 02m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });

  it('paces lines: the first, then one per interval, and always the last', () => {
    const pacer = new ProgressPacer(5000);
    expect(pacer.due(1, 100, 0)).toBe(true);
    expect(pacer.due(2, 100, 1000)).toBe(false);
    expect(pacer.due(40, 100, 5000)).toBe(true);
    expect(pacer.due(41, 100, 6000)).toBe(false);
    expect(pacer.due(100, 100, 6500)).toBe(true);
    expect(pacer.due(100, 100, 20000)).toBe(false);
  });
});
